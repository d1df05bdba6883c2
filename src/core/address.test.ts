import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addressCount,
  aggregate,
  DEFAULT_MIN_LENGTH,
  formatPrefix,
  isCanonicalV4Prefix,
  parsePrefix,
  parseRange,
  prefixStart,
  rangeToPrefixes,
  tooWide,
  type Prefix,
} from './address.ts';
import { GatehouseError } from './errors.ts';

describe('parsePrefix', () => {
  const ok: [string, string][] = [
    ['1.2.3.4', '1.2.3.4'],
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.0.0.0/32', '10.0.0.0'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0:0:0:0:0/32', '2001:db8::/32'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.0/120', '192.0.2.0/24'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['::/0', '::/0'],
    ['::ffff:0:0/96', '0.0.0.0/0'],
    // IPv4-compatible (deprecated) and other embedded-IPv4 forms are IPv6 and stay IPv6.
    ['::1.2.3.4', '::102:304'],
    ['::0.0.0.0/96', '::/96'],
    ['::0.0.0.0', '::'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
    ['::ffff:1.2.3.4/128', '1.2.3.4'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1::', '1::'],
    ['0.0.0.0/0', '0.0.0.0/0'],
  ];
  for (const [input, want] of ok) {
    it(`accepts ${input} as ${want}`, () => assert.equal(formatPrefix(parsePrefix(input, 'test')), want));
  }

  const bad: [string, RegExp][] = [
    ['localhost', /not an IPv4 or IPv6 literal/],
    ['example.com', /not an IPv4 or IPv6 literal/],
    ['0x7f.1', /not an IPv4 or IPv6 literal/],
    ['127.1', /not an IPv4 or IPv6 literal/],
    ['1.2.3.4.5', /not an IPv4 or IPv6 literal/],
    ['fe80::1%eth0', /zone ids/],
    ['10.0.0.1/8', /host bits set; did you mean 10\.0\.0\.0\/8/],
    ['10.0.0.0/33', /exceeds 32/],
    ['10.0.0.0/-1', /must be a number/],
    ['10.0.0.0/', /must be a number/],
    ['', /empty/],
    ['1.2.3.4 } ; flush ruleset', /whitespace/],
    ['1.2.3.4};flush', /not an IPv4 or IPv6 literal/],
    ['::ffff:1.2.3.0/90', /shorter than \/96/],
    [' 1.2.3.4', /whitespace/],
    ['1.2.3.4 ', /whitespace/],
    ['1.2.3.4\n', /whitespace/],
    ['10.0.0.0/ 8', /whitespace/],
    ['10.0.0.0/08', /leading zero/],
    ['2001:db8::/032', /leading zero/],
    ['010.0.0.1', /not an IPv4 or IPv6 literal/],
    ['1.2.3.04', /not an IPv4 or IPv6 literal/],
    ['1.2.3.4/24', /host bits set; did you mean 1\.2\.3\.0\/24/],
    ['::1.2.3.4/96', /host bits set; did you mean ::\/96/],
  ];
  for (const [input, why] of bad) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parsePrefix(input, 'source x: addresses[2]'),
        (e: unknown) =>
          e instanceof GatehouseError &&
          e.code === 'SOURCE_INVALID_DATA' &&
          why.test(e.message) &&
          e.message.startsWith('source x: addresses[2]: '),
      );
    });
  }
});

describe('aggregate', () => {
  const cases: { name: string; input: string[]; want: string[] }[] = [
    { name: 'empty', input: [], want: [] },
    { name: 'dedupes', input: ['1.2.3.4', '1.2.3.4'], want: ['1.2.3.4'] },
    { name: 'covered prefix removed', input: ['10.0.0.0/8', '10.1.0.0/16'], want: ['10.0.0.0/8'] },
    { name: 'neighbours merged', input: ['10.0.0.0/25', '10.0.0.128/25'], want: ['10.0.0.0/24'] },
    {
      name: 'unaligned neighbours stay split',
      input: ['10.0.0.128/25', '10.0.1.0/25'],
      want: ['10.0.0.128/25', '10.0.1.0/25'],
    },
    {
      name: 'v4 before v6, sorted',
      input: ['2001:db8::/32', '9.9.9.9', '1.1.1.1'],
      want: ['1.1.1.1', '9.9.9.9', '2001:db8::/32'],
    },
    { name: 'adjacent hosts', input: ['10.0.0.0', '10.0.0.1', '10.0.0.2'], want: ['10.0.0.0/31', '10.0.0.2'] },
    {
      name: 'the ends of the IPv4 space',
      input: ['255.255.255.255', '255.255.255.254', '0.0.0.1', '0.0.0.0/32'],
      want: ['0.0.0.0/31', '255.255.255.254/31'],
    },
    { name: 'everything', input: ['128.0.0.0/1', '0.0.0.0/1', '10.0.0.0/8'], want: ['0.0.0.0/0'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = aggregate(c.input.map((x) => parsePrefix(x, 't'))).map(formatPrefix);
      assert.deepEqual(got, c.want);
    });
  }
});

describe('parseRange', () => {
  it('splits a range into minimal prefixes', () => {
    assert.deepEqual(parseRange('10.0.0.1', '10.0.0.6', 't').map(formatPrefix), [
      '10.0.0.1',
      '10.0.0.2/31',
      '10.0.0.4/31',
      '10.0.0.6',
    ]);
    assert.equal(addressCount(parseRange('10.0.0.0', '10.0.255.255', 't')), 65536n);
  });
  it('rejects mixed families', () => {
    assert.throws(() => parseRange('10.0.0.1', '::1', 't'), /invalid range/);
  });
});

describe('tooWide', () => {
  const policy = { minLength: DEFAULT_MIN_LENGTH, allow: new Set(['10.0.0.0/7', '2000::/3']) };
  const cases: [string, RegExp | undefined][] = [
    ['0.0.0.0/0', /0\.0\.0\.0\/0 is wider than \/8 \(IPv4\); list it in allowWide/],
    ['::/0', /::\/0 is wider than \/32 \(IPv6\)/],
    // A mapped prefix counts as its IPv4 width.
    ['::ffff:0:0/96', /0\.0\.0\.0\/0 is wider than \/8 \(IPv4\)/],
    ['::ffff:12.0.0.0/103', /12\.0\.0\.0\/7 is wider than \/8 \(IPv4\)/],
    ['::ffff:10.0.0.0/104', undefined],
    // IPv4-compatible stays IPv6 and is judged as IPv6.
    ['::0.0.0.0/96', undefined],
    ['::/31', /wider than \/32/],
    ['11.0.0.0/8', undefined],
    ['12.0.0.0/7', /12\.0\.0\.0\/7 is wider than \/8/],
    ['10.0.0.0/7', undefined],
    ['2000::/3', undefined],
    ['2001:db8::/32', undefined],
    ['192.0.2.1', undefined],
  ];
  for (const [input, want] of cases) {
    it(`${input}: ${want === undefined ? 'accepted' : 'refused'}`, () => {
      const got = tooWide(parsePrefix(input, 't'), policy);
      if (want === undefined) assert.equal(got, undefined);
      else assert.match(got ?? '', want);
    });
  }
  it('allows exactly the named prefix, not one inside or around it', () => {
    const only = { minLength: DEFAULT_MIN_LENGTH, allow: new Set(['10.0.0.0/7']) };
    assert.notEqual(tooWide(parsePrefix('8.0.0.0/6', 't'), only), undefined);
    assert.equal(tooWide(parsePrefix('10.0.0.0/7', 't'), only), undefined);
  });
});

describe('aggregate agrees with merging ranges and re-cutting them into prefixes', () => {
  it('on random overlapping, nested, adjacent and duplicate IPv4 and IPv6 prefixes', () => {
    let a = 7;
    const r = (n: number) => (a = (Math.imul(a, 1103515245) + 12345) >>> 0) % n;
    const input: Prefix[] = [];
    for (let i = 0; i < 3000; i++) {
      // Within 10.0.0.0/16 and 2001:db8::/112, blocks of 1 to 1024 addresses: plenty of overlap and adjacency.
      const family = r(3) > 0 ? 4 : 6;
      const bits = family === 4 ? 32 : 128;
      const len = bits - r(11);
      const offset = BigInt(r(1 << 16));
      const block = 1n << BigInt(bits - len);
      const base = family === 4 ? 10n << 24n : 0x20010db8n << 96n;
      const [p] = rangeToPrefixes(
        family,
        base + offset - (offset % block),
        base + offset - (offset % block) + block - 1n,
      );
      input.push(p ?? fail());
    }
    const reference = ([4, 6] as const).flatMap((family) => {
      const ranges = input
        .filter((p) => p.family === family)
        .map((p) => [prefixStart(p), prefixStart(p) + (1n << BigInt((family === 4 ? 32 : 128) - p.length)) - 1n])
        .sort((x, y) => (x[0]! < y[0]! ? -1 : x[0]! > y[0]! ? 1 : 0));
      const out: Prefix[] = [];
      let cur: bigint[] | undefined;
      for (const [f, l] of ranges) {
        if (cur && f! <= cur[1]! + 1n) cur = [cur[0]!, l! > cur[1]! ? l! : cur[1]!];
        else {
          if (cur) out.push(...rangeToPrefixes(family, cur[0]!, cur[1]!));
          cur = [f!, l!];
        }
      }
      if (cur) out.push(...rangeToPrefixes(family, cur[0]!, cur[1]!));
      return out;
    });
    assert.deepEqual(aggregate(input).map(formatPrefix), reference.map(formatPrefix));
    assert.deepEqual(aggregate(input).map(formatPrefix), aggregate(aggregate(input)).map(formatPrefix));
  });
});

function fail(): never {
  throw new Error('no prefix');
}

describe('isCanonicalV4Prefix', () => {
  const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
  /** The definition it implements without allocating: canonical quad, canonical length, no host bits. */
  const reference = (text: string): boolean => {
    const m = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}(?:/(3[0-2]|[12]?\\d))?$`).exec(text);
    if (!m) return false;
    const value = ((Number(m[1]) * 256 + Number(m[2])) * 256 + Number(m[3])) * 256 + Number(m[4]);
    return value % 2 ** (32 - (m[5] === undefined ? 32 : Number(m[5]))) === 0;
  };
  const SAMPLES = [
    '0.0.0.0/0',
    '10.0.0.0/8',
    '10.0.0.1/8',
    '192.0.2.5',
    '255.255.255.255/32',
    '255.255.255.254/31',
    '256.0.0.0',
    '010.0.0.0',
    '1.2.3.4/08',
    '1.2.3.4/33',
    '1.2.3.4/',
    '1.2.3.4/32/1',
    '1.2.3',
    '1.2.3.4.5',
    '1..2.3',
    '1.2.3.4 ',
    '1234.0.0.0',
    '1.2.3.0/24x',
    '::ffff:1.2.3.4',
    '',
    '/',
  ];

  it('accepts exactly the canonical IPv4 prefixes, which parsePrefix returns as written', () => {
    let a = 7;
    const r = () => (a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const pick = (xs: string[]) => xs[Math.floor(r() * xs.length)] as string;
    const OCTETS = ['0', '0', '0', '7', '10', '010', '00', '99', '100', '199', '249', '255', '256', '1000', ''];
    const LENGTHS = ['', '/0', '/1', '/8', '/08', '/24', '/29', '/30', '/32', '/33', '/', '/320'];
    const random = Array.from({ length: 5000 }, () => {
      const parts = Array.from({ length: r() < 0.9 ? 4 : pick(['3', '5']) === '3' ? 3 : 5 }, () => pick(OCTETS));
      return parts.join('.') + pick(LENGTHS);
    });
    let accepted = 0;
    for (const text of [...SAMPLES, ...random]) {
      const yes = isCanonicalV4Prefix(text);
      assert.equal(yes, reference(text), text);
      if (!yes) continue;
      accepted++;
      const slash = text.indexOf('/');
      assert.deepEqual(parsePrefix(text, 'test'), {
        family: 4,
        address: slash === -1 ? text : text.slice(0, slash),
        length: slash === -1 ? 32 : Number(text.slice(slash + 1)),
      });
    }
    assert.ok(accepted >= 100, `${accepted} accepted`);
  });

  it('reads a slice of a longer text in place', () => {
    const line = 'x,10.0.0.0/8,y';
    assert.equal(isCanonicalV4Prefix(line, 2, 12), true);
    assert.equal(isCanonicalV4Prefix(line, 2, 11), false, '10.0.0.0/ has no length');
    assert.equal(isCanonicalV4Prefix(line, 2, 13), false);
    assert.equal(isCanonicalV4Prefix(line, 1, 12), false);
  });
});
