import { refusePlan } from './apply.ts';
import type { AuditLog } from './audit.ts';
import { misfitChange } from './change-schema.ts';
import { parseDuration } from './duration.ts';
import { buildPlan, type PlanInput } from './pipeline.ts';
import type { Plan } from './plan.ts';
import { planDifferences } from './plan-compare.ts';
import type { PlanRecords } from './plan-records.ts';

export interface SavedPlanInput extends PlanInput {
  /** The plan as read from a file: reviewed by a human, trusted for nothing. */
  readonly saved: Plan;
  readonly records: PlanRecords;
  /** `plan.maxAge`, e.g. `24h`. */
  readonly maxAge: string;
  readonly audit: AuditLog;
  readonly actor: string;
}

/** How many differences a refusal names; the rest are counted. */
const SHOWN_DIFFERENCES = 5;

/**
 * Decides a saved plan from the world, not from the file. Refuses it (audited as `plan-refused`) when a change does
 * not fit the change schema of the target that planned it (PLAN_INVALID, naming target and change id), when this
 * installation never made it (PLAN_INVALID: made elsewhere, or edited and re-sealed), when it was made longer than
 * `maxAge` ago (PLAN_EXPIRED), or when the plan computed now — sources re-read, targets re-observed, guards re-run —
 * is not the same plan (PLAN_STALE, naming what differs). Otherwise returns the plan computed now, with its
 * observations, for `applyPlan`: its changes, never the file's, are what gets applied.
 *
 * Recomputing does not record the plan as made again, so applying cannot extend a plan's life.
 */
export async function replanSaved(input: SavedPlanInput): Promise<{ plan: Plan; observed: Map<string, unknown> }> {
  const now = input.now ?? (() => new Date());
  const { saved } = input;
  const at = { audit: input.audit, actor: input.actor, planId: saved.id, now };
  const misfit = misfitChange(saved, input.targets);
  if (misfit !== undefined) return refusePlan(at, 'PLAN_INVALID', `${misfit}; plan again`);
  const madeAt = await input.records.planMadeAt(saved.id);
  if (madeAt === undefined) {
    return refusePlan(
      at,
      'PLAN_INVALID',
      'this installation never made it, or forgot it long ago (a plan is applied only where `gatehouse plan` made it, within plan.maxAge); plan again',
    );
  }
  const maxAgeMs = parseDuration(input.maxAge);
  if (now().getTime() - madeAt.getTime() > maxAgeMs) {
    return refusePlan(
      at,
      'PLAN_EXPIRED',
      `it was made at ${madeAt.toISOString()}, more than ${input.maxAge} ago (plan.maxAge); plan again`,
    );
  }
  const fresh = await buildPlan(input);
  const differences = planDifferences(saved, fresh.plan);
  if (fresh.plan.id !== saved.id || differences.length > 0) {
    const shown = differences.slice(0, SHOWN_DIFFERENCES);
    const more = differences.length - shown.length;
    const what = shown.length === 0 ? ['its content differs from the plan computed now'] : shown;
    return refusePlan(at, 'PLAN_STALE', `${what.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}; plan again`);
  }
  return fresh;
}
