import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Change, DesiredContext } from '../../core/contracts.ts';
import { completenessGuard } from '../../core/guards.ts';
import { normalizeDn } from '../../adapters/ldap/dn.ts';
import { ldapGroupsSchema } from './config.ts';
import { desiredState, placesOf } from './desired.ts';
import { liveSources } from '../../testing/live-sources.ts';
import { rng } from '../../testing/rng.ts';
import { AccountIndex, diffLdapGroups as uncheckedDiffLdapGroups, ldapGroupsNotes } from './diff.ts';
import { ldapGroupsChangeSchema } from './change-schema.ts';
import { acceptedForgeries, schemaChecked } from '../../core/testing/schema-checked.ts';
import { guardLdapGroups } from './guard.ts';
import type { LdapGroupsObserved, ObservedAccount } from './types.ts';

/** Every change these tests make must fit the target's change schema (a saved plan holding it reads back). */
const samples = new Map<string, Change>();
const diffLdapGroups = schemaChecked(ldapGroupsChangeSchema, uncheckedDiffLdapGroups, samples);

const P = 'ou=people,dc=x';
const G = 'cn=sre,ou=groups,dc=x';
const d = (i: number) => String(100000000000000000n + BigInt(i));
const did = (i: number) => `discord:${d(i)}`;
const config = ldapGroupsSchema.parse({
  type: 'ldap-groups',
  connection: { url: 'ldap://127.0.0.1:1', bindDn: 'cn=x', bindPassword: 'secret-pw' },
  people: { base: P },
  baseRole: 'discord/Staff',
  mappings: [{ group: 'discord/SRE', ldapGroup: G }],
  protected: ['u2'],
  lock: { maxFraction: 0.5 },
});

function ctx(staff: number[], sre: number[], status: 'live' | 'missing' = 'live'): DesiredContext {
  const id = (i: number) => `discord:${d(i)}`;
  const all = [...new Set([...staff, ...sre])];
  return {
    sources: new Map([
      [
        'discord',
        {
          name: 'discord',
          type: 'discord',
          status,
          notes: [],
          facts:
            status === 'missing'
              ? {}
              : {
                  people: all.map((i) => ({ id: id(i), accounts: { discord: d(i) } })),
                  groups: [
                    { name: 'Staff', members: staff.map(id) },
                    { name: 'SRE', members: sre.map(id) },
                  ],
                },
        },
      ],
    ]),
  };
}

const account = (i: number, extra: Partial<LdapGroupsObserved['accounts'][number]> = {}) => ({
  dn: `uid=u${i},${P}`,
  uid: `u${i}`,
  discordId: d(i),
  lock: { nsAccountLock: false },
  service: false,
  ...extra,
});

const observed: LdapGroupsObserved = {
  accounts: [
    account(1),
    account(2),
    account(3),
    account(4, { lock: { nsAccountLock: true } }),
    account(5, { service: true }),
  ],
  groups: [{ dn: G, members: [`uid=u1,${P}`, `uid=u5,${P}`] }],
  // u4's lock is gatehouse's own.
  ownLocks: [normalizeDn(`uid=u4,${P}`)],
};

describe('ldap-groups diff and guards (pure)', () => {
  it('adds, removes, locks and unlocks in a deterministic order; enrolment is a note, not a change', () => {
    const desired = desiredState(config, ctx([2, 3, 4, 9], [3, 9]));
    const changes = diffLdapGroups(config, desired, observed);
    assert.deepEqual(
      changes.map((c) => [c.id, c.destructive]),
      [
        [`group:${G}`, true],
        ['lock:u1', true],
        ['unlock:u4', false],
      ],
    );
    const g = changes[0]!;
    assert.deepEqual([g.add, g.remove], [[`uid=u3,${P}`], [`uid=u1,${P}`]], 'service account u5 is never removed');
    assert.deepEqual(ldapGroupsNotes(config, desired, observed), [
      `needs enrolment: 1 person(s) hold a mapped role but have no LDAP account (enrol.create is off): discord:${d(9)} (discord:${d(9)})`,
    ]);
  });

  it('with enrol.create the person becomes a create change; one the template cannot build stays a note', () => {
    const withCreate = ldapGroupsSchema.parse({
      ...config,
      enrol: { create: true, uid: 'd{discordId}', uidPattern: '^d\\d{17,20}$' },
    });
    const c = ctx([2, 3, 4, 9], [3, 9]);
    const desired = desiredState(withCreate, c);
    const create = diffLdapGroups(withCreate, desired, observed).find((x) => x.kind === 'ldap-create-account');
    assert.equal(create?.id, `create:discord:${d(9)}`);
    assert.equal(create?.destructive, false);
    assert.deepEqual(ldapGroupsNotes(withCreate, desired, observed), []);

    const strict = ldapGroupsSchema.parse({ ...withCreate, enrol: { ...withCreate.enrol, uidPattern: '^x$' } });
    const d2 = desiredState(strict, c);
    assert.ok(!diffLdapGroups(strict, d2, observed).some((x) => x.kind === 'ldap-create-account'));
    assert.deepEqual(ldapGroupsNotes(strict, d2, observed), [
      `needs enrolment: 1 person(s) hold a mapped role but no account can be created from the template: discord:${d(9)} (discord:${d(9)}): uid template gave "d${d(9)}", which does not match ^x$`,
    ]);
  });

  it('notes list 20 names, then how many more; a Discord id on two accounts is reported', () => {
    const many = Array.from({ length: 25 }, (_, i) => 100 + i);
    const desired = desiredState(config, ctx([2, 3, ...many], [...many]));
    const twice: LdapGroupsObserved = {
      ...observed,
      accounts: [...observed.accounts, account(1, { uid: 'u1-alt', dn: `uid=u1-alt,${P}` })],
    };
    const notes = ldapGroupsNotes(config, desired, twice);
    assert.equal(notes.length, 2);
    assert.match(notes[0]!, /^needs enrolment: 25 person\(s\) .* and 5 more$/);
    assert.equal(
      notes[1],
      `1 Discord id(s) are on more than one account, which are therefore left alone: ${d(1)} (u1, u1-alt)`,
    );
  });

  it('two accounts with one Discord id are joined to nobody and left alone: not locked, not removed', () => {
    const twice: LdapGroupsObserved = {
      accounts: [account(1), account(1, { uid: 'u1-alt', dn: `uid=u1-alt,${P}` }), account(2), account(3)],
      groups: [{ dn: G, members: [`uid=u1,${P}`, `uid=u1-alt,${P}`] }],
      ownLocks: [],
    };
    // Person 1 holds the base role and SRE, but which account is theirs is unknown: neither may be locked or removed.
    const desired = desiredState(config, ctx([1, 2, 3], [1]));
    const changes = diffLdapGroups(config, desired, twice);
    assert.deepEqual(changes, []);
    assert.match(ldapGroupsNotes(config, desired, twice).join('\n'), /1 Discord id\(s\) are on more than one account/);
  });

  it('a lock gatehouse did not record is left alone, and the plan says why; unlock: any unlocks it', () => {
    const desired = desiredState(config, ctx([1, 2, 3, 4], [1]));
    const byHand: LdapGroupsObserved = { ...observed, ownLocks: [] };
    assert.deepEqual(
      diffLdapGroups(config, desired, observed).map((c) => c.id),
      ['unlock:u4'],
      'recorded: ours',
    );
    assert.deepEqual(diffLdapGroups(config, desired, byHand), []);
    assert.deepEqual(ldapGroupsNotes(config, desired, byHand), [
      `1 account(s) locked outside gatehouse stay locked although their person holds the base role; unlock by hand if the lock is no longer wanted, or set lock.unlock: any to let gatehouse unlock them: u4 (uid=u4,${P})`,
    ]);
    assert.deepEqual(ldapGroupsNotes(config, desired, observed), [], 'no note for our own lock');

    const any = ldapGroupsSchema.parse({ ...config, lock: { ...config.lock, unlock: 'any' } });
    assert.deepEqual(
      diffLdapGroups(any, desired, byHand).map((c) => c.id),
      ['unlock:u4'],
    );
    assert.deepEqual(ldapGroupsNotes(any, desired, byHand), []);
  });

  it("ppolicy's permanent-lock value without a record is not gatehouse's lock: an administrator writes it too", () => {
    const desired = desiredState(config, ctx([1, 2, 3, 4], [1]));
    const marked: LdapGroupsObserved = {
      ...observed,
      accounts: observed.accounts.map((a) =>
        a.uid === 'u4' ? { ...a, lock: { nsAccountLock: true, pwdAccountLockedTime: '000001010000Z' } } : a,
      ),
      ownLocks: [],
    };
    const both = ldapGroupsSchema.parse({ ...config, lock: { ...config.lock, pwdAccountLockedTime: true } });
    assert.deepEqual(diffLdapGroups(both, desired, marked), []);
    assert.deepEqual(diffLdapGroups(config, desired, marked), []);
    const recorded: LdapGroupsObserved = { ...marked, ownLocks: [normalizeDn(`uid=u4,${P}`)] };
    assert.deepEqual(
      diffLdapGroups(both, desired, recorded).map((c) => [c.id, c.kind === 'ldap-unlock' ? c.clear : undefined]),
      [['unlock:u4', { nsAccountLock: true, pwdAccountLockedTime: true }]],
    );
  });

  it('a record whose account was unlocked outside gatehouse is forgotten, so a later lock by hand is not ours', () => {
    const desired = desiredState(config, ctx([1, 2, 3, 4], [1]));
    const stale: LdapGroupsObserved = { ...observed, ownLocks: [...observed.ownLocks, normalizeDn(`uid=u3,${P}`)] };
    const changes = diffLdapGroups(config, desired, stale);
    assert.deepEqual(
      changes.map((c) => [c.id, c.destructive]),
      [
        ['forget-lock:u3', false],
        ['unlock:u4', false],
      ],
    );
  });

  // With a base role, only its holders can need an account, and whether each has one is known from the join: the
  // search over every person is skipped when all of them do, and still made when one does not.
  it('enrolment: who needs an account, with and without a base role (table)', () => {
    const withCreate = ldapGroupsSchema.parse({
      ...config,
      enrol: { create: true, uid: 'd{discordId}', uidPattern: '^d\\d{17,20}$' },
    });
    const { baseRole: _b, ...rest } = withCreate;
    const noBase = ldapGroupsSchema.parse(rest);
    const obs = (...ids: number[]): LdapGroupsObserved => ({
      accounts: ids.map((i) => account(i)),
      groups: [{ dn: G, members: [] }],
      ownLocks: [],
    });
    const cases: [string, typeof config, number[], number[], LdapGroupsObserved, string[]][] = [
      // case, config, base role, mapped group, observation, people to create accounts for
      ['every base holder has an account', withCreate, [1, 2, 3], [1, 3], obs(1, 2, 3), []],
      ['a base holder in the mapped group has none', withCreate, [1, 2, 3], [1, 3], obs(1, 2), [`discord:${d(3)}`]],
      ['a base holder outside the mapped group has none', withCreate, [1, 2, 3], [1, 3], obs(1, 3), []],
      ['in the mapped group, not in the base role, no account', withCreate, [1, 2], [1, 3], obs(1, 2), []],
      ['two base holders in the mapped group have none', withCreate, [1, 2, 3], [1, 2, 3], obs(2), [1, 3].map(did)],
      ['without a base role: in the mapped group, no account', noBase, [1, 2], [1, 3], obs(1, 2), [`discord:${d(3)}`]],
      ['without a base role: all have accounts', noBase, [1, 2], [1, 3], obs(1, 3), []],
    ];
    for (const [name, cfg, staff, sre, o, created] of cases) {
      const desired = desiredState(cfg, ctx(staff, sre));
      const ids = diffLdapGroups(cfg, desired, o)
        .filter((c) => c.kind === 'ldap-create-account')
        .map((c) => c.id);
      assert.deepEqual(
        ids,
        created.map((p) => `create:${p}`),
        name,
      );
    }
  });

  it('with the base role unknown there are no notes either (the guard says why)', () => {
    const desired = desiredState(config, ctx([], [], 'missing'));
    assert.deepEqual(ldapGroupsNotes(config, desired, observed), []);
  });

  it('protected guard fires for a protected account that would be locked', () => {
    const desired = desiredState(config, ctx([1, 3, 4], []));
    const changes = diffLdapGroups(config, desired, observed);
    const v = guardLdapGroups(config, changes, desired, observed);
    assert.deepEqual(v.find((x) => x.guard === 'protected')?.changeIds, ['lock:u2']);
  });

  it('max-lock-fraction guard fires when most accounts would be locked', () => {
    const desired = desiredState(config, ctx([4], []));
    const changes = diffLdapGroups(config, desired, observed);
    const v = guardLdapGroups(config, changes, desired, observed).find((x) => x.guard === 'max-lock-fraction');
    assert.deepEqual(v?.changeIds, ['lock:u1', 'lock:u2', 'lock:u3']);
  });

  it('a missing source changes nothing and says why; removals would be rejected by core completeness too', () => {
    const c = ctx([], [], 'missing');
    const desired = desiredState(config, c);
    const changes = diffLdapGroups(config, desired, observed);
    assert.deepEqual(changes, []);
    const v = guardLdapGroups(config, changes, desired, observed);
    assert.match(v.map((x) => x.message).join('\n'), /base role unknown \(source discord could not be read\)/);
    const lock = { kind: 'ldap-lock', id: 'lock:u1', summary: '', destructive: true };
    assert.deepEqual(completenessGuard(['discord'], [lock], c)[0]?.changeIds, ['lock:u1']);
  });
});

// Runs after every test above: they are what produced the samples.
describe('ldap-groups members as written', () => {
  // A member is found by its DN as an account has it, or in normal form, or normalised; what the group decides about
  // it must not depend on which.
  it('a member spelled as the account has it, in normal form or otherwise is one member of that account (table)', () => {
    const u1 = `uid=u1,${P}`; // an account DN in normal form
    const u2 = `UID=u2,${P}`; // one that is not
    const x = `uid=x,${P}`; // no account's
    const accounts = [account(1), account(2, { dn: u2 })];
    const exclusive = ldapGroupsSchema.parse({ ...config, mappings: [{ ...config.mappings[0], exclusive: true }] });
    const spelled = [`UID=u1,${P}`, u1, `uid=u2,${P}`, u2, x];
    const cases: [string, typeof config, number[], string[], string[], string[]][] = [
      // case, config, wanted, members as read, added, removed (as last written)
      ['none wanted', config, [], spelled, [], [u2, u1]],
      ['none wanted, read the other way round', config, [], [...spelled].reverse(), [], [`UID=u1,${P}`, `uid=u2,${P}`]],
      ['none wanted, exclusive', exclusive, [], spelled, [], [u2, u1, x]],
      ['both wanted', config, [1, 2], spelled, [], []],
      ['both wanted, exclusive', exclusive, [1, 2], spelled, [], [x]],
      ['u2 wanted, held in normal form', config, [2], [`uid=u2,${P}`], [], []],
      ['u2 wanted, held as the account has it', config, [2], [u2], [], []],
      ['u2 wanted, not held: added as the account has it', config, [2], [], [u2], []],
      ['u1 wanted, held otherwise spelled', config, [1], [`UID=u1,${P}`], [], []],
    ];
    for (const [name, cfg, sre, members, added, removed] of cases) {
      const desired = desiredState(cfg, ctx([1, 2], sre));
      const obs: LdapGroupsObserved = { accounts, groups: [{ dn: G, members }], ownLocks: [] };
      const g = diffLdapGroups(cfg, desired, obs).find((c) => c.kind === 'ldap-group-members');
      assert.deepEqual(g?.kind === 'ldap-group-members' ? [g.add, g.remove] : [[], []], [added, removed], name);
    }
  });
});

describe('ldap-groups diff and notes across observations', () => {
  it('one desired state against each new observation in turn: each joined on its own, never an earlier one (table)', () => {
    const desired = desiredState(config, ctx([2, 3, 4, 9], [3, 9]));
    const withU9: LdapGroupsObserved = { ...observed, accounts: [...observed.accounts, account(9)] };
    const withoutU1: LdapGroupsObserved = { ...observed, accounts: observed.accounts.filter((a) => a.uid !== 'u1') };
    const cases: [string, LdapGroupsObserved, string[], string[], number][] = [
      // case, observation, change ids, accounts added to the group, notes
      ['first observation', observed, [`group:${G}`, 'lock:u1', 'unlock:u4'], [`uid=u3,${P}`], 1],
      ['u9 has an account now', withU9, [`group:${G}`, 'lock:u1', 'unlock:u4'], [`uid=u3,${P}`, `uid=u9,${P}`], 0],
      ['u1 is gone', withoutU1, [`group:${G}`, 'unlock:u4'], [`uid=u3,${P}`], 1],
      ['the first observation again', observed, [`group:${G}`, 'lock:u1', 'unlock:u4'], [`uid=u3,${P}`], 1],
    ];
    for (const [name, obs, ids, added, notes] of cases) {
      for (let twice = 0; twice < 2; twice++) {
        const changes = diffLdapGroups(config, desired, obs);
        assert.deepEqual(
          changes.map((c) => c.id),
          ids,
          name,
        );
        const g = changes.find((c) => c.kind === 'ldap-group-members');
        assert.deepEqual(g?.kind === 'ldap-group-members' ? g.add : [], added, name);
        assert.equal(ldapGroupsNotes(config, desired, obs).length, notes, name);
      }
    }
  });

  // Whether an account holds the base role is decided by its DN as observed (that of an account a base-role key
  // joins), marked on the record of its normalised DN: two spellings of one DN are two answers, one DN string on two
  // accounts is one.
  it('the base role goes by the DN as observed: another spelling of it is not in, the same string is (table)', () => {
    const desired = desiredState(config, ctx([1, 2, 3], [1, 2, 3]));
    const cases: [string, ObservedAccount[], string[], string[]][] = [
      // case, accounts, change ids, accounts added to the group
      [
        'each account its own DN',
        [account(1), account(2), account(7)],
        [`group:${G}`, 'lock:u7'],
        [`uid=u1,${P}`, `uid=u2,${P}`],
      ],
      [
        'u7 spells the DN of u1 otherwise: not in the base role, locked',
        [account(1), account(2), account(7, { dn: `UID=u1,${P}` })],
        [`group:${G}`, 'lock:u7'],
        [`uid=u1,${P}`, `uid=u2,${P}`],
      ],
      [
        'u7 has the DN of u1 as it is: in the base role, left alone',
        [account(1), account(2), account(7, { dn: `uid=u1,${P}` })],
        [`group:${G}`],
        [`uid=u1,${P}`, `uid=u2,${P}`],
      ],
      [
        'u1 and u7 spell one DN two ways, both joined: both in, added once, as the account of the last key spells it',
        [account(7, { dn: `UID=u1,${P}`, discordId: d(3) }), account(1), account(2)],
        [`group:${G}`],
        [`UID=u1,${P}`, `uid=u2,${P}`],
      ],
    ];
    for (const [name, accounts, ids, added] of cases) {
      const obs: LdapGroupsObserved = { accounts, groups: [{ dn: G, members: [] }], ownLocks: [] };
      const changes = diffLdapGroups(config, desired, obs);
      assert.deepEqual(
        changes.map((c) => c.id),
        ids,
        name,
      );
      const g = changes.find((c) => c.kind === 'ldap-group-members');
      assert.deepEqual(g?.kind === 'ldap-group-members' ? g.add : [], added, name);
    }
  });

  it('each mapped group gets its own adds and removes, whatever the other groups want (table)', () => {
    // Three groups over the same people: one member wanted by one group is not thereby wanted by the next.
    const dn = (g: string) => `cn=${g},ou=groups,dc=x`;
    const cfg = ldapGroupsSchema.parse({
      type: 'ldap-groups',
      connection: { url: 'ldap://127.0.0.1:1', bindDn: 'cn=x', bindPassword: 'secret-pw' },
      people: { base: P },
      baseRole: 'discord/Staff',
      mappings: [
        { group: 'discord/A', ldapGroup: dn('a') },
        { group: 'discord/B', ldapGroup: dn('b'), exclusive: true },
        { group: 'discord/C', ldapGroup: dn('c') },
        { group: 'discord/A', ldapGroup: dn('a2') },
      ],
    });
    const id = (i: number) => `discord:${d(i)}`;
    const staff = [1, 2, 3, 4, 5, 6];
    const members: Record<string, number[]> = { A: [1, 2, 3], B: [2, 3, 4], C: [] };
    const c: DesiredContext = {
      sources: new Map([
        [
          'discord',
          {
            name: 'discord',
            type: 'discord',
            status: 'live',
            notes: [],
            facts: {
              people: staff.map((i) => ({ id: id(i), accounts: { discord: d(i) } })),
              groups: [
                { name: 'Staff', members: staff.map(id) },
                ...Object.entries(members).map(([name, m]) => ({ name, members: m.map(id) })),
              ],
            },
          },
        ],
      ]),
    };
    const obs: LdapGroupsObserved = {
      accounts: staff.map((i) => account(i)),
      groups: [
        // u1 spelled otherwise is the same member; u5 is managed and not wanted; a stranger DN only goes if exclusive.
        { dn: dn('a'), members: [`UID=U1,${P.toUpperCase()}`, `uid=u5,${P}`, `uid=stranger,${P}`] },
        { dn: dn('b'), members: [`uid=u2,${P}`, `uid=stranger,${P}`, `uid=u1,${P}`] },
        { dn: dn('c'), members: [`uid=u3,${P}`, `uid=u6,${P}`] },
        { dn: dn('a2'), members: [`uid=u1,${P}`, `uid=u2,${P}`, `uid=u3,${P}`] },
      ],
      ownLocks: [],
    };
    const u = (...is: number[]) => is.map((i) => `uid=u${i},${P}`);
    const cases: [string, string[], string[]][] = [
      // group, added, removed
      [dn('a'), u(2, 3), u(5)],
      [dn('b'), u(3, 4), [`uid=stranger,${P}`, ...u(1)]],
      [dn('c'), [], u(3, 6)],
    ];
    const changes = diffLdapGroups(cfg, desiredState(cfg, c), obs);
    assert.deepEqual(
      changes.map((ch) => ch.id),
      cases.map(([g]) => `group:${g}`),
      'a2 already holds what A wants',
    );
    for (const [g, add, remove] of cases) {
      const ch = changes.find((x) => x.id === `group:${g}`);
      assert.deepEqual(ch?.kind === 'ldap-group-members' ? [ch.add, ch.remove] : [], [add, remove], g);
    }
  });

  it('max-remove judges each group by its own fraction and size, the first observed group of a DN (table)', () => {
    const H = 'cn=ops,ou=groups,dc=x';
    const desired = desiredState(
      ldapGroupsSchema.parse({
        ...config,
        mappings: [
          { group: 'discord/SRE', ldapGroup: G, maxRemoveFraction: 0.9 },
          { group: 'discord/SRE', ldapGroup: H, maxRemoveFraction: 0.1 },
        ],
      }),
      ctx([1, 2, 3], []),
    );
    const obs: LdapGroupsObserved = {
      ...observed,
      groups: [
        { dn: G, members: [`uid=u1,${P}`, `uid=u3,${P}`] },
        { dn: H, members: [`uid=u1,${P}`, `uid=u3,${P}`, `uid=u2,${P}`] },
        { dn: H, members: [] },
      ],
    };
    const change = (dn: string, remove: number) => ({
      kind: 'ldap-group-members' as const,
      id: `group:${dn}`,
      summary: '',
      destructive: true,
      group: dn,
      add: [],
      remove: Array.from({ length: remove }, (_, i) => `uid=x${i},${P}`),
    });
    const cases: [string, number, number, boolean][] = [
      // case, removed from G, removed from H, H refused (G never: 1 of 2 is within 0.9)
      ['within both', 1, 0, false],
      ['H by its own 0.1 of 3', 1, 1, true],
    ];
    for (const [name, fromG, fromH, refused] of cases) {
      const changes = [change(G, fromG), ...(fromH > 0 ? [change(H, fromH)] : [])];
      const v = guardLdapGroups(config, changes, desired, obs).filter((x) => x.guard === 'max-remove');
      assert.deepEqual(
        v.flatMap((x) => x.changeIds),
        refused ? [`group:${H}`] : [],
        name,
      );
    }
  });
});

describe('ldap-groups change schema (saved plans are read back by the target that made them)', () => {
  it('every kind of change appeared in the tests above, and each fitted the schema', () => {
    assert.deepEqual([...samples.keys()].sort(), ldapGroupsChangeSchema.options.map((o) => o.shape.kind.value).sort());
  });

  it('refuses forged changes of every kind', () => {
    for (const [kind, change] of samples)
      assert.deepEqual(acceptedForgeries(ldapGroupsChangeSchema, change, 'k8s-forget'), [], kind);
  });
});

describe('ldap-groups account index', () => {
  it('joins by uid or Discord id; a Discord id on two accounts joins none (table)', () => {
    const acct = (uid: string, discordId?: string): ObservedAccount => ({
      dn: `uid=${uid},${P}`,
      uid,
      ...(discordId ? { discordId } : {}),
      lock: { nsAccountLock: false },
      service: false,
    });
    const index = new AccountIndex([
      acct('alice', d(1)),
      acct('bob', d(2)),
      acct('carol', d(2)),
      acct('dave'),
      acct('erin', d(3)),
      acct('erin', d(4)), // the same uid twice: the later entry answers
      acct('discord:5'), // a uid shaped like a Discord key
      acct('frank', d(5)),
      acct('gina', d(5)),
      acct('hal', d(5)), // a Discord id on three accounts
    ]);
    const cases: [string, string | undefined][] = [
      ['uid:alice', 'alice'],
      [`discord:${d(1)}`, 'alice'],
      ['uid:bob', 'bob'],
      [`discord:${d(2)}`, undefined],
      ['uid:dave', 'dave'],
      ['uid:erin', 'erin'],
      [`discord:${d(3)}`, 'erin'],
      [`discord:${d(9)}`, undefined],
      ['uid:nobody', undefined],
      ['alice', undefined],
      [`${d(1)}`, undefined],
      ['mail:alice', undefined],
      ['uid:discord:5', 'discord:5'],
      ['discord:5', undefined],
      ['uid:frank', 'frank'],
      [`discord:${d(5)}`, undefined],
      ['discord:', undefined],
    ];
    for (const [key, uid] of cases) assert.equal(index.get(key)?.uid, uid, key);
    // Discord keys asked first, then uid keys: the same answers in either order.
    const again = new AccountIndex([acct('alice', d(1)), acct('bob', d(2)), acct('carol', d(2))]);
    assert.equal(again.get(`discord:${d(1)}`)?.uid, 'alice');
    assert.equal(again.get('uid:alice')?.uid, 'alice');
    assert.equal(again.get(`discord:${d(2)}`)?.uid, undefined);
    assert.equal(index.get('uid:erin')?.discordId, d(4));
    assert.deepEqual(
      [...index.ambiguous],
      [
        [d(2), ['bob', 'carol']],
        [d(5), ['frank', 'gina', 'hal']],
      ],
    );
  });
});

describe('ldap-groups desired state', () => {
  it('members as join keys, each person described once, by the first group naming them (table)', () => {
    const people = [
      { id: 'p:1', displayName: 'One', accounts: { ldap: 'u1', discord: d(1) } },
      { id: 'p:2', displayName: 'Two', accounts: { discord: d(2) } },
      { id: 'p:3', accounts: {} },
      { id: 'p:4', displayName: 'Four, same uid as One', accounts: { ldap: 'u1' } },
    ];
    const c = liveSources({
      discord: {
        people,
        groups: [
          { name: 'Staff', members: ['p:4', 'p:3', 'p:2', 'p:1'] },
          { name: 'SRE', members: ['p:2', 'p:1', 'p:2'] },
        ],
      },
    });
    const desired = desiredState(config, c);
    const cases: [string, readonly string[] | undefined, string[]][] = [
      // case, members as computed, expected
      ['base role: p:3 has no account; p:1 and p:4 share a key', desired.base?.members, [`discord:${d(2)}`, 'uid:u1']],
      ['mapped group: each key once', desired.groups[0]?.members, [`discord:${d(2)}`, 'uid:u1']],
      [
        'people: described by the first member of a key, in group order (p:1 sorts before p:4)',
        desired.people.map((p) => `${p.key} ${p.personId}`),
        [`discord:${d(2)} p:2`, 'uid:u1 p:1'],
      ],
    ];
    for (const [name, got, expected] of cases) assert.deepEqual(got, expected, name);
  });

  it('members and people in key order whether the groups came in key order or not (table)', () => {
    const person = (id: string, ldap?: string, discord?: string) => ({
      id,
      accounts: { ...(ldap ? { ldap } : {}), ...(discord ? { discord } : {}) },
    });
    const people = [
      person('ldap:a', 'a'),
      person('ldap:b', 'b', d(2)),
      person('ldap:c', 'c'),
      person('x:1', undefined, d(1)),
      person('x:2', 'a'), // the key of ldap:a again
    ];
    const cases: [string, string[], string[], string[]][] = [
      // case, Staff's members as sent (sorted by id, as sources send them), its keys, people as described
      [
        'uid keys only: id order is key order',
        ['ldap:a', 'ldap:b', 'ldap:c'],
        ['uid:a', 'uid:b', 'uid:c'],
        ['uid:a ldap:a', 'uid:b ldap:b', 'uid:c ldap:c'],
      ],
      [
        'a discord key after uid keys',
        ['ldap:a', 'ldap:c', 'x:1'],
        [`discord:${d(1)}`, 'uid:a', 'uid:c'],
        [`discord:${d(1)} x:1`, 'uid:a ldap:a', 'uid:c ldap:c'],
      ],
      ['two people, one key', ['ldap:a', 'ldap:b', 'x:2'], ['uid:a', 'uid:b'], ['uid:a ldap:a', 'uid:b ldap:b']],
      ['one person', ['ldap:b'], ['uid:b'], ['uid:b ldap:b']],
      ['nobody', [], [], []],
    ];
    for (const [name, staff, keys, described] of cases) {
      const c = liveSources({
        discord: {
          people,
          groups: [
            { name: 'Staff', members: staff },
            { name: 'SRE', members: [...staff].reverse() },
          ],
        },
      });
      const desired = desiredState(config, c);
      assert.deepEqual(desired.base?.members, keys, name);
      assert.deepEqual(desired.groups[0]?.members, keys, name);
      assert.deepEqual(
        desired.people.map((p) => `${p.key} ${p.personId}`),
        described,
        name,
      );
    }
  });
});

describe('ldap-groups diff by member places', () => {
  // desiredState records where each member of a group is described; the diff then reads each membership's account by
  // that place instead of looking its key up. A copy of the desired state has no places (the diff looks keys up):
  // both must plan the same, whatever the mix of keys, accounts, spellings and drift.
  it('a desired state with places and a copy without plan the same changes and notes (table)', () => {
    const person = (i: number, ldap: boolean, discord: boolean) => ({
      id: ldap ? `ldap:u${String(i).padStart(3, '0')}` : `x:${String(i).padStart(3, '0')}`,
      accounts: {
        ...(ldap ? { ldap: `u${String(i).padStart(3, '0')}` } : {}),
        ...(discord ? { discord: d(i) } : {}),
      },
    });
    const cases: [string, number, boolean, boolean][] = [
      // case, seed, base role, exclusive groups
      ['uid keys, base role', 1, true, false],
      ['uid keys, no base role', 2, false, false],
      ['mixed keys, base role, exclusive', 3, true, true],
      ['mixed keys, no base role, exclusive', 4, false, true],
      ['mixed keys, base role', 5, true, false],
    ];
    for (const [name, seed, withBase, exclusive] of cases) {
      const rand = rng(seed);
      const mixed = name.startsWith('mixed');
      const people = Array.from({ length: 60 }, (_, i) => person(i, !mixed || rand() < 0.7, rand() < 0.8)).filter(
        (p) => p.accounts.ldap || p.accounts.discord,
      );
      people.sort((a, b) => (a.id < b.id ? -1 : 1));
      const pick = (p: number) => people.filter(() => rand() < p).map((x) => x.id);
      const groups = [
        { name: 'Staff', members: pick(0.85) },
        { name: 'SRE', members: pick(0.3) },
        { name: 'Ops', members: pick(0.5) },
      ];
      const c = liveSources({ discord: { people, groups } });
      const cfg = ldapGroupsSchema.parse({
        type: 'ldap-groups',
        connection: { url: 'ldap://127.0.0.1:1', bindDn: 'cn=x', bindPassword: 'secret-pw' },
        people: { base: P },
        ...(withBase ? { baseRole: 'discord/Staff' } : {}),
        mappings: [
          { group: 'discord/SRE', ldapGroup: G, exclusive },
          { group: 'discord/Ops', ldapGroup: `cn=ops,ou=groups,dc=x`, exclusive },
        ],
        lock: { maxFraction: 1 },
      });
      const accounts: ObservedAccount[] = people
        .filter(() => rand() < 0.9)
        .map((p, i) => {
          const uid = p.accounts.ldap ?? `n${i}`;
          return {
            dn: rand() < 0.1 ? `UID=${uid}, ${P}` : `uid=${uid},${P}`,
            uid,
            ...(p.accounts.discord && rand() < 0.9 ? { discordId: p.accounts.discord } : {}),
            lock: { nsAccountLock: rand() < 0.1 },
            service: rand() < 0.05,
          };
        });
      const members = () => accounts.filter(() => rand() < 0.4).map((a) => a.dn);
      const obs: LdapGroupsObserved = {
        accounts,
        groups: [
          { dn: G, members: [...members(), `uid=stranger,${P}`] },
          { dn: 'cn=ops,ou=groups,dc=x', members: members() },
        ],
        ownLocks: accounts.filter((a) => a.lock.nsAccountLock).map((a) => normalizeDn(a.dn)),
      };
      const desired = desiredState(cfg, c);
      const copy = structuredClone(desired);
      // Keys out of id order (a discord: key among uid: keys) are sorted: such a list has no places.
      if (!mixed) assert.ok(placesOf(desired, desired.groups[0]!.members), `${name}: places recorded`);
      assert.equal(placesOf(copy, copy.groups[0]!.members), undefined, `${name}: a copy has none`);
      const byPlace = diffLdapGroups(cfg, desired, obs);
      assert.ok(byPlace.length > 0, `${name}: something to change`);
      assert.deepEqual(byPlace, diffLdapGroups(cfg, copy, obs), name);
      assert.deepEqual(ldapGroupsNotes(cfg, desired, obs), ldapGroupsNotes(cfg, copy, obs), name);
    }
  });
});
