import {
  aggregate,
  formatPrefix,
  parsePrefix,
  prefixStart,
  rangeToPrefixes,
  type Family,
  type Prefix,
} from '../../core/address.ts';

/**
 * Set arithmetic on aggregated prefix lists, sized for 100k-element sets: core's `parsePrefix` and `aggregate` take
 * about 3 µs per element, which would add half a second to every replace of a 100k set. The fast paths here return
 * exactly what the core functions would (the unit tests compare them) and fall back to them for anything unusual.
 */

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/** A canonical dotted quad with an optional canonical prefix length; nothing else (no hostnames, no `0x7f`). */
export const CANONICAL_V4 = new RegExp(`^(${OCTET})\\.(${OCTET})\\.(${OCTET})\\.(${OCTET})(?:/(3[0-2]|[12]?\\d))?$`);

/**
 * The numeric value of canonical dotted-quad text in `text[from, to)` (decimal octets ≤ 255 without leading zeros,
 * exactly what `CANONICAL_V4` accepts without a length), or -1. Hand-rolled: it runs for every element on every
 * apply, and a regex with captures costs several times more on 100k elements.
 */
export function canonicalV4Value(text: string, from = 0, to = text.length): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1; // leading zero
      octet = octet * 10 + c - 48;
      if (++digits > 3 || octet > 255) return -1;
    } else return -1;
  }
  return dots === 3 && digits > 0 ? value * 256 + octet : -1;
}

/** The prefix length in `text[from, to)` if it is canonical decimal ≤ `max` (no leading zeros), or -1. */
export function canonicalLength(text: string, from: number, to: number, max: number): number {
  if (to - from < 1 || to - from > 3 || (to - from > 1 && text.charCodeAt(from) === 48)) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + c - 48;
  }
  return n <= max ? n : -1;
}

/**
 * Same result as `parsePrefix(text, origin)`; canonical IPv4 text skips the general parser.
 * @throws GatehouseError SOURCE_INVALID_DATA (from parsePrefix) for anything that is not an address or prefix.
 */
export function toPrefix(text: string, origin: string): Prefix {
  if (typeof text === 'string') {
    const slash = text.indexOf('/');
    const end = slash === -1 ? text.length : slash;
    const value = canonicalV4Value(text, 0, end);
    const length = slash === -1 ? 32 : canonicalLength(text, slash + 1, text.length, 32);
    if (value !== -1 && length !== -1 && value % 2 ** (32 - length) === 0) {
      return { family: 4, address: slash === -1 ? text : text.slice(0, slash), length };
    }
  }
  return parsePrefix(text, origin);
}

/**
 * Numeric range arithmetic per family: IPv4 in plain numbers (exact below 2^53, and several times faster than bigint
 * on 100k elements), IPv6 in bigint.
 */
interface Ops<N extends number | bigint> {
  readonly family: Family;
  /** First address of the prefix. */
  start(p: Prefix): N;
  /** Last address of a prefix of `length` starting at `start`. */
  end(start: N, length: number): N;
  next(x: N): N;
  prev(x: N): N;
  /** True when the aligned block [start, end] could not be doubled without leaving `..last`: greedy-maximal. */
  maximal(start: N, end: N, last: N): boolean;
  /** The greedy minimal list of prefixes covering [first, last]. */
  cover(first: N, last: N): Prefix[];
  /** Empty start and end arrays for `n` prefixes. */
  alloc(n: number): { starts: N[] | Float64Array; ends: N[] | Float64Array };
}

const V4: Ops<number> = {
  family: 4,
  start: (p) => canonicalV4Value(p.address),
  end: (start, length) => start + 2 ** (32 - length) - 1,
  next: (x) => x + 1,
  prev: (x) => x - 1,
  maximal(start, end, last) {
    const size = end - start + 1;
    return size === 2 ** 32 || start % (size * 2) !== 0 || start + size * 2 - 1 > last;
  },
  cover(first, last) {
    const out: Prefix[] = [];
    for (let cur = first; cur <= last;) {
      let size = 1;
      while (size < 2 ** 32 && cur % (size * 2) === 0 && cur + size * 2 - 1 <= last) size *= 2;
      const address = [
        Math.floor(cur / 16777216),
        Math.floor(cur / 65536) % 256,
        Math.floor(cur / 256) % 256,
        cur % 256,
      ];
      out.push({ family: 4, address: address.join('.'), length: 32 - Math.log2(size) });
      cur += size;
    }
    return out;
  },
  // Contiguous doubles (exact for IPv4): the later passes read them instead of the scattered Prefix objects.
  alloc: (n) => ({ starts: new Float64Array(n), ends: new Float64Array(n) }),
};

const V6: Ops<bigint> = {
  family: 6,
  start: (p) => prefixStart(p),
  end: (start, length) => start + (1n << BigInt(128 - length)) - 1n,
  next: (x) => x + 1n,
  prev: (x) => x - 1n,
  maximal(start, end, last) {
    const size = end - start + 1n;
    return size === 1n << 128n || start % (size * 2n) !== 0n || start + size * 2n - 1n > last;
  },
  cover: (first, last) => rangeToPrefixes(6, first, last),
  alloc: (n) => ({ starts: new Array<bigint>(n), ends: new Array<bigint>(n) }),
};

/** Inclusive numeric range a prefix covers (bigint for both families; for tests and reports). */
export function prefixRange(p: Prefix): readonly [bigint, bigint] {
  if (p.family === 6) {
    const s = V6.start(p);
    return [s, V6.end(s, p.length)];
  }
  const s = V4.start(p);
  return [BigInt(s), BigInt(V4.end(s, p.length))];
}

interface Spans<N extends number | bigint> {
  /** The one family of the list's prefixes. */
  readonly family: Family;
  readonly starts: ArrayLike<N>;
  readonly ends: ArrayLike<N>;
}

/**
 * Spans already computed, by list identity. Prefix lists are plan values, never mutated, and the same lists pass
 * through desired, diff, guard and apply: on a 100k-element set each recomputation reads 100k objects scattered over
 * the heap (tens of ms on a busy machine), and the steady-state pass would otherwise compute them about ten times.
 */
const spanMemo = new WeakMap<readonly Prefix[], Spans<number> | Spans<bigint>>();

/** Start and end addresses of each prefix (one family), in two flat arrays; memoized by list identity. */
function spans<N extends number | bigint>(ops: Ops<N>, prefixes: readonly Prefix[]): Spans<N> {
  const known = spanMemo.get(prefixes) as Spans<N> | undefined;
  if (known) return known;
  const { starts, ends } = ops.alloc(prefixes.length) as { starts: N[]; ends: N[] };
  for (let i = 0; i < prefixes.length; i++) {
    const p = prefixes[i] as Prefix;
    const s = ops.start(p);
    starts[i] = s;
    ends[i] = ops.end(s, p.length);
  }
  const out = { family: ops.family, starts, ends };
  if (prefixes.length > 0) spanMemo.set(prefixes, out as Spans<number> | Spans<bigint>);
  return out;
}

/**
 * Splits at the first IPv6 prefix; undefined if an IPv4 prefix follows an IPv6 one. A list of one family is returned
 * as itself (not copied), so its memoized spans are found.
 */
function byFamily(prefixes: readonly Prefix[]): [readonly Prefix[], readonly Prefix[]] | undefined {
  const known = spanMemo.get(prefixes)?.family;
  if (known !== undefined) return known === 4 ? [prefixes, []] : [[], prefixes];
  const split = prefixes.findIndex((p) => p.family === 6);
  if (split === -1) return [prefixes, []];
  const v6 = split === 0 ? prefixes : prefixes.slice(split);
  return v6.every((p) => p.family === 6) ? [prefixes.slice(0, split), v6] : undefined;
}

/**
 * True when `prefixes` is exactly what `aggregate` would return for them: IPv4 before IPv6, sorted, disjoint, and each
 * run of adjacent prefixes the greedy minimal cover of its range.
 */
export function isAggregated(prefixes: readonly Prefix[]): boolean {
  if (aggregatedLists.has(prefixes)) return true;
  const parts = byFamily(prefixes);
  const yes = parts !== undefined && aggregatedWith(V4, parts[0]) && aggregatedWith(V6, parts[1]);
  if (yes) aggregatedLists.add(prefixes);
  return yes;
}

/** Lists known to be aggregated (see `spanMemo` for why identity is safe). */
const aggregatedLists = new WeakSet<readonly Prefix[]>();

function aggregatedWith<N extends number | bigint>(ops: Ops<N>, prefixes: readonly Prefix[]): boolean {
  const { starts, ends } = spans(ops, prefixes);
  let i = 0;
  while (i < starts.length) {
    // Find the run [i, j] of adjacent prefixes.
    let j = i;
    while (j + 1 < starts.length) {
      const end = ends[j] as N;
      const next = starts[j + 1] as N;
      if (next <= end) return false;
      if (next !== ops.next(end)) break;
      j++;
    }
    const last = ends[j] as N;
    for (let k = i; k <= j; k++) if (!ops.maximal(starts[k] as N, ends[k] as N, last)) return false;
    i = j + 1;
  }
  return true;
}

/**
 * True when two of the sorted, disjoint `prefixes` (one family) touch: one ends right before the next starts. An
 * `auto-merge` set joins such neighbours into a range, so its elements are then not the prefixes written.
 */
export function hasAdjacent(prefixes: readonly Prefix[]): boolean {
  const parts = byFamily(prefixes);
  if (!parts) return true;
  return adjacentWith(V4, parts[0]) || adjacentWith(V6, parts[1]);
}

function adjacentWith<N extends number | bigint>(ops: Ops<N>, prefixes: readonly Prefix[]): boolean {
  const { starts, ends } = spans(ops, prefixes);
  for (let i = 0; i + 1 < starts.length; i++) if (starts[i + 1] === ops.next(ends[i] as N)) return true;
  return false;
}

/**
 * `aggregate(prefixes)`, skipping the work when the input is already aggregated (the usual case): then it is the
 * input list itself.
 */
export function normalize(prefixes: readonly Prefix[]): readonly Prefix[] {
  return isAggregated(prefixes) ? prefixes : aggregate(prefixes);
}

/** Formatted elements by prefix list (see `spanMemo` for why identity is safe). */
const formattedMemo = new WeakMap<readonly Prefix[], readonly string[]>();

/** `prefixes.map(formatPrefix)`, memoized by list identity (render.ts records what it formats). */
export function formatList(prefixes: readonly Prefix[]): readonly string[] {
  let texts = formattedMemo.get(prefixes);
  if (texts === undefined) formattedMemo.set(prefixes, (texts = prefixes.map(formatPrefix)));
  return texts;
}

/** Records `texts` as `prefixes.map(formatPrefix)`; the caller vouches that they are. */
export function recordFormatted(prefixes: readonly Prefix[], texts: readonly string[]): void {
  formattedMemo.set(prefixes, texts);
}

/**
 * True when two aggregated lists hold the same prefixes, in order: the same as comparing their formatted elements
 * (canonical text is one-to-one with start and length), on the flat spans instead of the prefix objects.
 */
export function samePrefixes(a: readonly Prefix[], b: readonly Prefix[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  const pa = byFamily(a);
  const pb = byFamily(b);
  if (!pa || !pb) return a.every((p, i) => p.family === b[i]?.family && formatPrefix(p) === formatPrefix(b[i]));
  return sameSpans(V4, pa[0], pb[0]) && sameSpans(V6, pa[1], pb[1]);
}

function sameSpans<N extends number | bigint>(ops: Ops<N>, a: readonly Prefix[], b: readonly Prefix[]): boolean {
  if (a.length !== b.length) return false;
  const x = spans(ops, a);
  const y = spans(ops, b);
  for (let i = 0; i < a.length; i++) if (x.starts[i] !== y.starts[i] || x.ends[i] !== y.ends[i]) return false;
  return true;
}

/**
 * The addresses of `a` not in `b`, aggregated, and how many elements of `a` hold addresses outside `b` (with `a` the
 * set's current contents and `b` the desired ones: how many entries lose some access). Both inputs must be
 * aggregated. Elements of `a` that `b` does not touch are returned as they are.
 */
export function subtract(
  a: readonly Prefix[],
  b: readonly Prefix[],
): { prefixes: readonly Prefix[]; affected: number } {
  const pa = byFamily(a);
  const pb = byFamily(b);
  if (!pa || !pb) return subtract(aggregate(a), aggregate(b));
  const r4 = subtractWith(V4, pa[0], pb[0]);
  const r6 = subtractWith(V6, pa[1], pb[1]);
  // A result of one family is normalized as it is, so the spans subtractWith recorded for it are found.
  const both =
    r6.prefixes.length === 0 ? r4.prefixes : r4.prefixes.length === 0 ? r6.prefixes : [...r4.prefixes, ...r6.prefixes];
  return { prefixes: normalize(both), affected: r4.affected + r6.affected };
}

function subtractWith<N extends number | bigint>(
  ops: Ops<N>,
  a: readonly Prefix[],
  b: readonly Prefix[],
): { prefixes: Prefix[]; affected: number } {
  const { starts: bStarts, ends: bEnds } = spans(ops, b);
  const { starts: aStarts, ends: aEnds } = spans(ops, a);
  const out: Prefix[] = [];
  // The spans of `out`, recorded as it grows: normalizing it then reads no prefix object.
  const outStarts: N[] = [];
  const outEnds: N[] = [];
  // And its formatted elements when those of `a` are known: untouched elements keep their text.
  const aTexts = formattedMemo.get(a);
  const outTexts: string[] | undefined = aTexts ? [] : undefined;
  const emit = (pieces: readonly Prefix[]) => {
    for (const p of pieces) {
      const ps = ops.start(p);
      out.push(p);
      outTexts?.push(formatPrefix(p));
      outStarts.push(ps);
      outEnds.push(ops.end(ps, p.length));
    }
  };
  let affected = 0;
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    const s = aStarts[i] as N;
    const e = aEnds[i] as N;
    while (j < bStarts.length && (bEnds[j] as N) < s) j++;
    let cur = s;
    let touched = false;
    let rest = 0;
    for (let k = j; k < bStarts.length && (bStarts[k] as N) <= e; k++) {
      const bs = bStarts[k] as N;
      const be = bEnds[k] as N;
      touched = true;
      if (bs > cur) {
        const pieces = ops.cover(cur, ops.prev(bs));
        rest += pieces.length;
        emit(pieces);
      }
      if (ops.next(be) > cur) cur = ops.next(be);
    }
    if (!touched) {
      out.push(a[i] as Prefix);
      outTexts?.push(aTexts?.[i] as string);
      outStarts.push(s);
      outEnds.push(e);
      affected++;
      continue;
    }
    if (cur <= e) {
      const pieces = ops.cover(cur, e);
      rest += pieces.length;
      emit(pieces);
    }
    if (rest > 0) affected++;
  }
  if (out.length > 0) {
    spanMemo.set(out, { family: ops.family, starts: outStarts, ends: outEnds } as Spans<number> | Spans<bigint>);
    if (outTexts) formattedMemo.set(out, outTexts);
  }
  return { prefixes: out, affected };
}

/** Element-wise equality of two lists. */
export function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]));
}
