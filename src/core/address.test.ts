import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressCount, aggregate, formatPrefix, parsePrefix, parseRange } from './address.ts';
import { GatehouseError } from './errors.ts';

describe('parsePrefix', () => {
  const ok: [string, string][] = [
    ['1.2.3.4', '1.2.3.4'],
    [' 10.0.0.0/8 ', '10.0.0.0/8'],
    ['10.0.0.0/32', '10.0.0.0'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0:0:0:0:0/32', '2001:db8::/32'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.0/120', '192.0.2.0/24'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['::/0', '::/0'],
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
    ['1.2.3.4 } ; flush ruleset', /not an IPv4 or IPv6 literal/],
    ['::ffff:1.2.3.0/90', /shorter than \/96/],
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
