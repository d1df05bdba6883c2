import { AndFilter, EqualityFilter, FilterParser, OrFilter, type Filter } from 'ldapts';
import { GatehouseError } from '../../core/errors.ts';
import type { Group, Person, PersonAccounts, SourceRead } from '../../core/model.ts';
import type { LdapSourceConfig } from './config.ts';
import type { LdapEntry, LdapSession } from '../../adapters/ldap/connection.ts';
import { normalizeDn } from '../../adapters/ldap/dn.ts';
import { LOCK_ATTRIBUTES, SNOWFLAKE, isLocked, lockState } from '../../adapters/ldap/lock.ts';
import { resolveMemberOf, resolveMembers } from './nested.ts';

/**
 * Reads people and (optionally) groups. Person ids are `ldap:<uid>`; accounts carry `ldap` (the uid), `discord`
 * (when the Discord-id attribute holds a snowflake) and `emails`. Group names come from `nameAttribute`; members are
 * person ids with nested groups resolved.
 *
 * Never a short list: any failure of any search (size or time limit, referral, network, refused bind) throws a
 * SOURCE_INCOMPLETE GatehouseError from the session, which the caller reports as an incomplete read. Entries without
 * a uid, duplicate uids and members that are not people of this source are skipped with a note.
 */
export async function readLdap(
  config: LdapSourceConfig,
  session: LdapSession,
  signal: AbortSignal,
): Promise<SourceRead> {
  const notes: string[] = [];
  const pa = config.people.attributes;
  // Per-entry work is kept to what the config needs: the visitor runs for every account of the directory, as each page
  // arrives, and keeps only the Person (and, with groups, its DN key).
  const excludeLocked = config.lockedAccounts === 'exclude';
  // DN keys join group members to people: only computed when groups are read.
  const keyed = config.groups !== undefined;
  const useMemberOf = config.groups?.membership === 'memberOf';
  const people: Person[] = [];
  const byDn = new Map<string, Person>();
  const memberOf = new Map<string, readonly string[]>();
  const uids = new Set<string>();
  let noUid = 0;
  let locked = 0;
  const visit = (e: LdapEntry): void => {
    const uid = e.first(pa.uid);
    if (!uid) {
      noUid++;
      return;
    }
    if (uids.has(uid)) {
      notes.push(`uid ${JSON.stringify(uid)} appears on more than one entry; ${e.dn} skipped`);
      return;
    }
    uids.add(uid);
    if (excludeLocked && isLocked(lockState(e), config.people.lock)) {
      locked++;
      return;
    }
    const person = withExtra(toPerson(uid, e.all(pa.discordId), e.all(pa.mail), e.first(pa.displayName)), e, pa.extra);
    people.push(person);
    if (keyed) {
      const key = normalizeDn(e.dn);
      byDn.set(key, person);
      if (useMemberOf) memberOf.set(key, e.all('memberOf').map(safeNormalize));
    }
  };
  await session.forEach(
    {
      base: config.people.base,
      scope: config.people.scope,
      filter: config.people.filter,
      attributes: peopleAttributes(config),
    },
    visit,
    signal,
  );
  if (noUid > 0) notes.push(`${noUid} entr${noUid === 1 ? 'y' : 'ies'} without ${pa.uid} skipped`);
  if (locked > 0) notes.push(`${locked} locked account(s) left out`);

  const groups = config.groups ? await readGroups(config, session, byDn, memberOf, notes, signal) : [];
  people.sort(byId);
  return { complete: true, facts: { people, groups }, notes };
}

/**
 * The attributes a read of people requests: the four configured ones, the lock attributes only when locked accounts
 * are left out (and only the enabled mechanisms), and memberOf only for memberOf-style groups. Asking for less is what
 * keeps a 100k-entry read cheap, on the wire and in ldapts' per-attribute work. Exported for the benchmark, which
 * sends `ldapsearch` the same list.
 */
export function peopleAttributes(config: LdapSourceConfig): string[] {
  const pa = config.people.attributes;
  const lock = config.people.lock;
  const out = [pa.uid, pa.discordId, pa.mail, pa.displayName, ...pa.extra];
  if (config.lockedAccounts === 'exclude') {
    for (const a of LOCK_ATTRIBUTES) if (lock[a]) out.push(a);
  }
  if (config.groups?.membership === 'memberOf') out.push('memberOf');
  return [...new Set(out)];
}

function toPerson(
  uid: string,
  discordValues: readonly string[],
  mails: readonly string[],
  displayName: string | undefined,
): Person {
  const accounts: PersonAccounts = { ldap: uid };
  const discord = discordValues.find((v) => SNOWFLAKE.test(v));
  if (discord) accounts.discord = discord;
  if (mails.length > 0) accounts.emails = mails.length === 1 ? mails : [...mails].sort();
  return displayName ? { id: `ldap:${uid}`, displayName, accounts } : { id: `ldap:${uid}`, accounts };
}

/** The configured extra attributes an entry has (first value each); none configured leaves the person as it is. */
function withExtra(person: Person, e: LdapEntry, names: readonly string[]): Person {
  if (names.length === 0) return person;
  const attributes: Record<string, string> = {};
  for (const n of names) {
    const v = e.first(n);
    if (v !== undefined) attributes[n] = v;
  }
  return { ...person, attributes };
}

function byId(a: Person, b: Person): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

async function readGroups(
  config: LdapSourceConfig,
  session: LdapSession,
  people: ReadonlyMap<string, Person>,
  memberOf: ReadonlyMap<string, readonly string[]>,
  notes: string[],
  signal: AbortSignal,
): Promise<Group[]> {
  const g = config.groups!;
  let filter: Filter | string = g.filter;
  if (g.only) {
    // Names go through EqualityFilter, which escapes them (RFC 4515): a name like `*)(cn=*` matches nothing.
    const names = new OrFilter({
      filters: g.only.map((value) => new EqualityFilter({ attribute: g.nameAttribute, value })),
    });
    filter = new AndFilter({ filters: [FilterParser.parseString(g.filter), names] });
  }
  const entries = await session.search(
    {
      base: g.base,
      scope: g.scope,
      filter,
      attributes: [g.nameAttribute, g.membership === 'member' ? g.memberAttribute : 'memberOf'],
    },
    signal,
  );
  const names = new Map<string, string>();
  const direct = new Map<string, readonly string[]>();
  const parents = new Map<string, readonly string[]>();
  const taken = new Set<string>();
  for (const e of entries) {
    const name = e.first(g.nameAttribute);
    if (!name) continue;
    if (taken.has(name)) {
      throw new GatehouseError(
        'SOURCE_INVALID_DATA',
        `two groups are named ${JSON.stringify(name)} (${g.nameAttribute}); narrow groups.base or groups.filter`,
        { terminal: true },
      );
    }
    taken.add(name);
    const key = normalizeDn(e.dn);
    names.set(key, name);
    if (g.membership === 'member') direct.set(key, e.all(g.memberAttribute).map(safeNormalize));
    else parents.set(key, e.all('memberOf').map(safeNormalize));
  }
  if (g.only) {
    const missing = g.only.filter((n) => !taken.has(n));
    if (missing.length > 0) {
      throw new GatehouseError('SOURCE_INCOMPLETE', `configured group(s) not found: ${missing.join(', ')}`);
    }
  }
  const resolved =
    g.membership === 'member' ? resolveMembers(direct, (k) => people.has(k)) : resolveMemberOf(memberOf, parents);
  const out: Group[] = [];
  for (const [key, members] of resolved) {
    const ids = members.flatMap((m) => {
      const p = people.get(m);
      return p ? [p.id] : [];
    });
    out.push({ name: names.get(key) as string, members: [...new Set(ids)].sort() });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A member value that is not a parseable DN cannot match anything; it is kept as-is so it simply matches nothing. */
function safeNormalize(dn: string): string {
  try {
    return normalizeDn(dn);
  } catch {
    return `invalid:${dn}`;
  }
}
