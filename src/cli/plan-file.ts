import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { ERROR_CODES, GatehouseError } from '../core/errors.ts';
import type { Plan } from '../core/plan.ts';
import { sealPlan } from '../core/plan.ts';
import { fileProblem } from './file-problem.ts';

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
      error: z.object({ code: z.enum(ERROR_CODES), message: z.string() }).optional(),
    }),
  ),
});

/**
 * Reads and parses a saved plan file (see `parsePlanFile`). A file that cannot be read is a `USAGE` error naming the
 * file and the reason, not a raw system error.
 */
export function readPlanFile(file: string): Plan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new GatehouseError('USAGE', `cannot read plan file ${file}: ${fileProblem(e)}`, { terminal: true });
  }
  return parsePlanFile(text, file);
}

/**
 * Parses a saved plan. The id is a digest of the content, so an edited plan (say, a blocked change unblocked by hand)
 * is refused rather than applied. This only catches careless edits: anyone can recompute the id, so apply never
 * trusts a parsed plan; it recomputes the plan now and applies that (`replanSaved`).
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
