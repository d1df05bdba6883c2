import * as z from 'zod';
import type { Target } from './contracts.ts';
import type { Plan } from './plan.ts';

const list = z.array(z.string());

/**
 * A zod schema of one change kind: the fields every change has (`Change`), `kind` fixed to `kind`, and `fields`.
 * Strict: a key the target never writes means the change was not made by this target (or was edited).
 */
export function changeOf<K extends string, F extends z.ZodRawShape>(kind: K, fields: F) {
  return z
    .strictObject({
      kind: z.literal(kind),
      id: z.string().min(1),
      summary: z.string(),
      destructive: z.boolean(),
      add: list.optional(),
      remove: list.optional(),
    })
    .extend(fields);
}

/**
 * The first change of a saved plan that does not fit the change schema of the target that planned it, described for a
 * PLAN_INVALID refusal (target name, change id, what is wrong); undefined when every change fits. A plan target with
 * no configured target of the same name and type, or a target without a schema, is left to the staleness check.
 */
export function misfitChange(plan: Plan, targets: readonly Target[]): string | undefined {
  for (const planned of plan.targets) {
    const target = targets.find((t) => t.name === planned.name && t.type === planned.type);
    if (!target?.changeSchema) continue;
    for (const change of planned.changes) {
      const parsed = target.changeSchema.safeParse(change);
      if (parsed.success) continue;
      const issue = parsed.error?.issues[0];
      const where = issue && issue.path.length > 0 ? ` at ${issue.path.map(String).join('.')}` : '';
      const id = typeof change.id === 'string' ? change.id : JSON.stringify(change.id);
      return `target ${planned.name}: change ${id} is not a ${planned.type} change${where}: ${issue?.message ?? 'invalid'}`;
    }
  }
  return undefined;
}
