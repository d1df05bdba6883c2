import { formatPrefix, parseRange, type Family, type Prefix } from '../../core/address.ts';
import { GatehouseError } from '../../core/errors.ts';
import { formatList, normalize, toPrefix } from './set-math.ts';
import type { ObservedSet, TableRef } from './types.ts';

/**
 * Parsing of `nft -j list set` output. nft 1.0.6 writes an interval set's elements as plain strings (`"10.0.0.1"`),
 * `{prefix: {addr, len}}`, `{range: [first, last]}` (what `auto-merge` makes of neighbours), and wraps any of them in
 * `{elem: {val, timeout, counter, …}}` when the set has per-element options. An empty set has no `elem` key at all.
 */

/** The prefixes one JSON element covers. @throws GatehouseError TARGET_FAILED for shapes nft does not write. */
export function parseElement(elem: unknown, origin: string): Prefix[] {
  try {
    if (typeof elem === 'string') return [toPrefix(elem, origin)];
    if (elem !== null && typeof elem === 'object') {
      const o = elem as Record<string, unknown>;
      if ('elem' in o) return parseElement((o.elem as Record<string, unknown> | null)?.val, origin);
      if ('prefix' in o) {
        const p = o.prefix as { addr?: unknown; len?: unknown } | null;
        if (typeof p?.addr === 'string' && typeof p.len === 'number') return [toPrefix(`${p.addr}/${p.len}`, origin)];
      }
      if ('range' in o && Array.isArray(o.range) && o.range.length === 2) {
        const [first, last] = o.range as unknown[];
        if (typeof first === 'string' && typeof last === 'string') return parseRange(first, last, origin);
      }
    }
  } catch (e) {
    throw new GatehouseError('TARGET_FAILED', `${origin}: nft listed an element gatehouse cannot read`, { cause: e });
  }
  throw new GatehouseError('TARGET_FAILED', `${origin}: unexpected element ${JSON.stringify(elem)?.slice(0, 200)}`);
}

/** How an IPv4-mapped IPv6 element is written, e.g. `::ffff:192.0.2.1` or `::ffff:192.0.2.0/120`. */
export function mappedText(p: Prefix): string {
  return p.length === 32 ? `::ffff:${p.address}` : `::ffff:${p.address}/${p.length + 96}`;
}

/**
 * Sorts parsed prefixes into what the set may hold (its family, aggregated) and stray elements (IPv4-mapped IPv6 in an
 * IPv6 set: parsePrefix turns them into IPv4, but in the kernel they sit in the IPv6 set and match nothing).
 */
export function classify(set: string, family: Family, prefixes: readonly Prefix[], origin: string): ObservedSet {
  const own: Prefix[] = [];
  const stray: string[] = [];
  for (const p of prefixes) {
    if (p.family === family) own.push(p);
    else if (family === 6) stray.push(mappedText(p));
    else throw new GatehouseError('TARGET_FAILED', `${origin}: IPv6 element ${formatPrefix(p)} in an IPv4 set`);
  }
  // The list itself when it is all of the set's family, so its memoized spans (see set-math.ts) are found.
  const held = normalize(own.length === prefixes.length ? prefixes : own);
  const observed = { set, family, elements: formatList(held), stray: [...new Set(stray)].sort() };
  parsed.set(observed, held);
  return observed;
}

/**
 * The prefixes an observation's elements were formatted from, by identity of the observation `classify` returned
 * (observations are plain JSON plan values, never mutated). The diff then need not parse 100k elements back, and the
 * prefix lists keep their memoized spans (see set-math.ts). A copy (a plan read from a file) finds nothing.
 */
const parsed = new WeakMap<ObservedSet, readonly Prefix[]>();

/** The prefixes `o`'s elements are, if `classify` made this very object; undefined otherwise. */
export function classifiedPrefixes(o: ObservedSet): readonly Prefix[] | undefined {
  return parsed.get(o);
}

/**
 * Parses `nft -j list set <family> <table> <set>` output into the set's contents, checking that the set is what
 * gatehouse can fill: the right address type and `flags interval`.
 * @throws GatehouseError TARGET_FAILED naming the set and what the host's nftables.conf must declare.
 */
export function parseSetListing(json: string, table: TableRef, set: string, family: Family): ObservedSet {
  const label = `set ${table.family} ${table.name} ${set}`;
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw new GatehouseError('TARGET_FAILED', `${label}: nft -j printed invalid JSON`, { cause: e });
  }
  const items = (doc as { nftables?: unknown } | null)?.nftables;
  const entry = Array.isArray(items)
    ? (items as { set?: Record<string, unknown> }[]).find((i) => i.set?.name === set)?.set
    : undefined;
  if (!entry) throw new GatehouseError('TARGET_FAILED', `${label}: not found in nft's listing`);
  const type = family === 4 ? 'ipv4_addr' : 'ipv6_addr';
  const flags = Array.isArray(entry.flags) ? (entry.flags as unknown[]) : [];
  if (entry.type !== type || !flags.includes('interval')) {
    throw new GatehouseError(
      'TARGET_FAILED',
      `${label} is declared as type ${JSON.stringify(entry.type)} flags ${JSON.stringify(flags)}; gatehouse needs ` +
        `"type ${type}; flags interval;" — fix the declaration in the host's nftables.conf`,
    );
  }
  const elems = Array.isArray(entry.elem) ? (entry.elem as unknown[]) : [];
  let ranges = false;
  const prefixes = elems.flatMap((e, i) => {
    if (!ranges && typeof e === 'object' && e !== null) ranges = isRange(e as Record<string, unknown>);
    return parseElement(e, `${label} element ${i}`);
  });
  const observed = classify(set, family, prefixes, label);
  facts.set(observed, {
    exact: !ranges && observed.stray.length === 0 && observed.elements.length === prefixes.length,
    // Elements with timeouts expire, and a dynamic set is filled from the packet path: neither shows in `nft monitor`.
    cacheable: !flags.includes('timeout') && !flags.includes('dynamic'),
  });
  return observed;
}

function isRange(e: Record<string, unknown>): boolean {
  if ('range' in e) return true;
  const val = (e.elem as Record<string, unknown> | null | undefined)?.val;
  return typeof val === 'object' && val !== null && 'range' in val;
}

/** What is known about an observed set beyond its contents (kept apart: observations are plain JSON plan values). */
export interface SetFacts {
  /**
   * Its elements are exactly the kernel's elements: none was a range split into prefixes, none merged with another,
   * no stray element. Then `delete element` of any of them names an element the kernel holds.
   */
  readonly exact: boolean;
  /** Only `nft monitor` events change it (no element timeouts, not filled from the packet path). */
  readonly cacheable: boolean;
}

const facts = new WeakMap<ObservedSet, SetFacts>();

/** The facts recorded for this very observation object; undefined for a copy or one not made by a listing or write. */
export function setFacts(o: ObservedSet | undefined): SetFacts | undefined {
  return o && facts.get(o);
}

/** Records facts of an observation gatehouse made itself (e.g. the contents its own transaction wrote). */
export function recordFacts(o: ObservedSet, f: SetFacts): void {
  facts.set(o, f);
}
