import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { managedSets, nftablesSchema } from './config.ts';
import { nftablesTarget } from './index.ts';

const base = {
  type: 'nftables',
  table: { family: 'inet', name: 'filter' },
  sets: [{ name: 'db-clients', ipv4: 'db_clients_v4', ipv6: 'db_clients_v6', from: ['office', 'region'] }],
};

const issues = (v: unknown) => {
  const r = nftablesSchema.safeParse(v);
  assert.equal(r.success, false, 'expected the config to be rejected');
  return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
};

describe('nftables config', () => {
  it('fills defaults', () => {
    const c = nftablesSchema.parse(base);
    assert.equal(c.kernel, true);
    assert.deepEqual(c.nft.command, ['nft']);
    assert.equal(c.sets[0]?.allowEmpty, false);
    assert.deepEqual(c.sets[0]?.maxShrink, { fraction: 0.5, minCount: 1 });
    assert.deepEqual(c.minPrefixLength, { ipv4: 8, ipv6: 32 });
    assert.deepEqual(c.allowWide, []);
  });

  it('takes maxShrink as a fraction or as { fraction, minCount }', () => {
    const parse = (maxShrink: unknown) =>
      nftablesSchema.parse({ ...base, sets: [{ name: 'x', ipv4: 'a', from: ['s'], maxShrink }] }).sets[0]?.maxShrink;
    assert.deepEqual(parse(0.25), { fraction: 0.25, minCount: 1 });
    assert.deepEqual(parse({ fraction: 0.25, minCount: 3 }), { fraction: 0.25, minCount: 3 });
    assert.deepEqual(parse({ minCount: 0 }), { fraction: 0.5, minCount: 0 });
    assert.throws(() => parse({ fraction: 0.5, minCount: -1 }));
  });

  const rejected: [string, unknown, RegExp][] = [
    ['unknown key', { ...base, extra: 1 }, /extra/],
    ['allowWide not canonical', { ...base, allowWide: ['10.0.0.0/08'] }, /leading zero/],
    ['allowWide with host bits', { ...base, allowWide: ['10.0.0.1/8'] }, /host bits/],
    ['minPrefixLength out of range', { ...base, minPrefixLength: { ipv4: 33 } }, /ipv4/],
    [
      'set name with a space',
      { ...base, sets: [{ name: 'x', ipv4: 'a b', from: ['s'] }] },
      /sets\.0\.ipv4: must be an nft identifier/,
    ],
    ['set name with a brace', { ...base, sets: [{ name: 'x', ipv4: 'a}', from: ['s'] }] }, /nft identifier/],
    ['table name starting with a digit', { ...base, table: { family: 'inet', name: '1t' } }, /table\.name/],
    ['bridge family', { ...base, table: { family: 'bridge', name: 't' } }, /table\.family/],
    ['neither ipv4 nor ipv6', { ...base, sets: [{ name: 'x', from: ['s'] }] }, /at least one of ipv4 or ipv6/],
    ['empty from', { ...base, sets: [{ name: 'x', ipv4: 'a', from: [] }] }, /sets\.0\.from/],
    ['maxShrink above 1', { ...base, sets: [{ name: 'x', ipv4: 'a', from: ['s'], maxShrink: 1.5 }] }, /maxShrink/],
    ['kernel false without include file', { ...base, kernel: false }, /includeFile: kernel: false needs/],
    [
      'one nft set in two allowlists',
      { ...base, sets: [...base.sets, { name: 'other', ipv4: 'db_clients_v4', from: ['s'] }] },
      /sets\.1\.ipv4: nft set db_clients_v4 is already filled by sets\[0\]\.ipv4/,
    ],
    [
      'same logical name twice',
      { ...base, sets: [...base.sets, { name: 'db-clients', ipv4: 'z', from: ['s'] }] },
      /defined twice/,
    ],
    ['empty nft command', { ...base, nft: { command: [] } }, /nft\.command/],
  ];
  for (const [name, value, expected] of rejected) {
    it(`rejects ${name}`, () => assert.match(issues(value), expected));
  }

  it('lists the managed nft sets in config order, IPv4 first', () => {
    const c = nftablesSchema.parse({
      ...base,
      sets: [...base.sets, { name: 'v6only', ipv6: 'x6', from: ['s'], allowEmpty: true, maxShrink: 1 }],
    });
    assert.deepEqual(
      managedSets(c).map((s) => `${s.name}/${s.set}/${s.family}/${s.allowEmpty}/${s.maxShrink.fraction}`),
      ['db-clients/db_clients_v4/4/false/0.5', 'db-clients/db_clients_v6/6/false/0.5', 'v6only/x6/6/true/1'],
    );
  });

  it('reports every source reference with its path', () => {
    const c = nftablesSchema.parse({ ...base, sets: [...base.sets, { name: 'b', ipv4: 'b4', from: ['office'] }] });
    assert.deepEqual(nftablesTarget.sourceRefs(c), [
      { path: ['sets', 0, 'from', 0], source: 'office' },
      { path: ['sets', 0, 'from', 1], source: 'region' },
      { path: ['sets', 1, 'from', 0], source: 'office' },
    ]);
  });
});
