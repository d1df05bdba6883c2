import { formatPrefix, type Prefix } from '../../core/address.ts';
import { renderInclude } from './render.ts';
import { classifiedPrefixes } from './elements.ts';
import { formatList, sameList, samePrefixes, subtract, toPrefix } from './set-math.ts';
import type {
  DesiredSet,
  NftChange,
  NftDesired,
  NftObserved,
  NftSetChange,
  ObservedSet,
  SetContents,
} from './types.ts';

/** `set inet filter db_allow_v4 (db-clients)`: how messages name a managed set. */
export function setLabel(d: NftDesired, s: Pick<DesiredSet, 'name' | 'set'>): string {
  return `set ${d.table.family} ${d.table.name} ${s.set} (${s.name})`;
}

/** Observed elements as prefixes; they are canonical text observe produced. */
export function observedPrefixes(o: ObservedSet | undefined): readonly Prefix[] {
  if (!o) return [];
  return classifiedPrefixes(o) ?? o.elements.map((e) => toPrefix(e, `observed set ${o.set}`));
}

export interface SetDelta {
  /** Entries the set holds now, stray ones included. */
  readonly before: number;
  readonly after: number;
  readonly add: readonly Prefix[];
  /** Formatted: address ranges losing access, then stray elements. */
  readonly remove: readonly string[];
  /** Entries now in the set that lose at least one address. */
  readonly lostEntries: number;
}

/**
 * What losing access means for one set: the address ranges removed, and how many observed entries lose at least one
 * address (stray elements always go). Comparing address coverage rather than element text means widening
 * `10.0.0.0/25` to `/24` is not reported as a removal. Pure.
 */
export function setDelta(desired: DesiredSet, observed: ObservedSet | undefined): SetDelta {
  // diff and guard both need it, on the same objects; on 100k-element sets it costs tens of ms.
  const cached = observed && memo.get(desired)?.get(observed);
  if (cached) return cached;
  const delta = computeDelta(desired, observed);
  if (observed) {
    const inner = memo.get(desired) ?? new WeakMap<ObservedSet, SetDelta>();
    inner.set(observed, delta);
    memo.set(desired, inner);
  }
  return delta;
}

/** Inputs are never mutated (they are plan values), so caching by identity is safe. */
const memo = new WeakMap<DesiredSet, WeakMap<ObservedSet, SetDelta>>();

function computeDelta(desired: DesiredSet, observed: ObservedSet | undefined): SetDelta {
  const before = observedPrefixes(observed);
  const removed = subtract(before, desired.prefixes);
  const added = subtract(desired.prefixes, before);
  const stray = observed?.stray ?? [];
  return {
    before: before.length + stray.length,
    after: desired.prefixes.length,
    add: added.prefixes,
    remove: [...formatList(removed.prefixes), ...stray],
    lostEntries: removed.affected + stray.length,
  };
}

/**
 * The contents each set change made here leads to: the desired prefixes it was computed from (validated and
 * aggregated by `desiredState`). Keyed by the change object itself, so only a change this process computed finds
 * them: a copy (a plan read from a file, an edited change) does not, and apply works its contents out from the delta,
 * validating every element.
 */
const planned = new WeakMap<NftSetChange, SetContents>();

/** The contents `change` leads to if this process computed it (see `planned`); undefined for any copy. */
export function plannedContents(change: NftSetChange): SetContents | undefined {
  return planned.get(change);
}

/** True when `o` lists exactly the desired elements (compared as numbers when `o` came from `classify`). */
function unchanged(s: DesiredSet, o: ObservedSet | undefined): boolean {
  const held = o && classifiedPrefixes(o);
  if (held) return samePrefixes(s.prefixes, held);
  return sameList(s.prefixes.map(formatPrefix), o?.elements ?? []);
}

/**
 * Pure, deterministic diff: one `nft-set` change per managed set whose contents differ (in config order), then one
 * `nft-include` change when the include file is missing or differs from what the desired state renders to. Each set
 * change carries only its delta (`add`, `remove`); apply turns it back into the set's full contents from the
 * observation the plan was verified against, and replaces the set with them.
 */
export function diffNftables(desired: NftDesired, observed: NftObserved): NftChange[] {
  const seen = new Map(observed.sets.map((s) => [s.set, s]));
  const changes: NftChange[] = [];
  // Rendered first: rendering records each desired list's formatted elements, which the set deltas below then reuse
  // for the elements they add (and apply reuses the rendered text for its batch).
  const content = desired.includeFile === null ? null : renderInclude(desired.target, desired.table, desired.sets);
  for (const s of desired.sets) {
    const o = seen.get(s.set);
    if ((o?.stray.length ?? 0) === 0 && unchanged(s, o)) continue;
    const d = setDelta(s, o);
    const change: NftSetChange = {
      kind: 'nft-set',
      id: `set:${s.set}`,
      summary: `${setLabel(desired, s)}: +${d.add.length} -${d.remove.length} (${d.before} → ${d.after} entries)`,
      destructive: d.remove.length > 0,
      add: [...formatList(d.add)],
      remove: d.remove,
      family: s.family,
      set: s.set,
    };
    planned.set(change, { set: s.set, family: s.family, prefixes: s.prefixes });
    changes.push(change);
  }
  if (desired.includeFile !== null && content !== null) {
    if (observed.include !== content) {
      const reason = observed.include === null ? 'missing' : 'outdated';
      changes.push({
        kind: 'nft-include',
        id: 'include',
        summary: `write include file ${desired.includeFile} (${reason})`,
        destructive: false,
        path: desired.includeFile,
        reason,
      });
    }
  }
  return changes;
}
