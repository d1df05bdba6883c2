import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffNftables as uncheckedDiffNftables } from './diff.ts';
import { nftChangeSchema } from './change-schema.ts';
import type { Change } from '../../core/contracts.ts';
import { acceptedForgeries, schemaChecked } from '../../core/testing/schema-checked.ts';
import { aggregate, type Prefix } from '../../core/address.ts';
import { classify } from './elements.ts';
import { guardNftables } from './guard.ts';
import { renderInclude } from './render.ts';
import { prefixes } from './test-fixtures.ts';
import type { NftDesired, NftObserved } from './types.ts';
import { rng } from '../../testing/rng.ts';

/** Every change these tests make must fit the target's change schema (a saved plan holding it reads back). */
const samples = new Map<string, Change>();
const diffNftables = schemaChecked(nftChangeSchema, uncheckedDiffNftables, samples);

const table = { family: 'inet', name: 'gh' } as const;
const common = { name: 'db', allowEmpty: false, maxShrink: { fraction: 0.5, minCount: 1 } };

function desired(v4: string[], v6: string[], includeFile: string | null = '/etc/nftables.d/gh.nft'): NftDesired {
  return {
    target: 'db',
    table,
    includeFile,
    sets: [
      { ...common, set: 'allow_v4', family: 4, prefixes: prefixes(...v4) },
      { ...common, set: 'allow_v6', family: 6, prefixes: prefixes(...v6) },
    ],
  };
}

const CURRENT = Symbol('current include file');

/** `include`: the file's content, null when absent, or CURRENT for what the desired state `d` renders to. */
function observed(
  v4: string[],
  v6: string[],
  include: string | null | typeof CURRENT,
  d: NftDesired,
  stray: string[] = [],
) {
  return {
    sets: [
      { set: 'allow_v4', family: 4, elements: v4, stray: [] },
      { set: 'allow_v6', family: 6, elements: v6, stray },
    ],
    include: include === CURRENT ? renderInclude(d.target, d.table, d.sets) : include,
  } satisfies NftObserved;
}

interface Case {
  readonly name: string;
  readonly desired: [string[], string[]];
  readonly observed: [string[], string[]];
  readonly include?: string | null;
  readonly stray?: string[];
  /** `id destructive +add -remove`, in order. */
  readonly expected: string[];
}

const cases: Case[] = [
  { name: 'in sync', desired: [['10.0.0.1'], []], observed: [['10.0.0.1'], []], expected: [] },
  { name: 'empty and in sync', desired: [[], []], observed: [[], []], expected: [] },
  {
    name: 'an address added',
    desired: [['10.0.0.1', '10.0.0.9'], []],
    observed: [['10.0.0.1'], []],
    expected: ['set:allow_v4 safe +10.0.0.9 -'],
  },
  {
    name: 'an address removed',
    desired: [['10.0.0.1'], []],
    observed: [['10.0.0.1', '10.0.0.9'], []],
    expected: ['set:allow_v4 destructive + -10.0.0.9'],
  },
  {
    name: 'a prefix widened: nothing loses access',
    desired: [['10.0.0.0/24'], []],
    observed: [['10.0.0.0/25'], []],
    expected: ['set:allow_v4 safe +10.0.0.128/25 -'],
  },
  {
    name: 'a prefix narrowed: exactly the lost half is removed',
    desired: [['10.0.0.0/25'], []],
    observed: [['10.0.0.0/24'], []],
    expected: ['set:allow_v4 destructive + -10.0.0.128/25'],
  },
  {
    name: 'both families, in config order',
    desired: [['10.0.0.2'], ['2001:db8::2']],
    observed: [['10.0.0.1'], ['2001:db8::1']],
    expected: ['set:allow_v4 destructive +10.0.0.2 -10.0.0.1', 'set:allow_v6 destructive +2001:db8::2 -2001:db8::1'],
  },
  {
    name: 'a stray IPv4-mapped element is removed',
    desired: [[], ['2001:db8::1']],
    observed: [[], ['2001:db8::1']],
    stray: ['::ffff:192.0.2.1'],
    expected: ['set:allow_v6 destructive + -::ffff:192.0.2.1'],
  },
  {
    name: 'the include file is missing',
    desired: [['10.0.0.1'], []],
    observed: [['10.0.0.1'], []],
    include: null,
    expected: ['include safe (missing)'],
  },
  {
    name: 'the include file is outdated, after the set change',
    desired: [['10.0.0.1'], []],
    observed: [[], []],
    include: '# hand-edited\n',
    expected: ['set:allow_v4 safe +10.0.0.1 -', 'include safe (outdated)'],
  },
];

const show = (c: ReturnType<typeof diffNftables>[number]) =>
  c.kind === 'nft-set'
    ? `${c.id} ${c.destructive ? 'destructive' : 'safe'} +${c.add.join(',')} -${c.remove.join(',')}`
    : `${c.id} ${c.destructive ? 'destructive' : 'safe'} (${c.reason})`;

describe('diffNftables', () => {
  for (const c of cases) {
    it(c.name, () => {
      const d = desired(...c.desired);
      const o = observed(...c.observed, c.include === undefined ? CURRENT : c.include, d, c.stray);
      assert.deepEqual(diffNftables(d, o).map(show), c.expected);
    });
  }

  it('carries only the delta (each element once) and a readable summary', () => {
    const d = desired(['10.0.0.1', '10.0.0.9'], []);
    const [change] = diffNftables(d, observed(['10.0.0.1', '10.0.0.5'], [], CURRENT, d));
    assert.deepEqual(change, {
      kind: 'nft-set',
      id: 'set:allow_v4',
      summary: 'set inet gh allow_v4 (db): +1 -1 (2 → 2 entries)',
      destructive: true,
      add: ['10.0.0.9'],
      remove: ['10.0.0.5'],
      family: 4,
      set: 'allow_v4',
    });
  });

  it('gives the include change no elements: apply renders it from the sets as they will be', () => {
    const d = desired(['10.0.0.1'], ['2001:db8::1']);
    const include = diffNftables(d, observed(['10.0.0.1'], ['2001:db8::1'], null, d)).at(-1);
    assert.deepEqual(include, {
      kind: 'nft-include',
      id: 'include',
      summary: 'write include file /etc/nftables.d/gh.nft (missing)',
      destructive: false,
      path: '/etc/nftables.d/gh.nft',
      reason: 'missing',
    });
  });

  it('a plan replacing a whole set names each element once', () => {
    const before = Array.from({ length: 500 }, (_, i) => `10.1.${i >> 7}.${(i & 127) * 2}`);
    const after = Array.from({ length: 500 }, (_, i) => `10.2.${i >> 7}.${(i & 127) * 2}`);
    const d = desired(after, []);
    const json = JSON.stringify(diffNftables(d, observed(before, [], null, d)));
    const once = (e: string) => json.split(`"${e}"`).length - 1 === 1;
    assert.ok(before.every(once) && after.every(once));
  });

  it('keeps no include file when none is configured', () => {
    const d = desired(['10.0.0.1'], [], null);
    assert.deepEqual(diffNftables(d, observed(['10.0.0.1'], [], null, d)), []);
  });

  it('is pure: same inputs, same output, inputs untouched', () => {
    const d = desired(['10.0.0.0/24'], ['2001:db8::/64']);
    const o = observed(['10.0.0.0/25', '10.9.0.0/16'], [], null, d, ['::ffff:10.0.0.1']);
    const before = JSON.stringify([d, o]);
    assert.deepEqual(diffNftables(d, o), diffNftables(d, o));
    assert.equal(JSON.stringify([d, o]), before);
  });
});

// Runs after every test above: they are what produced the samples.
describe('nftables change schema (saved plans are read back by the target that made them)', () => {
  it('every kind of change appeared in the tests above, and each fitted the schema', () => {
    assert.deepEqual([...samples.keys()].sort(), nftChangeSchema.options.map((o) => o.shape.kind.value).sort());
  });

  it('refuses forged changes of every kind', () => {
    for (const [kind, change] of samples)
      assert.deepEqual(acceptedForgeries(nftChangeSchema, change, 'github-invite'), [], kind);
  });
});

describe('diff and guard of an observation classify made (compared as numbers, not parsed back)', () => {
  const r = rng(11);
  const v4 = (n: number) =>
    prefixes(
      ...Array.from({ length: n }, () => {
        const len = 28 + Math.floor(r() * 5);
        return `10.0.${Math.floor(r() * 4)}.${Math.floor(r() * 256) & ~((1 << (32 - len)) - 1) & 255}/${len}`;
      }),
    );
  const v6 = (n: number) =>
    prefixes(
      ...Array.from({ length: n }, () => {
        const len = 126 + Math.floor(r() * 3);
        return `2001:db8::${(Math.floor(r() * 64) & ~((1 << (128 - len)) - 1)).toString(16)}/${len}`;
      }),
    );

  it('gives the changes and verdicts a copy of it (parsed back from text) gives, for 300 random pairs', () => {
    for (let i = 0; i < 300; i++) {
      const want4 = aggregate(v4(Math.floor(r() * 12)));
      const want6 = aggregate(v6(Math.floor(r() * 6)));
      const d = desired([], []);
      const sets = [
        { ...(d.sets[0] as NftDesired['sets'][number]), prefixes: want4 },
        { ...(d.sets[1] as NftDesired['sets'][number]), prefixes: want6 },
      ];
      const dd: NftDesired = { ...d, sets };
      // Held: the desired list itself, a copy of it, one element fewer, or unrelated (IPv6 set: with a stray element).
      const k = r();
      const held4: readonly Prefix[] =
        k < 0.25 ? want4 : k < 0.5 ? want4.map((p) => ({ ...p })) : k < 0.75 ? want4.slice(1) : aggregate(v4(8));
      const held6 = r() < 0.5 ? want6 : [...aggregate(v6(3)), ...(r() < 0.3 ? prefixes('::ffff:192.0.2.1') : [])];
      const o: NftObserved = {
        sets: [classify('allow_v4', 4, held4, 'test'), classify('allow_v6', 6, held6, 'test')],
        include: r() < 0.5 ? null : renderInclude(dd.target, dd.table, dd.sets),
      };
      const copy = JSON.parse(JSON.stringify(o)) as NftObserved;
      const changes = diffNftables(dd, o);
      assert.deepEqual(changes, diffNftables(dd, copy));
      assert.deepEqual(guardNftables(changes, dd, o), guardNftables(changes, dd, copy));
    }
  });
});
