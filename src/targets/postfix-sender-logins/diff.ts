import { renderLine } from './render.ts';
import type { SenderDesired, SenderEntry, SenderObserved, TableChange } from './types.ts';
import type { MapType } from './config.ts';

/**
 * What the table will hold after this run: desired entries, with every `keep` address exactly as observed. Asked by
 * the diff and again by the guard of one run (220k entries for 100k people): kept with the desired state, weakly, for
 * the observation it was made from. Callers must not modify the list.
 */
export function finalEntries(desired: SenderDesired, observed: SenderObserved): readonly SenderEntry[] {
  const memo = finals.get(desired);
  if (memo?.observed === observed) return memo.entries;
  const entries = computeFinalEntries(desired, observed);
  finals.set(desired, { observed, entries });
  return entries;
}
const finals = new WeakMap<
  SenderDesired,
  { readonly observed: SenderObserved; readonly entries: readonly SenderEntry[] }
>();

function computeFinalEntries(desired: SenderDesired, observed: SenderObserved): readonly SenderEntry[] {
  if (desired.frozen) return [...observed.entries];
  // Nothing kept as observed (the rule): the desired entries, sorted as desiredState makes them, are the table as they
  // are, without a copy of 220k entries and a sort that finds them in order.
  if (desired.keep.length === 0 && nonDecreasing(desired.entries)) return desired.entries;
  const keep = new Set(desired.keep);
  const out = desired.entries.filter((e) => !keep.has(e.address));
  const seen = observed.entries;
  for (let i = 0; i < seen.length; i++)
    if (keep.has((seen[i] as SenderEntry).address)) out.push(seen[i] as SenderEntry);
  return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

/** How the table changes: entries added, entries that disappear or lose a login, and display lines for both. */
export interface TableDelta {
  readonly before: number;
  readonly after: number;
  /** Observed entries that disappear or lose at least one login. */
  readonly shrunk: number;
  readonly add: readonly string[];
  readonly remove: readonly string[];
}

/**
 * What changes from the observed table to `next`: per address, logins gained (`add`) and logins lost or the entry gone
 * (`remove`, counted in `shrunk`), adds in `next` order and removes in observed order.
 */
export function tableDelta(next: readonly SenderEntry[], observed: SenderObserved): TableDelta {
  return ascending(next) && ascending(observed.entries)
    ? tableDeltaSorted(next, observed)
    : tableDeltaByAddress(next, observed);
}

/** True when no address is below the one before. */
function nonDecreasing(entries: readonly SenderEntry[]): boolean {
  for (let i = 1; i < entries.length; i++)
    if ((entries[i - 1] as SenderEntry).address > (entries[i] as SenderEntry).address) return false;
  return true;
}

/** True when addresses strictly increase: sorted, each once (as desired state and a parsed table always are). */
function ascending(entries: readonly SenderEntry[]): boolean {
  for (let i = 1; i < entries.length; i++)
    if (!((entries[i - 1] as SenderEntry).address < (entries[i] as SenderEntry).address)) return false;
  return true;
}

/**
 * Both lists sorted by address, each address once: one walk through both, in step. The same delta as
 * {@link tableDeltaByAddress} (adds in `next` order, removes in observed order), without two maps of every entry
 * (220k entries for 100k people, most of this diff's time).
 */
function tableDeltaSorted(next: readonly SenderEntry[], observed: SenderObserved): TableDelta {
  const now = observed.entries;
  const add: string[] = [];
  const remove: string[] = [];
  let shrunk = 0;
  let i = 0;
  let j = 0;
  while (i < next.length || j < now.length) {
    const w = next[i];
    const h = now[j];
    if (w !== undefined && (h === undefined || w.address < h.address)) {
      if (w.logins.length > 0) add.push(`${w.address} → ${w.logins.join(',')}`);
      i++;
    } else if (h !== undefined && (w === undefined || h.address < w.address)) {
      shrunk++;
      remove.push(h.logins.length > 0 ? `${h.address} → ${h.logins.join(',')}` : h.address);
      j++;
    } else if (w !== undefined && h !== undefined) {
      if (!sameList(h.logins, w.logins)) {
        const had = new Set(h.logins);
        const gained = w.logins.filter((l) => !had.has(l));
        if (gained.length > 0) add.push(`${w.address} → ${gained.join(',')}`);
        const has = new Set(w.logins);
        const lost = h.logins.filter((l) => !has.has(l));
        if (lost.length > 0) {
          shrunk++;
          remove.push(`${h.address} → ${lost.join(',')}`);
        }
      }
      i++;
      j++;
    }
  }
  return { before: now.length, after: next.length, shrunk, add, remove };
}

/** Any order (hand-built lists): the entries of each address found through a map; the last entry of an address wins. */
function tableDeltaByAddress(next: readonly SenderEntry[], observed: SenderObserved): TableDelta {
  const now = new Map(observed.entries.map((e) => [e.address, e.logins]));
  const want = new Map(next.map((e) => [e.address, e.logins]));
  const add: string[] = [];
  const remove: string[] = [];
  let shrunk = 0;
  // Most entries are unchanged: the same logins in the same order need no sets (the table has one entry per address).
  for (const [a, logins] of want) {
    if (sameList(now.get(a), logins)) continue;
    const had = new Set(now.get(a) ?? []);
    const gained = logins.filter((l) => !had.has(l));
    if (gained.length > 0) add.push(`${a} → ${gained.join(',')}`);
  }
  for (const [a, logins] of now) {
    if (sameList(want.get(a), logins)) continue;
    const has = new Set(want.get(a) ?? []);
    const lost = logins.filter((l) => !has.has(l));
    if (lost.length > 0 || !want.has(a)) {
      shrunk++;
      remove.push(lost.length > 0 ? `${a} → ${lost.join(',')}` : a);
    }
  }
  return { before: observed.entries.length, after: next.length, shrunk, add, remove };
}

function sameList(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Pure, deterministic diff: at most one change, which replaces the whole table (Postfix tables are swapped, never
 * patched). None when the live table already holds exactly the entries this run wants, or when there is no table
 * and nothing to write.
 */
export function diffSenderLogins(
  options: { readonly path: string; readonly mapType: MapType },
  desired: SenderDesired,
  observed: SenderObserved,
): TableChange[] {
  const next = finalEntries(desired, observed);
  if (!observed.exists && next.length === 0) return [];
  const d = tableDelta(next, observed);
  const same =
    observed.exists &&
    d.add.length === 0 &&
    d.remove.length === 0 &&
    observed.entries.length === next.length &&
    observed.entries.every((e, i) => renderLine(e) === renderLine(next[i] as SenderEntry));
  if (same) return [];
  return [
    {
      kind: 'postfix-sender-logins',
      id: `table:${options.path}`,
      summary: `${options.mapType}:${options.path}: ${d.after} entries (+${d.add.length} -${d.remove.length})`,
      destructive: d.shrunk > 0,
      path: options.path,
      mapType: options.mapType,
      lines: next.map(renderLine),
      add: d.add,
      remove: d.remove,
      before: d.before,
      after: d.after,
      shrunk: d.shrunk,
    },
  ];
}
