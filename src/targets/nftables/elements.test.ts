import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregate, formatPrefix } from '../../core/address.ts';
import { classifiedPrefixes, classify, parseElement, parseSetListing } from './elements.ts';
import { renderBatch } from './render.ts';
import { prefixes } from './test-fixtures.ts';

const table = { family: 'inet', name: 'gh' } as const;

/** Wraps elements the way `nft -j list set` prints a set (captured from nft 1.0.6). */
const listing = (set: Record<string, unknown>) =>
  JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
      { set: { family: 'inet', table: 'gh', handle: 1, ...set } },
    ],
  });

describe('parseElement', () => {
  const cases: [string, unknown, string[]][] = [
    ['plain address', '10.0.0.1', ['10.0.0.1']],
    ['prefix', { prefix: { addr: '10.1.0.0', len: 16 } }, ['10.1.0.0/16']],
    ['auto-merged range', { range: ['10.0.0.1', '10.0.0.3'] }, ['10.0.0.1', '10.0.0.2/31']],
    ['IPv6 prefix', { prefix: { addr: 'fd00::', len: 64 } }, ['fd00::/64']],
    ['IPv6 range', { range: ['fd00::1', 'fd00::2'] }, ['fd00::1', 'fd00::2']],
    ['elem wrapper with timeout', { elem: { val: '10.0.0.1', timeout: 3600, expires: 3599 } }, ['10.0.0.1']],
    [
      'elem wrapper around a prefix with counter',
      { elem: { val: { prefix: { addr: '10.2.0.0', len: 16 } }, counter: { packets: 0, bytes: 0 } } },
      ['10.2.0.0/16'],
    ],
    ['elem wrapper around a range', { elem: { val: { range: ['10.0.0.4', '10.0.0.7'] } } }, ['10.0.0.4/30']],
    ['IPv4-mapped IPv6 becomes IPv4', '::ffff:192.0.2.1', ['192.0.2.1']],
  ];
  for (const [name, elem, expected] of cases) {
    it(name, () => assert.deepEqual(parseElement(elem, 'test').map(formatPrefix), expected));
  }

  const bad: [string, unknown][] = [
    ['a hostname', 'localhost'],
    ['a number', 42],
    ['a concatenation', { concat: ['10.0.0.1', 22] }],
    ['a prefix without length', { prefix: { addr: '10.0.0.0' } }],
    ['a reversed range', { range: ['10.0.0.3', '10.0.0.1'] }],
    ['an empty elem wrapper', { elem: {} }],
  ];
  for (const [name, elem] of bad) {
    it(`refuses ${name}`, () => assert.throws(() => parseElement(elem, 'set x'), { code: 'TARGET_FAILED' }));
  }
});

describe('parseSetListing', () => {
  it('reads a mixed interval set, aggregating what it finds', () => {
    const json = listing({
      name: 'allow_v4',
      type: 'ipv4_addr',
      flags: ['interval'],
      elem: ['10.0.0.5', { range: ['10.0.0.1', '10.0.0.3'] }, { prefix: { addr: '10.0.0.0', len: 30 } }, '192.0.2.9'],
    });
    assert.deepEqual(parseSetListing(json, table, 'allow_v4', 4), {
      set: 'allow_v4',
      family: 4,
      elements: ['10.0.0.0/30', '10.0.0.5', '192.0.2.9'],
      stray: [],
    });
  });

  it('reads an empty set (nft omits "elem")', () => {
    const json = listing({ name: 'allow_v6', type: 'ipv6_addr', flags: ['interval'] });
    assert.deepEqual(parseSetListing(json, table, 'allow_v6', 6), {
      set: 'allow_v6',
      family: 6,
      elements: [],
      stray: [],
    });
  });

  it('keeps IPv4-mapped addresses in an IPv6 set as stray, so the diff removes them', () => {
    const json = listing({
      name: 'allow_v6',
      type: 'ipv6_addr',
      flags: ['interval'],
      elem: ['::ffff:192.0.2.1', { prefix: { addr: '::ffff:198.51.100.0', len: 120 } }, 'fd00::1'],
    });
    assert.deepEqual(parseSetListing(json, table, 'allow_v6', 6), {
      set: 'allow_v6',
      family: 6,
      elements: ['fd00::1'],
      stray: ['::ffff:192.0.2.1', '::ffff:198.51.100.0/120'],
    });
  });

  it('explains a set of the wrong type', () => {
    const json = listing({ name: 'allow_v6', type: 'ipv4_addr', flags: ['interval'] });
    assert.throws(() => parseSetListing(json, table, 'allow_v6', 6), {
      code: 'TARGET_FAILED',
      message:
        'set inet gh allow_v6 is declared as type "ipv4_addr" flags ["interval"]; gatehouse needs ' +
        `"type ipv6_addr; flags interval;" — fix the declaration in the host's nftables.conf`,
    });
  });

  it('explains a set without flags interval', () => {
    const json = listing({ name: 'allow_v4', type: 'ipv4_addr' });
    assert.throws(
      () => parseSetListing(json, table, 'allow_v4', 4),
      /gatehouse needs "type ipv4_addr; flags interval;"/,
    );
  });

  it('refuses output that is not JSON', () => {
    assert.throws(() => parseSetListing('table inet gh {', table, 'allow_v4', 4), /invalid JSON/);
  });
});

describe('classify', () => {
  it('lists the formatted prefixes, whether or not the list was rendered before, and remembers them', () => {
    const list = prefixes('10.0.0.0/24', '10.0.2.1', '192.0.2.0/31');
    const rendered = prefixes('10.0.0.0/24', '10.0.2.1', '192.0.2.0/31');
    renderBatch(table, [{ set: 'allow_v4', family: 4, prefixes: rendered }]);
    const texts = ['10.0.0.0/24', '10.0.2.1', '192.0.2.0/31'];
    for (const l of [list, rendered]) {
      const o = classify('allow_v4', 4, l, 'test');
      assert.deepEqual(o.elements, texts);
      assert.deepEqual(classifiedPrefixes(o), l);
      assert.equal(classifiedPrefixes({ ...o }), undefined);
    }
  });

  it('aggregates a list that is not, and lists the aggregate', () => {
    const o = classify('allow_v4', 4, prefixes('10.0.0.0/25', '10.0.0.128/25', '10.0.0.7'), 'test');
    assert.deepEqual(o.elements, ['10.0.0.0/24']);
    assert.deepEqual(classifiedPrefixes(o), aggregate(prefixes('10.0.0.0/24')));
    assert.deepEqual(o.elements, (classifiedPrefixes(o) ?? []).map(formatPrefix));
  });
});
