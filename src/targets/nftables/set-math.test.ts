import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregate, formatPrefix, parsePrefix, type Prefix } from '../../core/address.ts';
import {
  CANONICAL_V4,
  canonicalLength,
  canonicalV4Value,
  formatList,
  isAggregated,
  normalize,
  prefixRange,
  sameList,
  samePrefixes,
  subtract,
  toPrefix,
} from './set-math.ts';
import { prefixes } from './test-fixtures.ts';
import { rng } from '../../testing/rng.ts';

/** Random canonical prefixes inside 10.0.0.0/24 (small enough to check against sets of integers). */
function randomPrefixes(r: () => number, n: number): Prefix[] {
  return Array.from({ length: n }, () => {
    const len = 26 + Math.floor(r() * 7);
    const host = Math.floor(r() * 256) & ~((1 << (32 - len)) - 1) & 255;
    return parsePrefix(`10.0.0.${host}/${len}`, 'rng');
  });
}

/** Random canonical prefixes inside 2001:db8::/120. */
function randomV6(r: () => number, n: number): Prefix[] {
  return Array.from({ length: n }, () => {
    const len = 122 + Math.floor(r() * 7);
    const host = Math.floor(r() * 256) & ~((1 << (128 - len)) - 1) & 255;
    return parsePrefix(`2001:db8::${host.toString(16)}/${len}`, 'rng');
  });
}

const members = (ps: readonly Prefix[]) => {
  const out = new Set<bigint>();
  for (const p of ps) for (let [a, b] = prefixRange(p); a <= b; a++) out.add(a);
  return out;
};

describe('toPrefix', () => {
  const inputs = [
    '0.0.0.0',
    '255.255.255.255',
    '10.0.0.0/8',
    '0.0.0.0/0',
    '192.0.2.1/32',
    '1.2.3.4/31', // host bits set: the core's error
    '01.2.3.4', // leading zero: slow path decides
    '10.0.0.0/08',
    ' 10.0.0.1 ',
    '256.0.0.1',
    'localhost',
    '::ffff:192.0.2.1',
    '2001:db8::/32',
    '2001:DB8::1',
    'fe80::1%eth0',
    '',
  ];
  for (const text of inputs) {
    it(`agrees with parsePrefix on ${JSON.stringify(text)}`, () => {
      let expected: unknown;
      try {
        expected = parsePrefix(text, 'o');
      } catch (e) {
        expected = (e as Error).message;
      }
      let actual: unknown;
      try {
        actual = toPrefix(text, 'o');
      } catch (e) {
        actual = (e as Error).message;
      }
      assert.deepEqual(actual, expected);
    });
  }
});

describe('canonicalV4Value / canonicalLength', () => {
  it('accept exactly what CANONICAL_V4 accepts, on 200k random strings', () => {
    const r = rng(3);
    const alphabet = '0123456789./';
    const samples = [
      '0.0.0.0',
      '255.255.255.255/32',
      '1.2.3.4/0',
      '1.2.3.4/00',
      '1.2.3.4/33',
      '1.2.3.04',
      '1..2.3',
      '256.1.1.1',
    ];
    for (let i = 0; i < 200_000; i++) {
      const n = 1 + Math.floor(r() * 18);
      let t = '';
      for (let k = 0; k < n; k++) t += alphabet[Math.floor(r() * (r() < 0.7 ? 10 : alphabet.length))];
      samples.push(t);
    }
    for (const t of samples) {
      const slash = t.indexOf('/');
      const end = slash === -1 ? t.length : slash;
      const ours =
        canonicalV4Value(t, 0, end) !== -1 && (slash === -1 || canonicalLength(t, slash + 1, t.length, 32) !== -1);
      assert.equal(ours, CANONICAL_V4.test(t), JSON.stringify(t));
    }
  });

  it('computes the value', () => {
    assert.equal(canonicalV4Value('10.1.2.3'), 10 * 2 ** 24 + 1 * 2 ** 16 + 2 * 256 + 3);
    assert.equal(canonicalV4Value('255.255.255.255'), 2 ** 32 - 1);
  });
});

describe('normalize / isAggregated', () => {
  it('returns exactly what aggregate returns, for 500 random lists', () => {
    const r = rng(1);
    for (let i = 0; i < 500; i++) {
      const input = [...randomPrefixes(r, 1 + Math.floor(r() * 12)), ...prefixes('2001:db8::/127', '2001:db8::2')];
      const expected = aggregate(input);
      assert.deepEqual(normalize(input), expected);
      assert.equal(isAggregated(expected), true, expected.map(formatPrefix).join(' '));
    }
  });

  const cases: [string, string[], boolean][] = [
    ['empty', [], true],
    ['greedy cover of .1-.3', ['10.0.0.1', '10.0.0.2/31'], true],
    ['two halves that make a /24', ['10.0.0.0/25', '10.0.0.128/25'], false],
    ['unsorted', ['10.0.0.2', '10.0.0.0'], false],
    ['overlapping', ['10.0.0.0/24', '10.0.0.5'], false],
    ['IPv6 before IPv4', ['2001:db8::1', '10.0.0.1'], false],
    ['everything', ['0.0.0.0/0', '::/0'], true],
  ];
  for (const [name, list, expected] of cases) {
    it(`${name}: ${expected}`, () => assert.equal(isAggregated(prefixes(...list)), expected));
  }
});

describe('subtract', () => {
  it('matches set difference on integers, for 500 random pairs', () => {
    const r = rng(2);
    for (let i = 0; i < 500; i++) {
      const a = aggregate(randomPrefixes(r, 1 + Math.floor(r() * 8)));
      const b = aggregate(randomPrefixes(r, Math.floor(r() * 8)));
      const { prefixes: rest, affected } = subtract(a, b);
      const bm = members(b);
      assert.deepEqual(members(rest), new Set([...members(a)].filter((x) => !bm.has(x))));
      assert.equal(isAggregated(rest), true);
      const expectedAffected = a.filter((p) => [...members([p])].some((x) => !bm.has(x))).length;
      assert.equal(affected, expectedAffected);
    }
  });

  it('keeps untouched elements as they are and splits a partly covered one', () => {
    const { prefixes: rest, affected } = subtract(prefixes('10.0.0.0/24', '10.0.1.7'), prefixes('10.0.0.128/26'));
    assert.deepEqual(rest.map(formatPrefix), ['10.0.0.0/25', '10.0.0.192/26', '10.0.1.7']);
    assert.equal(affected, 2);
  });
});

/** A deep copy: the same prefixes in new objects and a new list, so nothing memoized for the original applies. */
const fresh = (ps: readonly Prefix[]): Prefix[] => ps.map((p) => ({ ...p }));

describe('memoized set math (results by list identity)', () => {
  it('subtract, isAggregated and samePrefixes give the same on reused lists as on fresh copies, for 300 rounds', () => {
    const r = rng(5);
    const pool: (readonly Prefix[])[] = [];
    for (let i = 0; i < 300; i++) {
      // Mostly lists seen before (memoized spans), in either role, some of them results of earlier subtractions.
      const families = () => {
        const k = r();
        const v4 = k < 0.66 ? randomPrefixes(r, Math.floor(r() * 10)) : [];
        const v6 = k > 0.33 ? randomV6(r, Math.floor(r() * 10)) : [];
        return aggregate([...v4, ...v6]);
      };
      const pick = () =>
        pool.length > 0 && r() < 0.7 ? (pool[Math.floor(r() * pool.length)] as readonly Prefix[]) : families();
      const a = pick();
      const b = pick();
      if (r() < 0.5) formatList(a); // the result's texts then come from a's
      const got = subtract(a, b);
      const expected = subtract(fresh(a), fresh(b));
      assert.deepEqual(got, expected);
      assert.deepEqual(formatList(got.prefixes), expected.prefixes.map(formatPrefix));
      const bm = members(b.filter((p) => p.family === 4));
      const bm6 = members(b.filter((p) => p.family === 6));
      for (const [f, m] of [
        [4, bm],
        [6, bm6],
      ] as const) {
        const rest = members(got.prefixes.filter((p) => p.family === f));
        const left = [...members(a.filter((p) => p.family === f))].filter((x) => !m.has(x));
        assert.deepEqual(rest, new Set(left));
      }
      assert.equal(isAggregated(got.prefixes), isAggregated(fresh(got.prefixes)));
      assert.equal(samePrefixes(a, b), sameList(a.map(formatPrefix), b.map(formatPrefix)));
      pool.push(a, b, got.prefixes);
    }
  });

  it('a list found aggregated once is not taken for aggregated when a different list has the same length', () => {
    const good = prefixes('10.0.0.0/25', '10.0.1.0/25');
    assert.equal(isAggregated(good), true);
    assert.equal(isAggregated(prefixes('10.0.0.0/25', '10.0.0.128/25')), false);
    assert.deepEqual(normalize(prefixes('10.0.0.0/25', '10.0.0.128/25')).map(formatPrefix), ['10.0.0.0/24']);
  });
});

describe('samePrefixes', () => {
  it('agrees with comparing the formatted elements, for 2000 random pairs (both families, near misses)', () => {
    const r = rng(6);
    const v6 = ['2001:db8::/127', '2001:db8::2', '2001:db8::4/126', '2001:db8::8'];
    for (let i = 0; i < 2000; i++) {
      const a = aggregate([...randomPrefixes(r, Math.floor(r() * 6)), ...prefixes(...v6.filter(() => r() < 0.5))]);
      // b: a itself, a copy, a copy with one element dropped, or an unrelated list.
      const k = r();
      const b =
        k < 0.25
          ? a
          : k < 0.5
            ? fresh(a)
            : k < 0.75
              ? fresh(a).filter((_, j) => j !== Math.floor(r() * a.length))
              : aggregate([...randomPrefixes(r, Math.floor(r() * 6)), ...prefixes(...v6.filter(() => r() < 0.5))]);
      assert.equal(samePrefixes(a, b), sameList(a.map(formatPrefix), b.map(formatPrefix)));
    }
  });

  it('tells a /32 from the /31 starting at it, and an IPv4 from an IPv6 list of the same length', () => {
    assert.equal(samePrefixes(prefixes('10.0.0.0'), prefixes('10.0.0.0/31')), false);
    assert.equal(samePrefixes(prefixes('0.0.0.1'), prefixes('::1')), false);
  });
});
