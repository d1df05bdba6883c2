import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { desiredState } from './desired.ts';
import { config, context, person } from './test-fixtures.ts';
import type { Person } from '../../core/model.ts';
import type { SenderDesired } from './types.ts';

const table = (d: SenderDesired) => d.entries.map((e) => `${e.address} ${e.logins.join(',')}`);

describe('postfix-sender-logins desired state', () => {
  it('own addresses, alias domains, group addresses and static senders', () => {
    const d = desiredState(
      config({
        aliasDomains: { 'example.org': ['example.net'] },
        groupAddresses: [{ address: 'devops@example.org', group: 'dir/devops' }],
        static: [
          { address: 'noreply@int.example.org', logins: ['svc-mailer'] },
          { address: '@relay.example.org', logins: ['svc-relay'] },
        ],
      }),
      context({
        dir: {
          people: [person('alice', 'Alice@Example.org'), person('bob', 'bob@example.org'), person('carol')],
          groups: [{ name: 'devops', members: ['ldap:alice', 'ldap:carol'] }],
        },
      }),
    );
    assert.deepEqual(table(d), [
      '@relay.example.org svc-relay',
      'alice@example.net alice',
      'alice@example.org alice',
      'bob@example.net bob',
      'bob@example.org bob',
      'devops@example.net alice,carol',
      'devops@example.org alice,carol',
      'noreply@int.example.org svc-mailer',
    ]);
    assert.deepEqual(d.staticAddresses, ['@relay.example.org', 'noreply@int.example.org']);
    assert.deepEqual([d.conflicts, d.invalid, d.keep], [[], [], []]);
  });

  it('a value with a newline or a space never reaches the table and is reported with its origin', () => {
    const d = desiredState(
      config(),
      context({
        dir: {
          people: [
            person('mallory', 'mallory@example.org\nalice@example.org mallory', 'mallory@example.org'),
            person('eve', 'eve @example.org'),
            { id: 'ldap:bad login', accounts: { ldap: 'bad login', emails: ['x@example.org'] } },
          ],
        },
      }),
    );
    assert.deepEqual(table(d), ['mallory@example.org mallory']);
    assert.equal(d.invalid.length, 3);
    assert.match(
      d.invalid[2] as string,
      /^source dir, person ldap:mallory: address "mallory@example.org\\nalice.*line break/,
    );
    assert.match(
      d.invalid[1] as string,
      /^source dir, person ldap:eve: address "eve @example.org" contains whitespace/,
    );
    assert.match(d.invalid[0] as string, /person ldap:bad login: login "bad login" contains whitespace/);
  });

  it('an address claimed by two people is a conflict kept as it is; a shared group address is not', () => {
    const d = desiredState(
      config({ groupAddresses: [{ address: 'team@example.org', group: 'dir/team' }] }),
      context({
        dir: {
          people: [person('alice', 'alice@example.org', 'shared@example.org'), person('bob', 'shared@example.org')],
          groups: [{ name: 'team', members: ['ldap:alice', 'ldap:bob'] }],
        },
      }),
    );
    assert.deepEqual(table(d), ['alice@example.org alice', 'team@example.org alice,bob']);
    assert.deepEqual(d.keep, ['shared@example.org']);
    assert.match(d.conflicts[0] as string, /shared@example.org is claimed by alice, bob/);
  });

  it('claims of one address: by one login however often, or a conflict of two or more (table)', () => {
    const cases: [string, Person[], string[], string[]][] = [
      // case, people, table, conflicts
      ['one person', [person('alice', 'a@example.org')], ['a@example.org alice'], []],
      ['one person, twice', [person('alice', 'a@example.org', 'A@Example.org')], ['a@example.org alice'], []],
      [
        'two people',
        [person('bob', 'a@example.org'), person('alice', 'a@example.org')],
        [],
        ['a@example.org is claimed by alice, bob; its entry is left as it is'],
      ],
      [
        'three people, one twice',
        [
          person('carol', 'a@example.org'),
          person('bob', 'a@example.org', 'a@example.org'),
          person('alice', 'a@example.org'),
        ],
        [],
        ['a@example.org is claimed by alice, bob, carol; its entry is left as it is'],
      ],
      // Claims are found side by side once sorted by address: those of one address made far apart, among others.
      [
        'two people, with other addresses between their claims',
        [
          person('alice', 'z@example.org', 'a@example.org'),
          person('bob', 'b@example.org'),
          person('carol', 'A@example.org', 'c@example.org'),
        ],
        ['b@example.org bob', 'c@example.org carol', 'z@example.org alice'],
        ['a@example.org is claimed by alice, carol; its entry is left as it is'],
      ],
      [
        'two people of one login: one entry',
        [
          person('alice', 'a@example.org'),
          { id: 'ldap:alice2', accounts: { ldap: 'alice', emails: ['b@example.org', 'a@example.org'] } },
        ],
        ['a@example.org alice', 'b@example.org alice'],
        [],
      ],
    ];
    for (const [name, people, entries, conflicts] of cases) {
      const d = desiredState(config(), context({ dir: { people } }));
      assert.deepEqual(table(d), entries, name);
      assert.deepEqual(d.conflicts, conflicts, name);
      assert.deepEqual(d.keep, conflicts.length > 0 ? ['a@example.org'] : [], name);
    }
  });

  it('people sent in any order give the same table and messages, in person id order (table)', () => {
    // Sources send people sorted by id and the walk then takes them as they come; any other order is sorted first.
    const people = [
      person('alice', 'a@example.org', 'shared@example.org'),
      person('b', 'b@example.org', 'team@example.org', 'bad address@example.org'),
      person('bob', 'shared@example.org', 'team@example.org'),
      person('z10', 'z@example.org', 'team@example.org'),
      person('z9', 'z9@example.org', 'Z@example.org'),
    ];
    const orders = [
      [0, 1, 2, 3, 4],
      [4, 3, 2, 1, 0],
      [2, 0, 4, 1, 3],
      [1, 0, 2, 3, 4],
    ];
    const cfg = config({
      aliasDomains: { 'example.org': ['example.net', 'example.com'] },
      static: [{ address: 'team@example.org', logins: ['svc'] }],
    });
    const want = desiredState(cfg, context({ dir: { people } }));
    assert.deepEqual(want.problems, [
      'team@example.org: claimed by person ldap:b and configured as a group or static address; the configuration wins',
      'team@example.org: claimed by person ldap:bob and configured as a group or static address; the configuration wins',
      'team@example.org: claimed by person ldap:z10 and configured as a group or static address; the configuration wins',
    ]);
    assert.deepEqual(want.invalid, [
      'source dir, person ldap:b: address "bad address@example.org" contains whitespace; left out',
    ]);
    assert.deepEqual(want.conflicts, [
      'shared@example.com is claimed by alice, bob; its entry is left as it is',
      'shared@example.net is claimed by alice, bob; its entry is left as it is',
      'shared@example.org is claimed by alice, bob; its entry is left as it is',
      'team@example.com is claimed by b, bob, z10; its entry is left as it is',
      'team@example.net is claimed by b, bob, z10; its entry is left as it is',
      'z@example.com is claimed by z10, z9; its entry is left as it is',
      'z@example.net is claimed by z10, z9; its entry is left as it is',
      'z@example.org is claimed by z10, z9; its entry is left as it is',
    ]);
    assert.deepEqual(table(want), [
      'a@example.com alice',
      'a@example.net alice',
      'a@example.org alice',
      'b@example.com b',
      'b@example.net b',
      'b@example.org b',
      'team@example.org svc',
      'z9@example.com z9',
      'z9@example.net z9',
      'z9@example.org z9',
    ]);
    for (const order of orders) {
      const d = desiredState(cfg, context({ dir: { people: order.map((i) => people[i] as (typeof people)[number]) } }));
      assert.deepEqual(d, want, JSON.stringify(order));
    }
  });

  it('a group address whose group is missing is kept as it is', () => {
    const d = desiredState(
      config({ groupAddresses: [{ address: 'devops@example.org', group: 'dir/devops' }] }),
      context({ dir: { people: [person('alice', 'alice@example.org')], groups: [] } }),
    );
    assert.deepEqual(d.keep, ['devops@example.org']);
    assert.match(d.unknownGroups[0] as string, /has no group "devops"/);
  });

  it('people.group and people.domains narrow the personal addresses; an unreadable people.group freezes the table', () => {
    const facts = {
      people: [person('alice', 'alice@example.org', 'alice@gmail.example'), person('bob', 'bob@example.org')],
      groups: [{ name: 'staff', members: ['ldap:alice'] }],
    };
    const c = config({ people: { from: ['dir'], group: 'dir/staff', domains: ['example.org'] } });
    assert.deepEqual(table(desiredState(c, context({ dir: facts }))), ['alice@example.org alice']);
    const frozen = desiredState(c, context({ dir: { facts: {}, status: 'missing' } }));
    assert.match(frozen.frozen ?? '', /source dir could not be read/);
  });

  it('own addresses come from people sources only; a person a group source declares gets none (table)', () => {
    const cases: [string, Record<string, unknown>, string[]][] = [
      // case, config, table
      [
        'group from another source',
        { groupAddresses: [{ address: 'ops@example.org', group: 'chat/ops' }] },
        ['alice@example.org alice', 'ops@example.org alice,dave'],
      ],
      [
        'that source is a people source too',
        { people: { from: ['dir', 'chat'] }, groupAddresses: [{ address: 'ops@example.org', group: 'chat/ops' }] },
        ['alice@example.org alice', 'dave@example.org dave', 'ops@example.org alice,dave'],
      ],
      ['no group address', {}, ['alice@example.org alice']],
    ];
    for (const [name, overrides, expected] of cases) {
      const d = desiredState(
        config(overrides),
        context({
          dir: { people: [person('alice', 'alice@example.org')] },
          chat: {
            people: [person('dave', 'dave@example.org')],
            groups: [{ name: 'ops', members: ['ldap:alice', 'ldap:dave'] }],
          },
        }),
      );
      assert.deepEqual(table(d), expected, name);
    }
  });

  it('a realm is appended to the login', () => {
    const d = desiredState(
      config({ login: { realm: 'EXAMPLE.ORG' } }),
      context({ dir: { people: [person('alice', 'alice@example.org')] } }),
    );
    assert.deepEqual(table(d), ['alice@example.org alice@EXAMPLE.ORG']);
  });

  // A person's login is made and checked once and kept by their position: a refused one is still reported each time
  // it is asked for (per group naming them, and for their own addresses), and a group's logins are sorted and each
  // once whatever order their members' logins come in (Discord ids as logins, two people with one uid).
  it('logins kept per person: refusals reported per use, group logins sorted and distinct (table)', () => {
    const cases: [string, Person[], string[], Record<string, unknown>, string[], number][] = [
      // case, people, members of group g, config, table, refusals
      [
        'a refused login named by two groups and with an address of its own',
        [
          { id: 'ldap:bad login', accounts: { ldap: 'bad login', emails: ['bad@example.org'] } },
          person('bob', 'bob@example.org'),
        ],
        ['ldap:bad login', 'ldap:bob'],
        {},
        ['bob@example.org bob', 'g@example.org bob', 'h@example.org bob'],
        3,
      ],
      [
        'logins out of person id order, and one uid for two people',
        [
          { id: 'a', accounts: { ldap: 'zed', emails: ['a@example.org'] } },
          { id: 'b', accounts: { ldap: 'amy' } },
          { id: 'c', accounts: { ldap: 'zed' } },
          { id: 'd', accounts: { ldap: 'kim' } },
        ],
        ['a', 'b', 'c', 'd'],
        {},
        ['a@example.org zed', 'g@example.org amy,kim,zed', 'h@example.org amy,kim,zed'],
        0,
      ],
      [
        'static logins given unsorted and twice',
        [person('amy')],
        ['ldap:amy'],
        { static: [{ address: 's@example.org', logins: ['zed', 'amy', 'zed'] }] },
        ['g@example.org amy', 'h@example.org amy', 's@example.org amy,zed'],
        0,
      ],
    ];
    for (const [name, people, members, extra, want, refusals] of cases) {
      const d = desiredState(
        config({
          groupAddresses: [
            { address: 'g@example.org', group: 'dir/g' },
            { address: 'h@example.org', group: 'dir/g2' },
          ],
          ...extra,
        }),
        context({
          dir: {
            people,
            groups: [
              { name: 'g', members },
              { name: 'g2', members: [...members].reverse() },
            ],
          },
        }),
      );
      assert.deepEqual(table(d), want, name);
      assert.equal(d.invalid.length, refusals, name);
      if (refusals > 0) assert.equal(new Set(d.invalid).size, 1, name);
    }
  });
});
