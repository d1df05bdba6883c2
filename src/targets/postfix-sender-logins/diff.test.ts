import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rng } from '../../testing/rng.ts';
import { diffSenderLogins as uncheckedDiffSenderLogins, finalEntries, tableDelta } from './diff.ts';
import { tableChangeSchema } from './change-schema.ts';
import type { Change } from '../../core/contracts.ts';
import { acceptedForgeries, schemaChecked } from '../../core/testing/schema-checked.ts';
import type { SenderDesired, SenderEntry, SenderObserved } from './types.ts';

/** Every change these tests make must fit the target's change schema (a saved plan holding it reads back). */
const samples = new Map<string, Change>();
const diffSenderLogins = schemaChecked(tableChangeSchema, uncheckedDiffSenderLogins, samples);

const options = { path: '/etc/postfix/sender_logins', mapType: 'hash' } as const;

/** `address login,login` → entry. */
function entries(lines: readonly string[]): SenderEntry[] {
  return lines.map((l) => {
    const [address, logins] = l.split(' ') as [string, string];
    return { address, logins: logins.split(',') };
  });
}

function desired(lines: string[], extra: Partial<SenderDesired> = {}): SenderDesired {
  return {
    entries: entries(lines),
    keep: [],
    staticAddresses: [],
    invalid: [],
    conflicts: [],
    unknownGroups: [],
    problems: [],
    ...extra,
  };
}

interface Case {
  readonly name: string;
  readonly desired: SenderDesired;
  /** null: no live table. */
  readonly observed: string[] | null;
  /** `destructive|safe +add… -remove… => lines` or nothing. */
  readonly expected: string | null;
}

const cases: Case[] = [
  { name: 'in sync', desired: desired(['a@x.org a']), observed: ['a@x.org a'], expected: null },
  { name: 'no table and nothing to write', desired: desired([]), observed: null, expected: null },
  {
    name: 'first table',
    desired: desired(['a@x.org a']),
    observed: null,
    expected: 'safe +[a@x.org → a] -[] => a@x.org a',
  },
  {
    name: 'empty table is still written when it exists but differs',
    desired: desired([]),
    observed: ['a@x.org a'],
    expected: 'destructive +[] -[a@x.org → a] => ',
  },
  {
    name: 'a login added to a group address',
    desired: desired(['devops@x.org a,c']),
    observed: ['devops@x.org a'],
    expected: 'safe +[devops@x.org → c] -[] => devops@x.org a,c',
  },
  {
    name: 'a login leaves a group address',
    desired: desired(['devops@x.org c']),
    observed: ['devops@x.org a,c'],
    expected: 'destructive +[] -[devops@x.org → a] => devops@x.org c',
  },
  {
    name: 'a hand-edited entry is drift and is undone',
    desired: desired(['a@x.org a']),
    observed: ['a@x.org a', 'ceo@x.org mallory'],
    expected: 'destructive +[] -[ceo@x.org → mallory] => a@x.org a',
  },
  {
    name: 'a kept address stays as observed, present',
    desired: desired(['a@x.org a'], { keep: ['shared@x.org'] }),
    observed: ['shared@x.org old'],
    expected: 'safe +[a@x.org → a] -[] => a@x.org a | shared@x.org old',
  },
  {
    name: 'a kept address stays as observed, absent',
    desired: desired(['a@x.org a', 'shared@x.org b'], { keep: ['shared@x.org'] }),
    observed: ['a@x.org a'],
    expected: null,
  },
  {
    name: 'the same logins in another order: rewritten in order, nothing gained or lost',
    desired: desired(['d@x.org a,c']),
    observed: ['d@x.org c,a'],
    expected: 'safe +[] -[] => d@x.org a,c',
  },
  {
    name: 'one login replaced by another',
    desired: desired(['a@x.org b']),
    observed: ['a@x.org a'],
    expected: 'destructive +[a@x.org → b] -[a@x.org → a] => a@x.org b',
  },
  {
    name: 'a login listed twice by hand: rewritten once, nothing lost',
    desired: desired(['a@x.org a']),
    observed: ['a@x.org a,a'],
    expected: 'safe +[] -[] => a@x.org a',
  },
  {
    name: 'frozen: nothing changes',
    desired: desired([], { frozen: 'people.group dir/staff: source dir could not be read' }),
    observed: ['a@x.org a'],
    expected: null,
  },
];

describe('postfix-sender-logins diff', () => {
  for (const c of cases) {
    it(c.name, () => {
      const observed: SenderObserved = c.observed
        ? { exists: true, entries: entries(c.observed) }
        : { exists: false, entries: [] };
      const changes = diffSenderLogins(options, c.desired, observed);
      assert.ok(changes.length <= 1);
      const ch = changes[0];
      const got = ch
        ? `${ch.destructive ? 'destructive' : 'safe'} +[${(ch.add ?? []).join(', ')}] -[${(ch.remove ?? []).join(', ')}] => ${ch.lines.join(' | ')}`
        : null;
      assert.equal(got, c.expected);
      if (ch) assert.equal(ch.id, 'table:/etc/postfix/sender_logins');
    });
  }
});

describe('postfix-sender-logins table delta', () => {
  const table: [string, string[], string[], { add: string[]; remove: string[]; shrunk: number }][] = [
    // case, next, observed, expected
    ['equal', ['a@x a', 'b@x b,c'], ['a@x a', 'b@x b,c'], { add: [], remove: [], shrunk: 0 }],
    ['only wanted', ['a@x a', 'c@x c,d'], ['b@x b'], { add: ['a@x → a', 'c@x → c,d'], remove: ['b@x → b'], shrunk: 1 }],
    [
      'only observed, at either end',
      ['b@x b'],
      ['a@x a', 'b@x b', 'c@x c'],
      { add: [], remove: ['a@x → a', 'c@x → c'], shrunk: 2 },
    ],
    [
      'gains and losses',
      ['a@x a,b', 'b@x c'],
      ['a@x a', 'b@x b,c'],
      { add: ['a@x → b'], remove: ['b@x → b'], shrunk: 1 },
    ],
    ['order of logins only', ['a@x a,b'], ['a@x b,a'], { add: [], remove: [], shrunk: 0 }],
    ['empty next', [], ['a@x a'], { add: [], remove: ['a@x → a'], shrunk: 1 }],
    ['empty table', ['a@x a'], [], { add: ['a@x → a'], remove: [], shrunk: 0 }],
  ];
  for (const [name, next, now, expected] of table) {
    it(`${name}: the same delta whether the lists are walked sorted or looked up in any order`, () => {
      const sorted = tableDelta(entries(next), { exists: true, entries: entries(now) });
      assert.deepEqual({ add: sorted.add, remove: sorted.remove, shrunk: sorted.shrunk }, expected);
      const any = tableDelta(entries(next).reverse(), { exists: true, entries: entries(now).reverse() });
      assert.deepEqual({ add: [...any.add].sort(), remove: [...any.remove].sort(), shrunk: any.shrunk }, expected);
    });
  }

  it('agrees with the lookup by address on seeded random tables', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const randomTable = () => {
      const out: SenderEntry[] = [];
      for (let k = 0; k < 60; k++) {
        if (rand(2) === 0) continue;
        const logins = [...new Set(Array.from({ length: rand(3) }, () => `l${rand(4)}`))].sort();
        out.push({ address: `a${String(k).padStart(2, '0')}@x`, logins });
      }
      return out;
    };
    for (let round = 0; round < 200; round++) {
      const next = randomTable();
      const now = randomTable();
      const sorted = tableDelta(next, { exists: true, entries: now });
      const any = tableDelta([...next].reverse(), { exists: true, entries: [...now].reverse() });
      assert.deepEqual([...sorted.add].sort(), [...any.add].sort(), `round ${round}`);
      assert.deepEqual([...sorted.remove].sort(), [...any.remove].sort(), `round ${round}`);
      assert.equal(sorted.shrunk, any.shrunk, `round ${round}`);
      assert.deepEqual([sorted.before, sorted.after], [now.length, next.length]);
    }
  });
});

// Runs after every test above: they are what produced the samples.
describe('postfix-sender-logins change schema (saved plans are read back by the target that made them)', () => {
  it('final entries are made once per desired state and observation, afresh for another observation', () => {
    const d = desired(['a@x.org a', 'b@x.org b', 'k@x.org k'], { keep: ['k@x.org'] });
    const one: SenderObserved = { exists: true, entries: entries(['k@x.org old']) };
    const two: SenderObserved = { exists: true, entries: entries(['k@x.org other,more']) };
    const first = finalEntries(d, one);
    assert.deepEqual(first, entries(['a@x.org a', 'b@x.org b', 'k@x.org old']));
    assert.equal(finalEntries(d, one), first, 'the diff and the guard of a run share it');
    assert.deepEqual(finalEntries(d, two), entries(['a@x.org a', 'b@x.org b', 'k@x.org other,more']));
    assert.deepEqual(finalEntries(d, one), first);
    const frozen = desired([], { frozen: 'source down' });
    assert.deepEqual(finalEntries(frozen, two), two.entries);
  });

  // With nothing kept as observed and the desired entries in order, they are the final entries as they are; else the
  // kept observed entries are merged in and all sorted. Both must equal the simple rule on any entries.
  it('final entries equal the desired ones without the kept, plus the kept as observed, sorted (table)', () => {
    const rand = rng(5);
    for (let round = 0; round < 40; round++) {
      const lines = Array.from({ length: 12 }, () => `${String.fromCharCode(97 + Math.floor(rand() * 8))}@x.org l`);
      const mine = [...new Set(lines)];
      if (round % 2 === 0) mine.sort();
      const keep = round % 3 === 0 ? [] : mine.filter(() => rand() < 0.3).map((l) => l.split(' ')[0] as string);
      const d = desired(mine, { keep: [...new Set(keep)].sort() });
      const o: SenderObserved = { exists: true, entries: entries(keep.map((a) => `${a} seen`)) };
      const kept = new Set(keep);
      const want = [...d.entries.filter((e) => !kept.has(e.address)), ...o.entries.filter((e) => kept.has(e.address))];
      want.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
      assert.deepEqual(finalEntries(d, o), want, `round ${round}`);
    }
  });

  it('every kind of change appeared in the tests above, and each fitted the schema', () => {
    assert.deepEqual([...samples.keys()].sort(), [tableChangeSchema.shape.kind.value].sort());
  });

  it('refuses forged changes of every kind', () => {
    for (const [kind, change] of samples)
      assert.deepEqual(acceptedForgeries(tableChangeSchema, change, 'nft-set'), [], kind);
  });
});
