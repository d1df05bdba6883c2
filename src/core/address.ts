import { isIPv4, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';
import { GatehouseError } from './errors.ts';

/**
 * Addresses as gatehouse handles them: a prefix (address + length) in canonical form.
 * Only values that passed {@link parsePrefix} exist as `Prefix`, so nothing downstream (nft, LDAP) ever sees a string
 * it might interpret, e.g. resolve as a hostname.
 */
export type Family = 4 | 6;

export interface Prefix {
  readonly family: Family;
  /** Canonical text: dotted quad for IPv4, RFC 5952 for IPv6. */
  readonly address: string;
  readonly length: number;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };
const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/** A dotted quad in canonical form: decimal octets ≤ 255 without leading zeros. */
const V4_CANONICAL = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** `1.2.3.4` for a host, `10.0.0.0/8` otherwise. */
export function formatPrefix(p: Prefix): string {
  return p.length === BITS[p.family] ? p.address : `${p.address}/${p.length}`;
}

/**
 * Parses a literal address or a canonical CIDR. This is the one definition of "canonical" in gatehouse; every place an
 * address enters (config, sources, plan files, nft listings) goes through it.
 *
 * Accepted, and nothing else:
 * - IPv4: dotted quad, four decimal octets without leading zeros (`10.0.0.1`; not `010.0.0.1`, `0x7f.1`, `127.1`).
 * - IPv6: any RFC 4291 text form (`inet_pton`), hex digits in either case, `::` compressed or not, a trailing dotted
 *   quad allowed (`64:ff9b::192.0.2.1`). Output is RFC 5952 (`2001:DB8:0::1` → `2001:db8::1`).
 * - An optional `/length`: decimal without leading zeros (`/8`, not `/08`), at most 32 or 128, and no host bits set
 *   (`10.0.0.1/8` is almost always a typo for `10.0.0.0/8` or `10.0.0.1`).
 * - No whitespace anywhere (`" 1.2.3.4"` is refused: a value with stray characters is a value nobody checked), no zone
 *   ids (`fe80::1%eth0`: a zone is local to one host and cannot be allowlisted), no hostnames.
 *
 * IPv4-mapped IPv6 (`::ffff:1.2.3.4`, `::ffff:0:0/96`) becomes IPv4, because a mapped address in an IPv6 set never
 * matches IPv4 traffic; it then counts as its IPv4 width (`::ffff:0:0/96` is `0.0.0.0/0`). Every other IPv6 address
 * stays IPv6, including the deprecated IPv4-compatible form `::1.2.3.4` (that is `::102:304`, not `1.2.3.4`).
 *
 * Parsing says nothing about whether a prefix is too wide to grant; see {@link tooWide}.
 *
 * @param origin where the value came from, quoted in the error (e.g. `source office, addresses[3]`).
 * @throws GatehouseError SOURCE_INVALID_DATA naming the value and its origin.
 */
export function parsePrefix(raw: string, origin: string): Prefix {
  const fail = (why: string): never => {
    throw new GatehouseError('SOURCE_INVALID_DATA', `${origin}: invalid address ${JSON.stringify(raw)}: ${why}`, {
      terminal: true,
      details: { origin, value: raw },
    });
  };
  if (typeof raw !== 'string') return fail('not a string');
  const text = raw;
  if (text === '') return fail('empty');
  if (/\s/.test(text)) return fail('whitespace is not allowed');
  if (text.includes('%')) return fail('zone ids are not allowed');
  const slash = text.indexOf('/');
  const addrText = slash === -1 ? text : text.slice(0, slash);
  const lenText = slash === -1 ? undefined : text.slice(slash + 1);

  // Fast path for the common case, a canonical dotted quad: the same checks in plain numbers (geofeeds and nft
  // listings hold hundreds of thousands). Anything else, and every error, takes the general path below.
  if (isCanonicalV4Prefix(text)) {
    return { family: 4, address: addrText, length: lenText === undefined ? 32 : Number(lenText) };
  }

  let family: Family;
  if (isIPv4(addrText)) family = 4;
  else if (isIPv6(addrText)) family = 6;
  else return fail('not an IPv4 or IPv6 literal');

  let length = BITS[family];
  if (lenText !== undefined) {
    if (!/^\d{1,3}$/.test(lenText)) return fail('prefix length must be a number');
    if (lenText.length > 1 && lenText.startsWith('0')) return fail('prefix length has a leading zero');
    length = Number(lenText);
    if (length > BITS[family]) return fail(`prefix length exceeds ${BITS[family]}`);
  }

  let bytes = family === 4 ? ipaddr.IPv4.parse(addrText).toByteArray() : ipv6Bytes(addrText);
  if (family === 6 && isMapped(bytes)) {
    if (length < 96) return fail('IPv4-mapped prefix shorter than /96');
    family = 4;
    length -= 96;
    bytes = bytes.slice(12);
  }
  const value = bytesToBigInt(bytes);
  const hostBits = BITS[family] - length;
  const mask = (1n << BigInt(hostBits)) - 1n;
  if ((value & mask) !== 0n) {
    return fail(`host bits set; did you mean ${formatPrefix(fromBigInt(family, value & ~mask, length))}?`);
  }
  return fromBigInt(family, value, length);
}

/**
 * Whether `text.slice(start, end)` is a canonical IPv4 prefix that {@link parsePrefix} returns as written: a dotted quad
 * of decimal octets ≤ 255 without leading zeros, optionally `/length` (≤ 32, no leading zero), no host bits set. False
 * says nothing more: the text may still be valid in another form (IPv6, IPv4-mapped) or invalid; ask `parsePrefix`.
 * Allocates nothing, so a caller can check a field in place (a 200k-line geofeed) before deciding to build a value.
 */
export function isCanonicalV4Prefix(text: string, start = 0, end = text.length): boolean {
  let i = start;
  let value = 0;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (text.charCodeAt(i) !== 0x2e || i >= end) return false;
      i++;
    }
    const n = decimalAt(text, i, end, 3);
    if (n < 0 || n > 255) return false;
    value = value * 256 + n;
    i += n < 10 ? 1 : n < 100 ? 2 : 3;
  }
  if (i === end) return true;
  if (text.charCodeAt(i) !== 0x2f) return false;
  const length = decimalAt(text, i + 1, end, 2);
  if (length < 0 || length > 32 || i + 1 + (length < 10 ? 1 : 2) !== end) return false;
  return value % 2 ** (32 - length) === 0;
}

/**
 * The decimal number of at most `maxDigits` digits without a leading zero that starts at `i` (before `end`), or -1.
 * The digits end at the first non-digit; more than `maxDigits` of them is -1.
 */
function decimalAt(text: string, i: number, end: number, maxDigits: number): number {
  let n = 0;
  let digits = 0;
  for (let j = i; j < end; j++) {
    const c = text.charCodeAt(j);
    if (c < 0x30 || c > 0x39) break;
    if (++digits > maxDigits) return -1;
    n = n * 10 + (c - 0x30);
  }
  if (digits === 0 || (digits > 1 && text.charCodeAt(i) === 0x30)) return -1;
  return n;
}

/** `::ffff:0:0/96`: the first 80 bits zero, the next 16 one. */
function isMapped(bytes: readonly number[]): boolean {
  return bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * The 16 bytes of IPv6 text that `isIPv6` accepted. Not ipaddr.js: it reads any `::a.b.c.d` as IPv4-mapped, which
 * would turn the IPv6 address `::1.2.3.4` into the IPv4 address `1.2.3.4`.
 */
function ipv6Bytes(text: string): number[] {
  const groups = (part: string): number[] => {
    if (part === '') return [];
    return part.split(':').flatMap((g) => {
      if (!g.includes('.')) return [parseInt(g, 16)];
      const [a = 0, b = 0, c = 0, d = 0] = g.split('.').map(Number);
      return [a * 256 + b, c * 256 + d];
    });
  };
  const gap = text.indexOf('::');
  let words: number[];
  if (gap === -1) words = groups(text);
  else {
    const head = groups(text.slice(0, gap));
    const tail = groups(text.slice(gap + 2));
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/** Widest prefix lengths an allowlist takes without naming the prefix; see {@link tooWide}. */
export interface WidthPolicy {
  /** Shortest prefix length accepted per family, e.g. `{ 4: 8, 6: 32 }`. */
  readonly minLength: Readonly<Record<Family, number>>;
  /** Prefixes accepted whatever their width, as canonical text (`formatPrefix`), e.g. `10.0.0.0/8`. */
  readonly allow: ReadonlySet<string>;
}

/** The defaults: nothing wider than an IPv4 /8 or an IPv6 /32 unless named. */
export const DEFAULT_MIN_LENGTH: Readonly<Record<Family, number>> = { 4: 8, 6: 32 };

/**
 * Why `p` is too wide to grant under `policy`, or undefined when it is fine. A prefix shorter than the family's
 * `minLength` opens access to a large part of the internet (`0.0.0.0/0`, `::/0`): far more often a mistake or a
 * hostile feed than an intent, so it must be named in `allow` exactly. Pure.
 */
export function tooWide(p: Prefix, policy: WidthPolicy): string | undefined {
  const min = policy.minLength[p.family];
  if (p.length >= min) return undefined;
  const text = formatPrefix(p);
  if (policy.allow.has(text)) return undefined;
  return `${text} is wider than /${min} (IPv${p.family}); list it in allowWide to grant it`;
}

function bytesToBigInt(bytes: number[]): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function fromBigInt(family: Family, value: bigint, length: number): Prefix {
  const n = BITS[family] / 8;
  const bytes: number[] = new Array<number>(n);
  let v = value;
  for (let i = n - 1; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  const address =
    family === 4
      ? ipaddr.fromByteArray(bytes).toString()
      : (ipaddr.fromByteArray(bytes) as ipaddr.IPv6).toRFC5952String();
  return { family, address, length };
}

/** First address of a prefix as a number. */
export function prefixStart(p: Prefix): bigint {
  const v4 = p.family === 4 ? V4_CANONICAL.exec(p.address) : null;
  if (v4) return BigInt(((Number(v4[1]) * 256 + Number(v4[2])) * 256 + Number(v4[3])) * 256 + Number(v4[4]));
  return bytesToBigInt(p.family === 4 ? ipaddr.IPv4.parse(p.address).toByteArray() : ipv6Bytes(p.address));
}

function toRange(p: Prefix): [bigint, bigint] {
  const start = prefixStart(p);
  const size = 1n << BigInt(BITS[p.family] - p.length);
  return [start, start + size - 1n];
}

/** The inclusive range `[first, last]` as the minimal list of prefixes covering exactly it. */
export function rangeToPrefixes(family: Family, first: bigint, last: bigint): Prefix[] {
  const out: Prefix[] = [];
  const bits = BITS[family];
  let cur = first;
  while (cur <= last) {
    // Largest block aligned at `cur` that does not pass `last`.
    let size = 0;
    while (size < bits) {
      const next = size + 1;
      const blockMask = (1n << BigInt(next)) - 1n;
      if ((cur & blockMask) !== 0n || cur + blockMask > last) break;
      size = next;
    }
    out.push(fromBigInt(family, cur, bits - size));
    cur += 1n << BigInt(size);
  }
  return out;
}

/** Parses both ends of an nft range element into prefixes. */
export function parseRange(firstText: string, lastText: string, origin: string): Prefix[] {
  const a = parsePrefix(firstText, origin);
  const b = parsePrefix(lastText, origin);
  if (a.family !== b.family || a.length !== BITS[a.family] || b.length !== BITS[b.family]) {
    throw new GatehouseError('SOURCE_INVALID_DATA', `${origin}: invalid range ${firstText}-${lastText}`, {
      terminal: true,
    });
  }
  const [first] = toRange(a);
  const [last] = toRange(b);
  if (last < first) throw new GatehouseError('SOURCE_INVALID_DATA', `${origin}: empty range ${firstText}-${lastText}`);
  return rangeToPrefixes(a.family, first, last);
}

/**
 * The minimal sorted list of prefixes covering exactly the union of `prefixes` (overlaps and neighbours merged).
 * Sets with `flags interval` reject overlapping elements unless `auto-merge` is on, and with `auto-merge` the kernel
 * rewrites what it was given; comparing and writing aggregated lists makes both cases agree.
 */
export function aggregate(prefixes: Iterable<Prefix>): Prefix[] {
  // IPv4 ranges fit plain numbers (below 2^53): no BigInt per prefix for the bulk of a large feed.
  const v4: Span<number>[] = [];
  const v6: Span<bigint>[] = [];
  for (const p of prefixes) {
    if (p.family === 4) {
      const first = v4Start(p.address);
      v4.push({ first, last: first + 2 ** (32 - p.length) - 1, prefix: p });
    } else {
      const [first, last] = toRange(p);
      v6.push({ first, last, prefix: p });
    }
  }
  const out: Prefix[] = [];
  merge(
    v4,
    (n) => n + 1,
    (first, last) => rangeToPrefixes(4, BigInt(first), BigInt(last)),
    out,
  );
  merge(
    v6,
    (n) => n + 1n,
    (first, last) => rangeToPrefixes(6, first, last),
    out,
  );
  return out;
}

/** A prefix's inclusive range; `prefix` is set while the range is exactly that one input prefix. */
interface Span<N extends number | bigint> {
  readonly first: N;
  readonly last: N;
  readonly prefix?: Prefix;
}

/** Sorts `spans` and appends the prefixes of their union to `out`; `succ` is the next address, `cut` re-cuts a range. */
function merge<N extends number | bigint>(
  spans: Span<N>[],
  succ: (n: N) => N,
  cut: (first: N, last: N) => Prefix[],
  out: Prefix[],
): void {
  spans.sort((x, y) => (x.first < y.first ? -1 : x.first > y.first ? 1 : 0));
  let cur: Span<N> | undefined;
  for (const r of spans) {
    if (cur && r.first <= succ(cur.last)) {
      // Extended, the span is no single input prefix any more; a prefix inside it changes nothing.
      if (r.last > cur.last) cur = { first: cur.first, last: r.last };
    } else {
      if (cur) emit(out, cur, cut);
      cur = r;
    }
  }
  if (cur) emit(out, cur, cut);
}

/** An unmerged input prefix is already minimal and canonical: reuse it rather than rebuild it from numbers. */
function emit<N extends number | bigint>(out: Prefix[], s: Span<N>, cut: (first: N, last: N) => Prefix[]): void {
  if (s.prefix) out.push(s.prefix);
  else out.push(...cut(s.first, s.last));
}

/** First address of a canonical IPv4 address text (as every IPv4 `Prefix` holds) as a number. */
function v4Start(address: string): number {
  let value = 0;
  let octet = 0;
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === 0x2e) {
      value = value * 256 + octet;
      octet = 0;
    } else octet = octet * 10 + (c - 0x30);
  }
  return value * 256 + octet;
}

/** Number of addresses covered, for reports. */
export function addressCount(prefixes: readonly Prefix[]): bigint {
  let n = 0n;
  for (const p of prefixes) n += 1n << BigInt(BITS[p.family] - p.length);
  return n;
}
