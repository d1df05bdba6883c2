import type { Change, DesiredContext } from './contracts.ts';
import type { GuardVerdict } from './plan.ts';

/**
 * Guards are pure functions over a target's proposed changes. Generic ones live here; targets add their own through
 * `Target.guard`, usually by calling the helpers below for each collection they manage.
 */

/**
 * Source completeness: while any source a target draws from is not live (its read failed, was truncated, partial or
 * invalid), the target removes nothing. The source contributes its last-known-good snapshot, if any, so additions
 * from other sources still go through; but a removal could be an artefact of the stale or missing data, so every
 * destructive change of that target is rejected until the source reads completely again.
 */
export function completenessGuard(
  targetSources: readonly string[],
  changes: readonly Change[],
  ctx: DesiredContext,
): GuardVerdict[] {
  const degraded = targetSources.filter((s) => ctx.sources.get(s)?.status !== 'live');
  const destructive = changes.filter((c) => c.destructive).map((c) => c.id);
  if (degraded.length === 0 || destructive.length === 0) return [];
  const why = degraded.map((s) => {
    const status = ctx.sources.get(s)?.status;
    return status === 'snapshot' ? `${s} (using its last-known-good snapshot)` : `${s} (no last-known-good snapshot)`;
  });
  return [
    {
      guard: 'source-completeness',
      outcome: 'reject',
      changeIds: destructive,
      message: `source ${why.join(', ')} could not be read completely; nothing is removed until it reads completely again`,
    },
  ];
}

export interface CollectionDelta {
  /** What the collection is, for messages: `set inet filter db_allow_v4`, `team sre`. */
  readonly label: string;
  readonly changeId: string;
  readonly before: number;
  readonly after: number;
  readonly removed: number;
}

/**
 * Refuses to leave a collection empty unless explicitly allowed: an empty allowlist locks everyone out, and an empty
 * source result is far more often an outage than an intent.
 */
export function neverEmptyGuard(d: CollectionDelta, allowEmpty: boolean): GuardVerdict | undefined {
  if (d.after > 0 || d.before === 0 || allowEmpty) return undefined;
  return {
    guard: 'never-empty',
    outcome: 'reject',
    changeIds: [d.changeId],
    message: `${d.label} would become empty (${d.before} → 0); set allowEmpty: true if that is intended`,
  };
}

/**
 * Refuses to remove more than `maxFraction` of a collection in one run. A fraction of 1 disables the guard.
 */
export function maxShrinkGuard(
  d: CollectionDelta,
  maxFraction: number,
  guard = 'max-shrink',
): GuardVerdict | undefined {
  if (d.before === 0 || d.removed === 0 || maxFraction >= 1) return undefined;
  const fraction = d.removed / d.before;
  if (fraction <= maxFraction) return undefined;
  return {
    guard,
    outcome: 'reject',
    changeIds: [d.changeId],
    message: `${d.label} would lose ${d.removed} of ${d.before} entries (${pct(fraction)}), more than the ${pct(maxFraction)} allowed per run`,
  };
}

function pct(f: number): string {
  return `${Math.round(f * 1000) / 10} %`;
}

/** The ids blocked by reject verdicts; for an atomic target, any rejection blocks every change. */
export function blockedIds(changes: readonly Change[], verdicts: readonly GuardVerdict[], atomic: boolean): string[] {
  const rejected = new Set(verdicts.filter((v) => v.outcome === 'reject').flatMap((v) => v.changeIds));
  if (rejected.size === 0) return [];
  if (atomic) return changes.map((c) => c.id);
  return changes.filter((c) => rejected.has(c.id)).map((c) => c.id);
}
