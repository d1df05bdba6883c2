import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DesiredContext } from '../../core/contracts.ts';
import { completenessGuard } from '../../core/guards.ts';
import { ldapGroupsSchema } from './config.ts';
import { desiredState } from './desired.ts';
import { diffLdapGroups } from './diff.ts';
import { guardLdapGroups } from './guard.ts';
import type { LdapGroupsObserved } from './types.ts';

const P = 'ou=people,dc=x';
const G = 'cn=sre,ou=groups,dc=x';
const d = (i: number) => String(100000000000000000n + BigInt(i));
const config = ldapGroupsSchema.parse({
  type: 'ldap-groups',
  connection: { url: 'ldap://127.0.0.1:1', bindDn: 'cn=x', bindPassword: 'secret-pw' },
  people: { base: P },
  baseRole: { source: 'discord', group: 'Staff' },
  mappings: [{ source: 'discord', group: 'SRE', ldapGroup: G }],
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
};

describe('ldap-groups diff and guards (pure)', () => {
  it('adds, removes, locks, unlocks and reports enrolment in a deterministic order', () => {
    const desired = desiredState(config, ctx([2, 3, 4, 9], [3, 9]));
    const changes = diffLdapGroups(config, desired, observed);
    assert.deepEqual(
      changes.map((c) => [c.id, c.destructive]),
      [
        [`group:${G}`, true],
        [`enrol:discord:${d(9)}`, false],
        ['lock:u1', true],
        ['unlock:u4', false],
      ],
    );
    const g = changes[0]!;
    assert.deepEqual([g.add, g.remove], [[`uid=u3,${P}`], [`uid=u1,${P}`]], 'service account u5 is never removed');
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
