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

/** `1.2.3.4` for a host, `10.0.0.0/8` otherwise. */
export function formatPrefix(p: Prefix): string {
  return p.length === BITS[p.family] ? p.address : `${p.address}/${p.length}`;
}

/**
 * Parses a literal address or a canonical CIDR.
 *
 * Accepts only what `inet_pton` accepts (no `0x7f.1`, no hostnames), rejects zone ids (`fe80::1%eth0`: a zone is local to
 * one host and cannot be allowlisted), rejects CIDRs with host bits set (`10.0.0.1/8` is almost always a typo), and
 * converts IPv4-mapped IPv6 (`::ffff:1.2.3.4`) to IPv4 because a mapped address in an IPv6 set never matches IPv4
 * traffic.
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
  const text = raw.trim();
  if (text === '') return fail('empty');
  if (text.includes('%')) return fail('zone ids are not allowed');
  const slash = text.indexOf('/');
  const addrText = slash === -1 ? text : text.slice(0, slash);
  const lenText = slash === -1 ? undefined : text.slice(slash + 1);

  let family: Family;
  if (isIPv4(addrText)) family = 4;
  else if (isIPv6(addrText)) family = 6;
  else return fail('not an IPv4 or IPv6 literal');

  let length = BITS[family];
  if (lenText !== undefined) {
    if (!/^\d{1,3}$/.test(lenText)) return fail('prefix length must be a number');
    length = Number(lenText);
    if (length > BITS[family]) return fail(`prefix length exceeds ${BITS[family]}`);
  }

  let bytes = ipaddr.parse(addrText).toByteArray();
  if (family === 6) {
    const v6 = ipaddr.IPv6.parse(addrText);
    if (v6.isIPv4MappedAddress()) {
      if (length < 96) return fail('IPv4-mapped prefix shorter than /96');
      family = 4;
      length -= 96;
      bytes = v6.toIPv4Address().toByteArray();
    }
  }
  const value = bytesToBigInt(bytes);
  const hostBits = BITS[family] - length;
  const mask = (1n << BigInt(hostBits)) - 1n;
  if ((value & mask) !== 0n) {
    return fail(`host bits set; did you mean ${formatPrefix(fromBigInt(family, value & ~mask, length))}?`);
  }
  return fromBigInt(family, value, length);
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

function toRange(p: Prefix): [bigint, bigint] {
  const start = bytesToBigInt(ipaddr.parse(p.address).toByteArray());
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
  const byFamily: Record<Family, [bigint, bigint][]> = { 4: [], 6: [] };
  for (const p of prefixes) byFamily[p.family].push(toRange(p));
  const out: Prefix[] = [];
  for (const family of [4, 6] as const) {
    const ranges = byFamily[family].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    let cur: [bigint, bigint] | undefined;
    for (const r of ranges) {
      if (cur && r[0] <= cur[1] + 1n) {
        if (r[1] > cur[1]) cur[1] = r[1];
      } else {
        if (cur) out.push(...rangeToPrefixes(family, cur[0], cur[1]));
        cur = [r[0], r[1]];
      }
    }
    if (cur) out.push(...rangeToPrefixes(family, cur[0], cur[1]));
  }
  return out;
}

/** Number of addresses covered, for reports. */
export function addressCount(prefixes: readonly Prefix[]): bigint {
  let n = 0n;
  for (const p of prefixes) n += 1n << BigInt(BITS[p.family] - p.length);
  return n;
}
