import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DesiredContext } from '../../core/contracts.ts';
import type { ResolvedSource } from '../../core/model.ts';
import { ldapGroupsSchema } from './config.ts';
import { desiredState } from './desired.ts';
import { ldapGroupsNotes } from './diff.ts';
import { ldapGroupsTarget } from './index.ts';

const base = {
  type: 'ldap-groups',
  connection: { url: 'ldap://127.0.0.1:1', bindDn: 'cn=x', bindPassword: 'secret-pw' },
  people: { base: 'ou=people,dc=x' },
};

function issues(config: Record<string, unknown>): string[] {
  const r = ldapGroupsSchema.safeParse({ ...base, ...config });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('ldap-groups config: groups are written source/group, as in every target', () => {
  it('accepts role names, role ids and names containing "/"', () => {
    assert.deepEqual(
      issues({
        baseRole: 'discord/Staff',
        mappings: [
          { group: 'discord/910000000000000011', ldapGroup: 'cn=sre,dc=x' },
          { group: 'discord/Ops/EU', ldapGroup: 'cn=ops-eu,dc=x' },
        ],
      }),
      [],
    );
  });

  it('rejects the object form and malformed references with one clear message', () => {
    assert.deepEqual(
      issues({
        baseRole: { source: 'discord', group: 'Staff' },
        mappings: [
          { group: 'Staff', ldapGroup: 'cn=a,dc=x' },
          { group: 'Bad Source/x', ldapGroup: 'cn=b,dc=x' },
          { group: 'discord/', ldapGroup: 'cn=c,dc=x' },
        ],
      }),
      [
        'baseRole: write a group as source/group, e.g. discord/Staff',
        'mappings.0.group: write a group as source/group, e.g. discord/Staff',
        'mappings.1.group: write a group as source/group, e.g. discord/Staff',
        'mappings.2.group: write a group as source/group, e.g. discord/Staff',
      ],
    );
  });

  it('source references point at the reference itself (for file:line:col errors)', () => {
    const config = ldapGroupsSchema.parse({
      ...base,
      baseRole: 'discord/Staff',
      mappings: [{ group: 'roles/sre', ldapGroup: 'cn=sre,dc=x' }],
    });
    assert.deepEqual(ldapGroupsTarget.sourceRefs(config), [
      { path: ['baseRole'], source: 'discord' },
      { path: ['mappings', 0, 'group'], source: 'roles' },
    ]);
  });
});

describe('ldap-groups desired state through core people helpers', () => {
  const config = ldapGroupsSchema.parse({
    ...base,
    baseRole: 'discord/Staff',
    mappings: [{ group: 'roles/sre', ldapGroup: 'cn=sre,dc=x' }],
  });
  const src = (name: string, facts: ResolvedSource['facts']): [string, ResolvedSource] => [
    name,
    { name, type: 'static', status: 'live', facts, notes: [] },
  ];
  const d1 = '300000000000000001';
  const d2 = '300000000000000002';

  it('a group may list people another referenced source declares; unknown members are a note', () => {
    const ctx: DesiredContext = {
      sources: new Map([
        src('discord', {
          people: [
            { id: `discord:${d1}`, accounts: { discord: d1 } },
            { id: `discord:${d2}`, accounts: { discord: d2 } },
          ],
          groups: [{ name: 'Staff', members: [`discord:${d1}`, `discord:${d2}`] }],
        }),
        // A static group naming Discord people it does not declare itself.
        src('roles', { groups: [{ name: 'sre', members: [`discord:${d1}`, 'discord:999'] }] }),
      ]),
    };
    const desired = desiredState(config, ctx);
    assert.deepEqual(desired.groups[0]?.members, [`discord:${d1}`]);
    assert.deepEqual(desired.base?.members, [`discord:${d1}`, `discord:${d2}`]);
    assert.deepEqual(ldapGroupsNotes(config, desired, { accounts: [], groups: [], ownLocks: [] }).slice(0, 1), [
      'roles/sre: 1 member(s) no referenced source declares are left out: discord:999',
    ]);
  });

  it('a group the source does not have, or an unreadable source, is unknown with the reason', () => {
    const desired = desiredState(config, {
      sources: new Map([
        src('discord', { groups: [] }),
        ['roles', { name: 'roles', type: 'static', status: 'missing', facts: {}, notes: [] }],
      ]),
    });
    assert.deepEqual(desired.base, { known: false, why: 'source discord has no group "Staff"', members: [] });
    assert.equal(desired.groups[0]?.why, 'source roles could not be read');
  });
});
