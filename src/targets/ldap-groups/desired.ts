import type { DesiredContext } from '../../core/contracts.ts';
import type { Person } from '../../core/model.ts';
import { formatGroupRef, indexPeople, resolveGroup, type GroupRef } from '../../core/people.ts';
import { groupRefOf, type LdapGroupsConfig } from './config.ts';
import type { DesiredPerson, LdapGroupsDesired } from './types.ts';

/** The sources this target's groups come from, in config order (base role first). */
export function referencedSources(config: LdapGroupsConfig): string[] {
  const refs = [...(config.baseRole ? [config.baseRole] : []), ...config.mappings.map((m) => m.group)];
  return [...new Set(refs.map((r) => groupRefOf(r).source))];
}

/**
 * Desired state, a pure function of the sources' facts: who holds the base role, and who holds each mapped group,
 * as join keys (`uid:<uid>` when the person has an LDAP account id, else `discord:<id>`). People come from every source
 * the target references (core's people index), so a group may list people another referenced source declares. People
 * with neither account are left out (nothing in LDAP can be theirs).
 *
 * A group whose source could not be read (no snapshot either) or that the source does not have is `known: false`,
 * which the diff and guards turn into "change nothing that depends on it". Members no referenced source declares, and
 * people declared differently by two sources, are `problems` (shown as plan notes).
 */
export function desiredState(config: LdapGroupsConfig, ctx: DesiredContext): LdapGroupsDesired {
  const index = indexPeople(ctx, referencedSources(config));
  const problems = [...index.problems];
  const people = new Map<string, DesiredPerson>();
  const keyOfPerson = new Map<Person, string | null>();
  const resolve = (text: string) => {
    const ref: GroupRef = groupRefOf(text);
    const g = resolveGroup(ctx, ref, index);
    if (g.status === 'unavailable') {
      return { known: false, why: `source ${ref.source} could not be read`, members: [] as string[] };
    }
    if (g.status === 'missing') {
      return { known: false, why: `source ${ref.source} has no group ${JSON.stringify(ref.group)}`, members: [] };
    }
    if (g.unknown.length > 0) {
      problems.push(
        `${formatGroupRef(ref)}: ${g.unknown.length} member(s) no referenced source declares are left out: ${g.unknown.slice(0, 20).join(', ')}${g.unknown.length > 20 ? ` and ${g.unknown.length - 20} more` : ''}`,
      );
    }
    const keys: string[] = [];
    for (const p of g.members) {
      // A person is in several groups: their key is made once (one string shared by every group, not one per
      // membership), and they are described once, by the first group that names them.
      let key = keyOfPerson.get(p);
      if (key === undefined) {
        key = keyOf(p) ?? null;
        keyOfPerson.set(p, key);
        if (key !== null && !people.has(key)) people.set(key, toDesired(p, key));
      }
      if (key !== null) keys.push(key);
    }
    return { known: true, members: distinctSorted(keys) };
  };
  const base = config.baseRole ? resolve(config.baseRole) : null;
  const groups = config.mappings.map((m) => ({
    dn: m.ldapGroup,
    exclusive: m.exclusive,
    maxRemoveFraction: m.maxRemoveFraction,
    ...resolve(m.group),
  }));
  // People are met in group order, by person id: with uid keys (`ldap:<uid>` ids) that is already key order.
  const described = [...people.values()];
  const sorted = ascending(described.map((p) => p.key))
    ? described
    : described.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { base, groups, people: sorted, problems };
}

/**
 * `keys` each once, sorted (code unit order). Members come sorted by person id, which for people of an LDAP source is
 * the order of their `uid:` keys: such a list is the answer as it is, without a set and a sort of it.
 */
function distinctSorted(keys: string[]): string[] {
  return ascending(keys) ? keys : [...new Set(keys)].sort();
}

/** True when each key is greater than the one before: sorted, and each once. */
function ascending(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (!((keys[i - 1] as string) < (keys[i] as string))) return false;
  return true;
}

/** The join key of a person: `uid:<uid>` when they have an LDAP account id, else `discord:<id>`; none without either. */
function keyOf(p: Person): string | undefined {
  const { ldap, discord } = p.accounts;
  return ldap ? `uid:${ldap}` : discord ? `discord:${discord}` : undefined;
}

function toDesired(p: Person, key: string): DesiredPerson {
  const { ldap, discord } = p.accounts;
  return {
    key,
    personId: p.id,
    ...(discord ? { discordId: discord } : {}),
    ...(ldap ? { uid: ldap } : {}),
    ...(p.displayName ? { displayName: p.displayName } : {}),
  };
}
