import { maxShrinkGuard, neverEmptyGuard } from '../../core/guards.ts';
import type { GuardVerdict } from '../../core/plan.ts';
import { setDelta, setLabel } from './diff.ts';
import type { NftChange, NftDesired, NftObserved } from './types.ts';

/**
 * Per changed set: never-empty (unless the allowlist has `allowEmpty: true`) and max-shrink (more than `maxShrink` of
 * the entries now in the set losing access in one run, beyond its `minCount` floor). A rejected set change is then
 * withheld (see withhold.ts): its additions still apply, its removals wait. Pure.
 */
export function guardNftables(
  changes: readonly NftChange[],
  desired: NftDesired,
  observed: NftObserved,
): GuardVerdict[] {
  const verdicts: GuardVerdict[] = [];
  for (const c of changes) {
    if (c.kind !== 'nft-set') continue;
    const s = desired.sets.find((x) => x.set === c.set);
    if (!s) continue;
    const d = setDelta(
      s,
      observed.sets.find((o) => o.set === c.set),
    );
    const delta = {
      label: setLabel(desired, s),
      changeId: c.id,
      before: d.before,
      after: d.after,
      removed: d.lostEntries,
    };
    const empty = neverEmptyGuard(delta, s.allowEmpty);
    if (empty) verdicts.push(empty);
    const shrink = maxShrinkGuard(delta, s.maxShrink);
    if (shrink) verdicts.push(shrink);
  }
  return verdicts;
}
