import type { DesiredContext } from '../../core/contracts.ts';
import type { Person } from '../../core/model.ts';
import { listNames } from '../../core/names.ts';
import { formatGroupRef, indexPeople, resolveGroup, type GroupRef, type PeopleIndex } from '../../core/people.ts';
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
  // Two people may share a key (the same uid declared under two person ids): they share one description, the first.
  // Finding that takes a lookup of every key; when the keys, in the order met, come out ascending (the rule for people
  // of an LDAP source: met by person id, and `ldap:<uid>` ids give `uid:<uid>` keys in that order), none is shared and
  // no lookup was needed. Otherwise the state is worked out again with the lookups.
  return describe(config, ctx, index, false) ?? (describe(config, ctx, index, true) as LdapGroupsDesired);
}

/**
 * The desired state, each person described once by the first group that names them. Without `shareKeys`, each person
 * gets a description of their own, and undefined is returned unless the keys met are strictly ascending (so distinct).
 */
function describe(
  config: LdapGroupsConfig,
  ctx: DesiredContext,
  index: PeopleIndex,
  shareKeys: boolean,
): LdapGroupsDesired | undefined {
  const problems = [...index.problems];
  // Everyone described, in the order met, and their keys (read per membership: an array of them, not the objects).
  const described: DesiredPerson[] = [];
  const keyAt: string[] = [];
  // Per person of the index (by position), the place in `described` of their description: UNSEEN until a group
  // names them, NO_KEY when they have no key. A person is in several groups: their key is made and looked up once
  // (one string shared by every group, not one per membership), and each membership reads the place by position.
  const placeAt = new Int32Array(index.list.length).fill(UNSEEN);
  const placeOfKey = shareKeys ? new Map<string, number>() : undefined;
  // Per group, the place in `described` of each member's description, parallel to its keys.
  const placed: { readonly keys: readonly string[]; readonly places: Int32Array }[] = [];
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
        `${formatGroupRef(ref)}: ${g.unknown.length} member(s) no referenced source declares are left out: ${listNames(g.unknown)}`,
      );
    }
    const keys: string[] = [];
    const places = new Int32Array(g.members.length);
    const { members: persons, positions } = g;
    for (let i = 0; i < persons.length; i++) {
      const at = positions[i] as number;
      let place = placeAt[at] as number;
      if (place === UNSEEN) {
        const p = persons[i] as Person;
        const key = keyOf(p);
        if (key === undefined) place = NO_KEY;
        else {
          const had = placeOfKey?.get(key);
          if (had !== undefined) place = had;
          else {
            place = described.length;
            placeOfKey?.set(key, place);
            described.push(toDesired(p, key));
            keyAt.push(key);
          }
        }
        placeAt[at] = place;
      }
      if (place !== NO_KEY) {
        places[keys.length] = place;
        keys.push(keyAt[place] as string);
      }
    }
    const members = distinctSorted(keys);
    // Sorted and distinct as they came (the rule for people of an LDAP source): each key's place is known.
    if (members === keys)
      placed.push({ keys, places: places.length === keys.length ? places : places.slice(0, keys.length) });
    return { known: true, members };
  };
  const base = config.baseRole ? resolve(config.baseRole) : null;
  const groups = config.mappings.map((m) => ({
    dn: m.ldapGroup,
    exclusive: m.exclusive,
    maxRemoveFraction: m.maxRemoveFraction,
    ...resolve(m.group),
  }));
  // People are met in group order, by person id: with uid keys (`ldap:<uid>` ids) that is already key order.
  let sorted = described;
  // Where each person met at place i is described in `people`: i itself, unless they were met out of key order.
  let placeOf: Int32Array | undefined;
  if (!ascending(keyAt)) {
    if (!shareKeys) return undefined;
    const order = described.map((_, i) => i).sort((a, b) => compareKeys(described[a]!.key, described[b]!.key));
    sorted = order.map((i) => described[i]!);
    placeOf = new Int32Array(order.length);
    for (let i = 0; i < order.length; i++) placeOf[order[i]!] = i;
  }
  const desired = { base, groups, people: sorted, problems };
  const byMembers = new WeakMap<readonly string[], Int32Array>();
  for (const { keys, places } of placed) {
    if (placeOf) for (let i = 0; i < places.length; i++) places[i] = placeOf[places[i]!]!;
    byMembers.set(keys, places);
  }
  memberPlaces.set(desired, byMembers);
  return desired;
}

const UNSEEN = -2;
const NO_KEY = -1;

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Per desired state made here, per members list of a group: the index in `people` of each member's description.
const memberPlaces = new WeakMap<LdapGroupsDesired, WeakMap<readonly string[], Int32Array>>();

/**
 * For a members list of `desired` (its base role's or a group's, as {@link desiredState} made it): the index in
 * `desired.people` of the description of each member, in the order of the list, so a diff can find what it worked
 * out per person by position instead of looking each membership's key up again. Undefined for a desired state not
 * made by {@link desiredState} in this process (a copy, a test's literal) or a list it could not place; callers then
 * look keys up.
 */
export function placesOf(desired: LdapGroupsDesired, members: readonly string[]): Int32Array | undefined {
  return memberPlaces.get(desired)?.get(members);
}

/** True when some members list of `desired` has places ({@link placesOf}). */
export function hasPlaces(desired: LdapGroupsDesired): boolean {
  return memberPlaces.has(desired);
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
