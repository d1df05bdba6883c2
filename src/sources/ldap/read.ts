import { AndFilter, EqualityFilter, FilterParser, OrFilter, type Filter } from 'ldapts';
import { GatehouseError } from '../../core/errors.ts';
import type { Group, Person, SourceRead } from '../../core/model.ts';
import type { LdapSourceConfig } from './config.ts';
import { all, first, type LdapEntry, type LdapSession } from './connection.ts';
import { normalizeDn } from './dn.ts';
import { LOCK_ATTRIBUTES, SNOWFLAKE, isLocked, lockState } from './lock.ts';
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
  const peopleEntries = await session.search(
    {
      base: config.people.base,
      scope: config.people.scope,
      filter: config.people.filter,
      attributes: [pa.uid, pa.discordId, pa.mail, pa.displayName, ...LOCK_ATTRIBUTES, 'memberOf'],
    },
    signal,
  );
  const byDn = new Map<string, Person>();
  const memberOf = new Map<string, readonly string[]>();
  const uids = new Set<string>();
  let noUid = 0;
  let locked = 0;
  for (const e of peopleEntries) {
    const uid = first(e, pa.uid);
    if (!uid) {
      noUid++;
      continue;
    }
    if (uids.has(uid)) {
      notes.push(`uid ${JSON.stringify(uid)} appears on more than one entry; ${e.dn} skipped`);
      continue;
    }
    uids.add(uid);
    if (config.lockedAccounts === 'exclude' && isLocked(lockState(e), config.people.lock)) {
      locked++;
      continue;
    }
    const key = normalizeDn(e.dn);
    byDn.set(key, toPerson(e, uid, config));
    memberOf.set(key, all(e, 'memberOf').map(safeNormalize));
  }
  if (noUid > 0) notes.push(`${noUid} entr${noUid === 1 ? 'y' : 'ies'} without ${pa.uid} skipped`);
  if (locked > 0) notes.push(`${locked} locked account(s) left out`);

  const groups = config.groups ? await readGroups(config, session, byDn, memberOf, notes, signal) : [];
  const people = [...byDn.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { complete: true, facts: { people, groups }, notes };
}

function toPerson(e: LdapEntry, uid: string, config: LdapSourceConfig): Person {
  const pa = config.people.attributes;
  const discord = all(e, pa.discordId).find((v) => SNOWFLAKE.test(v));
  const emails = [...all(e, pa.mail)].sort();
  const displayName = first(e, pa.displayName);
  return {
    id: `ldap:${uid}`,
    ...(displayName ? { displayName } : {}),
    accounts: { ldap: uid, ...(discord ? { discord } : {}), ...(emails.length > 0 ? { emails } : {}) },
  };
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
    { base: g.base, scope: g.scope, filter, attributes: [g.nameAttribute, g.memberAttribute, 'memberOf'] },
    signal,
  );
  const names = new Map<string, string>();
  const direct = new Map<string, readonly string[]>();
  const parents = new Map<string, readonly string[]>();
  const taken = new Set<string>();
  for (const e of entries) {
    const name = first(e, g.nameAttribute);
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
    direct.set(key, all(e, g.memberAttribute).map(safeNormalize));
    parents.set(key, all(e, 'memberOf').map(safeNormalize));
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
