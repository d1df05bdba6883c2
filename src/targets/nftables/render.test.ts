import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Prefix } from '../../core/address.ts';
import { parseBatch, replay } from './parse-batch.ts';
import { includeHeader, renderBatch, renderInclude, renderProbe } from './render.ts';
import { prefixes } from './test-fixtures.ts';

const table = { family: 'inet', name: 'gh' } as const;
const v4 = { set: 'allow_v4', family: 4, prefixes: prefixes('10.0.0.0/24', '192.0.2.1') } as const;
const v6 = { set: 'allow_v6', family: 6, prefixes: prefixes('2001:db8::/48') } as const;
const empty = { set: 'allow_v6', family: 6, prefixes: [] } as const;

describe('renderBatch', () => {
  it('flushes and refills each set, in order', () => {
    assert.equal(
      renderBatch(table, [v4, v6]),
      'flush set inet gh allow_v4\n' +
        'add element inet gh allow_v4 { 10.0.0.0/24, 192.0.2.1 }\n' +
        'flush set inet gh allow_v6\n' +
        'add element inet gh allow_v6 { 2001:db8::/48 }\n',
    );
  });

  it('renders an empty set as a bare flush', () => {
    assert.equal(renderBatch(table, [empty]), 'flush set inet gh allow_v6\n');
  });

  it('splits long element lists into several add element lines of the same batch', () => {
    const many = { set: 'allow_v4', family: 4, prefixes: prefixes('10.0.0.1', '10.0.0.3', '10.0.0.5') } as const;
    assert.equal(
      renderBatch(table, [many], 2),
      'flush set inet gh allow_v4\nadd element inet gh allow_v4 { 10.0.0.1, 10.0.0.3 }\nadd element inet gh allow_v4 { 10.0.0.5 }\n',
    );
  });

  const forged: [string, unknown][] = [
    ['a hostname', { family: 4, address: 'localhost', length: 32 }],
    ['a raw string', '10.0.0.1'],
    ['nft syntax smuggled into an address', { family: 4, address: '10.0.0.1 } ; flush ruleset ; {', length: 32 }],
    ['an IPv6 prefix in an IPv4 set', { family: 6, address: '2001:db8::', length: 32 }],
    ['a length out of range', { family: 4, address: '10.0.0.0', length: 33 }],
    ['an IPv6 address that is not canonical text', { family: 6, address: '2001:DB8::1', length: 128 }],
  ];
  for (const [name, element] of forged) {
    it(`refuses ${name}`, () => {
      const set = { set: 'allow_v4', family: 4, prefixes: [element as Prefix] } as const;
      assert.throws(() => renderBatch(table, [set]), { code: 'TARGET_FAILED', message: /refusing to render/ });
    });
  }

  it('refuses names that are not nft identifiers', () => {
    assert.throws(() => renderBatch({ family: 'inet', name: 'gh; flush ruleset' }, [v4]), /refusing to render table/);
    assert.throws(() => renderBatch(table, [{ ...v4, set: 'a b' }]), /refusing to render set/);
  });
});

describe('renderProbe', () => {
  it('keeps one element per set', () => {
    assert.equal(
      renderProbe(table, [v4, empty]),
      'flush set inet gh allow_v4\nadd element inet gh allow_v4 { 10.0.0.0/24 }\nflush set inet gh allow_v6\n',
    );
  });
});

describe('renderInclude', () => {
  it('is a header plus the batch for every set, and deterministic', () => {
    const text = renderInclude('db-allowlist', table, [v4, v6]);
    assert.equal(text, includeHeader('db-allowlist') + renderBatch(table, [v4]) + renderBatch(table, [v6]));
    assert.match(text, /^# Written by gatehouse \(target db-allowlist\)\. Do not edit/);
    assert.equal(renderInclude('db-allowlist', table, [v4, v6]), text);
  });

  it('keeps a hostile target name on its comment line', () => {
    assert.equal(includeHeader('x\nflush ruleset').split('\n').length, 3);
  });

  it('reads back with parseBatch + replay', () => {
    const text = renderInclude('t', table, [v4, v6]);
    assert.deepEqual(replay(parseBatch(text, 'f'), table, [v4, v6], 'f'), [
      { set: 'allow_v4', family: 4, elements: ['10.0.0.0/24', '192.0.2.1'], stray: [] },
      { set: 'allow_v6', family: 6, elements: ['2001:db8::/48'], stray: [] },
    ]);
  });

  it('names the first line it did not write', () => {
    assert.throws(() => parseBatch('# ok\nflush ruleset\n', '/etc/nftables.d/x.nft'), {
      message: /^\/etc\/nftables\.d\/x\.nft:2: not a line gatehouse writes \("flush ruleset"\)/,
    });
  });
});

describe('renderBatch of a list rendered before (memoized by list identity)', () => {
  const list = prefixes('10.0.0.0/24', '192.0.2.1', '192.0.2.3');
  const copy = () => list.map((p) => ({ ...p }));

  it('renders it for another table, set or line length as a fresh list renders there', () => {
    renderBatch(table, [{ set: 'allow_v4', family: 4, prefixes: list }]);
    const other = { family: 'ip', name: 'fw' } as const;
    for (const [t, set, perLine] of [
      [table, 'allow_v4', 2],
      [other, 'allow_v4', 50_000],
      [table, 'other_v4', 50_000],
    ] as const) {
      assert.equal(
        renderBatch(t, [{ set, family: 4, prefixes: list }], perLine),
        renderBatch(t, [{ set, family: 4, prefixes: copy() }], perLine),
      );
    }
    assert.match(renderBatch(table, [{ set: 'other_v4', family: 4, prefixes: list }]), /add element inet gh other_v4 /);
  });

  it('still checks every element of a list it has not rendered, and the family of one it has', () => {
    renderBatch(table, [{ set: 'allow_v4', family: 4, prefixes: list }]);
    const forged = copy();
    forged[1] = { family: 4, address: 'localhost', length: 32 };
    assert.throws(() => renderBatch(table, [{ set: 'allow_v4', family: 4, prefixes: forged }]), /refusing to render/);
    assert.throws(() => renderBatch(table, [{ set: 'allow_v6', family: 6, prefixes: list }]), /refusing to render/);
  });
});
