import { digest } from './canonical-json.ts';
import type { Change } from './contracts.ts';
import type { ErrorCode } from './errors.ts';
import type { ResolvedSource } from './model.ts';

/** A guard's decision about some changes of one target. Only `reject` verdicts with change ids block anything. */
export interface GuardVerdict {
  readonly guard: string;
  readonly outcome: 'pass' | 'reject';
  /** Changes this verdict is about; a `reject` blocks exactly these (or, for an atomic target, all its changes). */
  readonly changeIds: readonly string[];
  readonly message: string;
}

export interface SourceReport {
  readonly name: string;
  readonly type: string;
  readonly status: ResolvedSource['status'];
  /**
   * Digest of the facts the plan was computed from, so a saved plan goes stale when a source's data changes (an
   * address revoked after the plan was made must not be re-granted by applying it).
   */
  readonly factsDigest: string;
  readonly notes: readonly string[];
  readonly snapshotAt?: string;
}

export interface TargetPlan {
  readonly name: string;
  readonly type: string;
  /** Fingerprint of what `observe` returned; apply refuses the plan if a fresh observation differs. */
  readonly observedDigest: string;
  readonly changes: readonly Change[];
  readonly verdicts: readonly GuardVerdict[];
  /** Ids of changes that guards blocked; apply skips them. */
  readonly blocked: readonly string[];
  /** Findings for a human that are not changes (from `Target.notes`). */
  readonly notes?: readonly string[];
  /** Set when the target could not be observed; such a target has no changes. */
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}

/**
 * A plan is a value: it can be saved, reviewed and applied later. It holds no timestamps, so the same inputs give the
 * same bytes, and its id is a digest of its content (source data included, through each source's `factsDigest`).
 * Anyone can recompute that digest, so a saved plan is never trusted: applying it recomputes the plan from the world
 * and applies that (`replanSaved`); the id only names the plan a human reviewed.
 */
export interface Plan {
  readonly format: 1;
  readonly id: string;
  readonly configDigest: string;
  readonly sources: readonly SourceReport[];
  readonly targets: readonly TargetPlan[];
}

export type PlanBody = Omit<Plan, 'id'>;

export function sealPlan(body: PlanBody): Plan {
  return { ...body, id: digest(body).slice(0, 16) };
}

/** Changes that apply would attempt. */
export function runnableChanges(t: TargetPlan): Change[] {
  const blocked = new Set(t.blocked);
  return t.changes.filter((c) => !blocked.has(c.id));
}

export interface PlanSummary {
  readonly changes: number;
  readonly blocked: number;
  readonly errors: number;
}

export function summarize(plan: Plan): PlanSummary {
  let changes = 0;
  let blocked = 0;
  let errors = 0;
  for (const t of plan.targets) {
    changes += t.changes.length - t.blocked.length;
    blocked += t.blocked.length;
    if (t.error) errors++;
  }
  return { changes, blocked, errors };
}
