import type { DesiredContext } from '../../core/contracts.ts';
import type { Person } from '../../core/model.ts';
import type { LdapGroupsConfig } from './config.ts';
import type { DesiredPerson, LdapGroupsDesired } from './types.ts';

/**
 * Desired state, a pure function of the sources' facts: who holds the base role, and who holds each mapped group,
 * as join keys (`uid:<uid>` when the person has an LDAP account id, else `discord:<id>`). People without either are
 * left out (nothing in LDAP can be theirs). A group whose source is missing or that the source does not have is
 * `known: false`, which the guards turn into "remove and lock nothing for it".
 */
export function desiredState(config: LdapGroupsConfig, ctx: DesiredContext): LdapGroupsDesired {
  const people = new Map<string, DesiredPerson>();
  const resolve = (ref: { source: string; group: string }) => {
    const src = ctx.sources.get(ref.source);
    if (!src || src.status === 'missing') {
      return { known: false, why: `source ${ref.source} could not be read`, members: [] as string[] };
    }
    const group = (src.facts.groups ?? []).find((g) => g.name === ref.group);
    if (!group)
      return { known: false, why: `source ${ref.source} has no group ${JSON.stringify(ref.group)}`, members: [] };
    const byId = new Map((src.facts.people ?? []).map((p) => [p.id, p]));
    const keys = new Set<string>();
    for (const id of group.members) {
      const p = byId.get(id);
      const d = p ? toDesired(p) : undefined;
      if (!d) continue;
      keys.add(d.key);
      if (!people.has(d.key)) people.set(d.key, d);
    }
    return { known: true, members: [...keys].sort() };
  };
  const base = config.baseRole ? resolve(config.baseRole) : null;
  const groups = config.mappings.map((m) => ({
    dn: m.ldapGroup,
    exclusive: m.exclusive,
    maxRemoveFraction: m.maxRemoveFraction,
    ...resolve(m),
  }));
  const sorted = [...people.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { base, groups, people: sorted };
}

function toDesired(p: Person): DesiredPerson | undefined {
  const { ldap, discord } = p.accounts;
  if (!ldap && !discord) return undefined;
  return {
    key: ldap ? `uid:${ldap}` : `discord:${discord}`,
    personId: p.id,
    ...(discord ? { discordId: discord } : {}),
    ...(ldap ? { uid: ldap } : {}),
    ...(p.displayName ? { displayName: p.displayName } : {}),
  };
}
