import { diffNftables, observedPrefixes, setLabel } from './diff.ts';
import { normalize } from './set-math.ts';
import type { NftChange, NftDesired, NftObserved, NftSetChange } from './types.ts';

/**
 * The nftables side of `Target.withhold`: when guards reject set changes, each such set becomes what it holds now plus
 * what it should gain (old ∪ new) under the id `set:<name>:grant`, while the rejected change stays under its own id
 * with only its removals, blocked. The include file is recomputed from the same withheld state, so a reboot restores
 * what the kernel holds rather than the removal the guards held back. Unrejected set changes are planned as before.
 *
 * The next run sees old ∪ new in the kernel and re-proposes only the removal, which the guards judge against the
 * larger set (replacing every node of a pool: 2 of 4 entries, within the default half).
 *
 * Undefined (the target then blocks as a whole) when a rejected change is not a set change, or when a set holds stray
 * elements: the grant-only replace would drop them, which is a removal. Pure.
 */
export function withholdNftables(
  changes: readonly NftChange[],
  rejected: ReadonlySet<string>,
  desired: NftDesired,
  observed: NftObserved,
): NftChange[] | undefined {
  const held = new Map<string, NftSetChange>();
  for (const c of changes) if (rejected.has(c.id) && c.kind === 'nft-set') held.set(c.set, c);
  if (held.size !== rejected.size) return undefined;
  const seen = new Map(observed.sets.map((o) => [o.set, o]));
  const effective: NftDesired = {
    ...desired,
    sets: desired.sets.map((s) =>
      held.has(s.set) ? { ...s, prefixes: normalize([...observedPrefixes(seen.get(s.set)), ...s.prefixes]) } : s,
    ),
  };
  const next = new Map(diffNftables(effective, observed).map((c) => [c.id, c]));
  const out: NftChange[] = [];
  for (const s of desired.sets) {
    const id = `set:${s.set}`;
    const original = held.get(s.set);
    if (!original) {
      const c = next.get(id);
      if (c) out.push(c);
      continue;
    }
    const grant = next.get(id);
    if (grant?.kind === 'nft-set') {
      if (grant.destructive) return undefined;
      out.push({
        ...grant,
        id: `${id}:grant`,
        summary: `${grant.summary}; grant only, removals held back`,
      });
    }
    const label = setLabel(desired, s);
    out.push({
      ...original,
      add: [],
      summary: `${label}: -${original.remove.length} held back by guards (removed once the guards pass)`,
    });
  }
  const include = next.get('include');
  if (include) out.push(include);
  return out;
}
