import type { AuditLog } from './audit.ts';
import { GatehouseError } from './errors.ts';
import type { Plan } from './plan.ts';

/**
 * Guard releases: a plan whose changes a guard blocked (a mass removal, an exhausted invitation budget) is queued for a
 * human; an approver may release it once. Released, it is decided from the world like a saved plan (made here, within
 * plan.maxAge, the same plan computed now) and only then applied, its blocked changes included.
 */

export type ReleaseStatus = 'pending' | 'released' | 'refused';

export interface Release {
  readonly id: string;
  readonly target: string;
  readonly planId: string;
  /** The plan as made; reviewed by the approver, decided from the world when released. */
  readonly plan: Plan;
  /** The ids the guards blocked, which a release applies. */
  readonly blocked: readonly string[];
  readonly status: ReleaseStatus;
  readonly requestedAt: string;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly reason?: string;
}

/** What the guards said against the release's target in its plan: `guard: message`, one per rejection. */
export function releaseVerdicts(r: Release): string[] {
  const tp = r.plan.targets.find((t) => t.name === r.target);
  return (tp?.verdicts ?? []).filter((v) => v.outcome === 'reject').map((v) => `${v.guard}: ${v.message}`);
}

/** The summaries of the changes the release holds back, which releasing applies. */
export function releasedChanges(r: Release): string[] {
  const tp = r.plan.targets.find((t) => t.name === r.target);
  return (tp?.changes ?? []).filter((c) => r.blocked.includes(c.id)).map((c) => c.summary);
}

export interface ReleaseStore {
  /**
   * Queues the target's blocked changes of `plan`; while that plan and target are pending, queueing again returns the
   * pending entry. Once decided, the same plan blocked again is a new request.
   */
  request(
    target: string,
    plan: Plan,
    blocked: readonly string[],
    at: Date,
  ): Promise<{ release: Release; created: boolean }>;
  get(id: string): Promise<Release | undefined>;
  list(filter?: { status?: ReleaseStatus }): Promise<Release[]>;
  /** Moves `from` → `to` atomically; undefined when the release is no longer in `from` (decided already). */
  transition(
    id: string,
    from: ReleaseStatus,
    to: ReleaseStatus,
    decision: { by: string; at: Date; reason?: string },
  ): Promise<Release | undefined>;
}

export interface ReleaseInput {
  readonly releases: ReleaseStore;
  readonly audit: AuditLog;
  readonly id: string;
  readonly decider: string;
  readonly actor: string;
  readonly isApprover: (person: string) => Promise<boolean>;
  /** Decides the saved plan from the world (`replanSaved`): throws PLAN_STALE / PLAN_EXPIRED / PLAN_INVALID. */
  readonly replan: (saved: Plan) => Promise<{ plan: Plan; observed: Map<string, unknown> }>;
  /** Applies the plan computed now with the release's blocked ids released. */
  readonly apply: (
    plan: Plan,
    observed: Map<string, unknown>,
    release: { by: string; ids: ReadonlyMap<string, ReadonlySet<string>> },
  ) => Promise<unknown>;
  readonly now?: () => Date;
}

/**
 * Releases a queued plan once: the decider must be an approver (asked now); the release is marked `released` before
 * anything is applied (a second press finds it decided and is refused), then the plan is decided from the world and
 * applied with its blocked changes. A plan the world no longer agrees with is refused (the release is marked
 * `refused` with the reason) and nothing is applied. Refusals are audited (`link-decision` is for links; these are
 * `plan-refused` / `guard-override` through apply).
 *
 * @throws GatehouseError FORBIDDEN (not an approver), USAGE (no such release, already decided), or the refusal of
 *   `replan` (PLAN_STALE, PLAN_EXPIRED, PLAN_INVALID).
 */
export async function releasePlan(input: ReleaseInput): Promise<Release> {
  const now = input.now ?? (() => new Date());
  const r = await input.releases.get(input.id);
  if (!r) throw new GatehouseError('USAGE', `no release ${input.id}`, { terminal: true });
  if (r.status !== 'pending') throw new GatehouseError('USAGE', `release ${r.id} is ${r.status}`, { terminal: true });
  let approver: boolean;
  try {
    approver = await input.isApprover(input.decider);
  } catch (e) {
    throw new GatehouseError(
      'FORBIDDEN',
      `could not check that ${input.decider} is an approver: ${(e as Error).message}`,
      {
        terminal: true,
      },
    );
  }
  if (!approver) throw new GatehouseError('FORBIDDEN', `${input.decider} is not an approver`, { terminal: true });
  const taken = await input.releases.transition(r.id, 'pending', 'released', { by: input.decider, at: now() });
  if (!taken)
    throw new GatehouseError('USAGE', `release ${r.id} was decided by someone else first`, { terminal: true });
  let fresh: { plan: Plan; observed: Map<string, unknown> };
  try {
    fresh = await input.replan(r.plan);
  } catch (e) {
    await input.releases.transition(r.id, 'released', 'refused', {
      by: input.decider,
      at: now(),
      reason: (e as Error).message,
    });
    throw e;
  }
  await input.apply(fresh.plan, fresh.observed, { by: input.decider, ids: new Map([[r.target, new Set(r.blocked)]]) });
  return taken;
}
