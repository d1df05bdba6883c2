import { renderLine } from './render.ts';
import type { SenderDesired, SenderEntry, SenderObserved, TableChange } from './types.ts';
import type { MapType } from './config.ts';

/** What the table will hold after this run: desired entries, with every `keep` address exactly as observed. */
export function finalEntries(desired: SenderDesired, observed: SenderObserved): SenderEntry[] {
  if (desired.frozen) return [...observed.entries];
  const keep = new Set(desired.keep);
  const out = desired.entries.filter((e) => !keep.has(e.address));
  for (const e of observed.entries) if (keep.has(e.address)) out.push(e);
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

export function tableDelta(next: readonly SenderEntry[], observed: SenderObserved): TableDelta {
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
