import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffSenderLogins as uncheckedDiffSenderLogins } from './diff.ts';
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

// Runs after every test above: they are what produced the samples.
describe('postfix-sender-logins change schema (saved plans are read back by the target that made them)', () => {
  it('every kind of change appeared in the tests above, and each fitted the schema', () => {
    assert.deepEqual([...samples.keys()].sort(), [tableChangeSchema.shape.kind.value].sort());
  });

  it('refuses forged changes of every kind', () => {
    for (const [kind, change] of samples)
      assert.deepEqual(acceptedForgeries(tableChangeSchema, change, 'nft-set'), [], kind);
  });
});
