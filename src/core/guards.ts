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
 * How much a collection may shrink in one run: more than `fraction` of its entries is refused, except that removing at
 * most `minCount` entries always passes. The floor exists for tiny collections, where one entry is already a large
 * fraction: replacing the only node of a one-node pool removes 100 % of the set, which is ordinary churn, not the
 * mass removal (an outage or a bug emptying a source) the fraction is there to catch.
 */
export interface ShrinkLimit {
  readonly fraction: number;
  readonly minCount: number;
}

/**
 * Refuses to remove more than the limit allows (see {@link ShrinkLimit}; a bare number is a fraction with no floor).
 * A fraction of 1 disables the guard.
 */
export function maxShrinkGuard(
  d: CollectionDelta,
  limit: number | ShrinkLimit,
  guard = 'max-shrink',
): GuardVerdict | undefined {
  const { fraction: maxFraction, minCount } = typeof limit === 'number' ? { fraction: limit, minCount: 0 } : limit;
  if (d.before === 0 || d.removed === 0 || maxFraction >= 1 || d.removed <= minCount) return undefined;
  const fraction = d.removed / d.before;
  if (fraction <= maxFraction) return undefined;
  const floor = minCount > 0 ? ` (or ${minCount} ${minCount === 1 ? 'entry' : 'entries'})` : '';
  return {
    guard,
    outcome: 'reject',
    changeIds: [d.changeId],
    message: `${d.label} would lose ${d.removed} of ${d.before} entries (${pct(fraction)}), more than the ${pct(maxFraction)}${floor} allowed per run`,
  };
}

function pct(f: number): string {
  return `${Math.round(f * 1000) / 10} %`;
}

/**
 * The ids blocked by reject verdicts; for an atomic target, any rejection blocks every change (unless the target
 * withholds, see {@link holdBack}).
 */
export function blockedIds(changes: readonly Change[], verdicts: readonly GuardVerdict[], atomic: boolean): string[] {
  const rejected = new Set(verdicts.filter((v) => v.outcome === 'reject').flatMap((v) => v.changeIds));
  if (rejected.size === 0) return [];
  if (atomic) return changes.map((c) => c.id);
  return changes.filter((c) => rejected.has(c.id)).map((c) => c.id);
}

/** What a target plan ends up with once guards have spoken. */
export interface GuardedChanges<C extends Change> {
  readonly changes: C[];
  readonly verdicts: GuardVerdict[];
  readonly blocked: string[];
}

/**
 * Guards hold back the removal, never the grant. When verdicts reject changes and the target can `withhold` (see
 * `Target.withhold`), the rejected changes are replaced by what the target returns: under each rejected id the
 * destructive part alone, blocked; under new ids the grant-only parts, which run. Other changes run as returned (the
 * target may recompute them to stay consistent, e.g. a file mirroring its sets), and on an atomic target they are no
 * longer blocked wholesale: the target vouched for consistency by withholding.
 *
 * Fails closed: without `withhold`, when it returns undefined, or when its answer could take something away that no
 * guard passed (a new id marked destructive, a rejected id missing, duplicate ids), the rejection blocks as
 * {@link blockedIds} says. Pure.
 */
export function holdBack<C extends Change>(
  changes: readonly C[],
  verdicts: readonly GuardVerdict[],
  atomic: boolean,
  withhold?: (rejected: ReadonlySet<string>) => C[] | undefined,
): GuardedChanges<C> {
  const ids = new Set(changes.map((c) => c.id));
  const rejected = new Set(
    verdicts.filter((v) => v.outcome === 'reject').flatMap((v) => v.changeIds.filter((id) => ids.has(id))),
  );
  const plain = (): GuardedChanges<C> => ({
    changes: [...changes],
    verdicts: [...verdicts],
    blocked: blockedIds(changes, verdicts, atomic),
  });
  if (rejected.size === 0 || !withhold) return plain();
  const next = withhold(rejected);
  if (!next || !safeWithholding(changes, next, rejected)) return plain();
  return {
    changes: next,
    verdicts: verdicts.map((v) =>
      v.outcome === 'reject' && v.changeIds.some((id) => rejected.has(id))
        ? { ...v, message: `${v.message}; held back: only the removal waits, additions still apply` }
        : v,
    ),
    blocked: next.filter((c) => rejected.has(c.id)).map((c) => c.id),
  };
}

function safeWithholding(before: readonly Change[], after: readonly Change[], rejected: ReadonlySet<string>): boolean {
  const known = new Set(before.map((c) => c.id));
  const seen = new Set<string>();
  for (const c of after) {
    if (seen.has(c.id)) return false;
    seen.add(c.id);
    if (!known.has(c.id) && c.destructive) return false;
  }
  return [...rejected].every((id) => seen.has(id));
}
