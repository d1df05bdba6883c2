import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DesiredContext } from '../../core/contracts.ts';
import type { Group, Person } from '../../core/model.ts';
import { indexPeople, parseGroupRef, resolveGroup } from '../../core/people.ts';
import { liveSources } from '../../testing/live-sources.ts';
import { rng } from '../../testing/rng.ts';
import { ldapGroupsSchema, type LdapGroupsConfig } from './config.ts';
import { desiredState, placesOf } from './desired.ts';
import type { DesiredPerson } from './types.ts';

/**
 * What desiredState computes, the simple way: per group, each member's key by a lookup per membership; people
 * described by the first group (and member) naming their key, sorted by key.
 */
function reference(config: LdapGroupsConfig, ctx: DesiredContext, sources: string[]) {
  const index = indexPeople(ctx, sources);
  const described = new Map<string, DesiredPerson>();
  const keysOf = (text: string) => {
    const g = resolveGroup(ctx, parseGroupRef(text)!, index);
    const keys: string[] = [];
    for (const p of g.members) {
      const key = p.accounts.ldap
        ? `uid:${p.accounts.ldap}`
        : p.accounts.discord
          ? `discord:${p.accounts.discord}`
          : '';
      if (!key) continue;
      keys.push(key);
      if (!described.has(key))
        described.set(key, {
          key,
          personId: p.id,
          ...(p.accounts.discord ? { discordId: p.accounts.discord } : {}),
          ...(p.accounts.ldap ? { uid: p.accounts.ldap } : {}),
          ...(p.displayName ? { displayName: p.displayName } : {}),
        });
    }
    return [...new Set(keys)].sort();
  };
  const base = config.baseRole ? keysOf(config.baseRole) : null;
  const groups = config.mappings.map((m) => keysOf(m.group));
  const people = [...described.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { base, groups, people };
}

describe('ldap-groups desired state', () => {
  // Each person's key and description are worked out once and kept by their position in the people index; every
  // membership reads them by position. Two person ids may share a uid or a Discord id (one key, described once by the
  // first that names it), a person may have no key, and groups may come from two sources: the result must be what a
  // lookup per membership gives.
  it('keys and descriptions by index position equal a lookup per membership (table, random facts)', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const rand = rng(seed);
      const person = (i: number): Person => {
        const r = rand();
        return {
          id: `${r < 0.5 ? 'ldap' : 'x'}:p${String(i).padStart(3, '0')}`,
          ...(rand() < 0.5 ? { displayName: `P ${i}` } : {}),
          accounts: {
            ...(r < 0.7 ? { ldap: `u${Math.floor(rand() * 60)}` } : {}),
            ...(rand() < 0.7 ? { discord: String(1000 + Math.floor(rand() * 60)) } : {}),
          },
        };
      };
      const people = (from: number, n: number) =>
        Array.from({ length: n }, (_, i) => person(from + i)).sort((a, b) => (a.id < b.id ? -1 : 1));
      const a = people(0, 80);
      const b = people(60, 40);
      const pick = (list: Person[], name: string): Group => ({
        name,
        members: list
          .filter(() => rand() < 0.4)
          .map((p) => p.id)
          .concat(rand() < 0.3 ? ['nobody'] : []),
      });
      const ctx = liveSources({
        a: { people: a, groups: [pick(a, 'all'), pick(b, 'x')] },
        b: { people: b, groups: [pick(b, 'y'), pick(a, 'z')] },
      });
      const config = ldapGroupsSchema.parse({
        type: 'ldap-groups',
        connection: { url: 'ldap://127.0.0.1:1', bindDn: 'cn=x', bindPassword: 'secret-pw' },
        people: { base: 'ou=people,dc=x' },
        ...(seed % 2 === 0 ? { baseRole: 'a/all' } : {}),
        mappings: ['a/x', 'b/y', 'b/z', 'a/all'].map((group, i) => ({ group, ldapGroup: `cn=g${i},dc=x` })),
      });
      const desired = desiredState(config, ctx);
      const want = reference(config, ctx, ['a', 'b']);
      assert.deepEqual(desired.base?.members ?? null, want.base, `${seed}: base`);
      assert.deepEqual(
        desired.groups.map((g) => g.members),
        want.groups,
        `${seed}: groups`,
      );
      assert.deepEqual(desired.people, want.people, `${seed}: people`);
      // Where places are recorded, each names the description of that member.
      for (const g of desired.groups) {
        const at = placesOf(desired, g.members);
        if (at) for (const [i, key] of g.members.entries()) assert.equal(desired.people[at[i]!]!.key, key);
      }
    }
  });
});
