import { z } from 'zod';
import { GatehouseError } from '../core/errors.ts';
import type { Plan } from '../core/plan.ts';
import { sealPlan } from '../core/plan.ts';

const change = z.looseObject({
  kind: z.string(),
  id: z.string(),
  summary: z.string(),
  destructive: z.boolean(),
});

const planSchema = z.object({
  format: z.literal(1),
  id: z.string(),
  configDigest: z.string(),
  sources: z.array(
    z.looseObject({ name: z.string(), type: z.string(), status: z.enum(['live', 'snapshot', 'missing']) }),
  ),
  targets: z.array(
    z.looseObject({
      name: z.string(),
      type: z.string(),
      observedDigest: z.string(),
      changes: z.array(change),
      verdicts: z.array(z.looseObject({ guard: z.string(), outcome: z.enum(['pass', 'reject']) })),
      blocked: z.array(z.string()),
    }),
  ),
});

/**
 * Reads a saved plan. The id is a digest of the content, so an edited plan (say, a blocked change unblocked by hand)
 * is refused rather than applied.
 */
export function parsePlanFile(text: string, file: string): Plan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new GatehouseError('PLAN_INVALID', `${file}: not a JSON plan`, { cause: e, terminal: true });
  }
  const parsed = planSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new GatehouseError(
      'PLAN_INVALID',
      `${file}: not a gatehouse plan (${first?.path.join('.')}: ${first?.message})`,
      {
        terminal: true,
      },
    );
  }
  const plan = raw as Plan;
  const { id: _id, ...body } = plan;
  if (sealPlan(body).id !== plan.id) {
    throw new GatehouseError(
      'PLAN_INVALID',
      `${file}: plan content does not match its id; it was edited after it was made`,
      {
        terminal: true,
      },
    );
  }
  return plan;
}
