import type { Change, ChangeSchema } from '../contracts.ts';

/**
 * Wraps a target's diff for its tests: every change it returns, as a saved plan would hold it (through JSON), must fit
 * the target's change schema, else the call throws naming the change and the misfit. `samples` keeps the first change
 * of each kind seen, so a test file can check that its cases covered every kind and that the schema refuses forgeries
 * of them ({@link acceptedForgeries}).
 */
export function schemaChecked<A extends unknown[], C extends Change>(
  schema: ChangeSchema,
  diff: (...args: A) => C[],
  samples: Map<string, Change>,
): (...args: A) => C[] {
  return (...args) => {
    const changes = diff(...args);
    for (const c of changes) {
      const parsed = schema.safeParse(asSaved(c));
      if (!parsed.success) {
        const issue = parsed.error?.issues[0];
        throw new Error(`change ${c.id} does not fit its schema at ${issue?.path.join('.')}: ${issue?.message}`);
      }
      if (!samples.has(c.kind)) samples.set(c.kind, c);
    }
    return changes;
  };
}

const COMMON = new Set(['kind', 'id', 'summary', 'destructive', 'add', 'remove']);

/**
 * Edits of a real change that a saved plan must not get away with: an id that is not a string, a key the target never
 * writes, a kind of another target, and each of the kind's own fields missing or replaced by an object. Returns the
 * names of the edits the schema accepted (none, for a schema that checks what it should).
 */
export function acceptedForgeries(schema: ChangeSchema, change: Change, foreignKind: string): string[] {
  const saved = asSaved(change);
  const forgeries: [string, Record<string, unknown>][] = [
    ['numeric id', { ...saved, id: 42 }],
    ['unknown key', { ...saved, injected: true }],
    [`kind ${foreignKind}`, { ...saved, kind: foreignKind }],
  ];
  for (const key of Object.keys(saved).filter((k) => !COMMON.has(k))) {
    const { [key]: _dropped, ...rest } = saved;
    forgeries.push([`without ${key}`, rest], [`${key} replaced by an object`, { ...saved, [key]: { forged: 1 } }]);
  }
  return forgeries.filter(([, forged]) => schema.safeParse(forged).success).map(([name]) => name);
}

function asSaved(change: Change): Record<string, unknown> {
  return JSON.parse(JSON.stringify(change)) as Record<string, unknown>;
}
