import type { TableRef } from './types.ts';

/**
 * One line of plain-text `nft monitor` (nftables 1.0.6). Per committed transaction, nft prints its events, one per
 * line, then `# new generation N by process P (nft)`. `nft monitor -j` omits the generation lines, so the text form is
 * the one read. A `flush set` shows as one `delete element` per element; `flush ruleset` as deletions of every table.
 */
export type MonitorLine =
  | { readonly kind: 'generation'; readonly generation: number; readonly pid: number }
  /** `# ERROR: We lost some netlink events!` (the netlink socket overflowed) or any other error nft reports. */
  | { readonly kind: 'lost'; readonly text: string }
  | {
      readonly kind: 'event';
      readonly op: string;
      /** `table`, `set`, `map`, `element`, `chain`, `rule`, … */
      readonly object: string;
      readonly family: string;
      readonly table: string;
      /** The object's name (set, chain), or the set of an element event; absent for table events. */
      readonly name?: string;
    }
  /** Anything else: its meaning is not known, so it may have touched anything. */
  | { readonly kind: 'unknown'; readonly text: string };

const GENERATION = /^# new generation (\d+) by process (\d+) /;
const EVENT =
  /^(add|create|delete|destroy|replace|insert|update) (ct helper|ct timeout|ct expectation|[a-z]+) (ip|ip6|inet|arp|bridge|netdev) ([^\s{}]+)(?: ([^\s{}]+))?(?: |$)/;

/** Classifies one monitor line. Pure. */
export function parseMonitorLine(line: string): MonitorLine {
  const g = GENERATION.exec(line);
  if (g) return { kind: 'generation', generation: Number(g[1]), pid: Number(g[2]) };
  if (line.startsWith('# ERROR')) return { kind: 'lost', text: line };
  const m = EVENT.exec(line);
  if (!m) return { kind: 'unknown', text: line };
  return {
    kind: 'event',
    op: m[1] as string,
    object: m[2] as string,
    family: m[3] as string,
    table: m[4] as string,
    ...(m[5] === undefined ? {} : { name: m[5] }),
  };
}

/**
 * Which managed sets one committed transaction may have changed, from its event lines: `'all'` when it cannot be told
 * (an unknown line, the table itself added or deleted), otherwise the names of the managed sets whose elements were
 * added or deleted or which were themselves added or deleted. Events of other tables, of other sets, and of chains and
 * rules change no managed set's contents. Pure.
 */
export function touchedSets(
  events: readonly MonitorLine[],
  table: TableRef,
  managed: ReadonlySet<string>,
): 'all' | Set<string> {
  const touched = new Set<string>();
  for (const e of events) {
    if (e.kind === 'generation') continue;
    if (e.kind !== 'event') return 'all';
    if (e.family !== table.family || e.table !== table.name) continue;
    if (e.object === 'table') return 'all';
    if (e.object === 'element' || e.object === 'set' || e.object === 'map') {
      if (e.name === undefined) return 'all';
      if (managed.has(e.name)) touched.add(e.name);
    }
  }
  return touched;
}
