import { childDn, normalizeDn } from '../../sources/ldap/dn.ts';
import { PERMANENT_LOCK_TIME, isLocked } from '../../sources/ldap/lock.ts';
import type { LdapGroupsConfig } from './config.ts';
import type {
  DesiredPerson,
  EnrolChange,
  LdapGroupsChange,
  LdapGroupsDesired,
  LdapGroupsObserved,
  ObservedAccount,
} from './types.ts';

/** Joins desired people to observed accounts: `uid:<uid>` by uid, `discord:<id>` by the Discord-id attribute. */
export class AccountIndex {
  readonly #byUid = new Map<string, ObservedAccount>();
  readonly #byDiscord = new Map<string, ObservedAccount | null>();
  constructor(accounts: readonly ObservedAccount[]) {
    for (const a of accounts) {
      this.#byUid.set(a.uid, a);
      // Two accounts claiming one Discord id: neither is joined (null), rather than guessing.
      if (a.discordId) this.#byDiscord.set(a.discordId, this.#byDiscord.has(a.discordId) ? null : a);
    }
  }
  get(key: string): ObservedAccount | undefined {
    if (key.startsWith('uid:')) return this.#byUid.get(key.slice(4));
    if (key.startsWith('discord:')) return this.#byDiscord.get(key.slice(8)) ?? undefined;
    return undefined;
  }
}

/** Accounts this target manages: linked to Discord and not service accounts. Only these are locked or unlocked. */
export function isManaged(a: ObservedAccount): boolean {
  return a.discordId !== undefined && !a.service;
}

/**
 * Pure, deterministic diff: group membership changes (one per mapped group, in config order, adds and removes
 * together so apply sends one modify per group), then locks, unlocks and enrolments, each sorted by id.
 *
 * - A mapped group's desired members are the accounts of its people that also hold the base role (if configured).
 *   Removed: members that are managed accounts and not desired; with `exclusive`, any member not desired. Never
 *   removed: service accounts and `emptyMember`.
 * - With a base role: a managed account outside it is locked (every configured mechanism); a managed account inside
 *   it that carries a lock this target sets is unlocked. A ppolicy lockout after failed binds (a real
 *   pwdAccountLockedTime) is not this target's and is left to expire.
 * - When the base role or a mapped group is unknown (source unreadable, group absent), nothing that depends on it
 *   changes; the guard reports why.
 * - People with a mapped group and the base role but no account: `ldap-needs-enrolment`, or `ldap-create-account`
 *   when `enrol.create` is on and the uid template gives a valid uid.
 */
export function diffLdapGroups(
  config: LdapGroupsConfig,
  desired: LdapGroupsDesired,
  observed: LdapGroupsObserved,
): LdapGroupsChange[] {
  const index = new AccountIndex(observed.accounts);
  const base = desired.base;
  const baseDns = new Set<string>();
  if (base?.known) {
    for (const k of base.members) {
      const a = index.get(k);
      if (a) baseDns.add(a.dn);
    }
  }
  const eligible = (a: ObservedAccount) => !a.service && (base === null || (base.known && baseDns.has(a.dn)));
  const accountsByDn = new Map(observed.accounts.map((a) => [normalizeDn(a.dn), a]));
  const keep = config.emptyMember ? normalizeDn(config.emptyMember) : undefined;
  const changes: LdapGroupsChange[] = [];

  for (const g of desired.groups) {
    if (!g.known) continue;
    const og = observed.groups.find((x) => x.dn === g.dn);
    const current = new Map((og?.members ?? []).map((m) => [safeNormalize(m), m]));
    const want = new Map<string, string>();
    for (const k of g.members) {
      const a = index.get(k);
      if (a && eligible(a)) want.set(normalizeDn(a.dn), a.dn);
    }
    const add = [...want].filter(([n]) => !current.has(n)).map(([, dn]) => dn);
    const remove = [...current]
      .filter(([n]) => {
        if (want.has(n) || n === keep) return false;
        const a = accountsByDn.get(n);
        if (a?.service) return false;
        return g.exclusive || (a !== undefined && isManaged(a));
      })
      .map(([, dn]) => dn);
    if (add.length === 0 && remove.length === 0) continue;
    add.sort();
    remove.sort();
    changes.push({
      kind: 'ldap-group-members',
      id: `group:${g.dn}`,
      summary: `group ${g.dn}: +${add.length} -${remove.length}`,
      destructive: remove.length > 0,
      group: g.dn,
      add,
      remove,
    });
  }

  const accountChanges: LdapGroupsChange[] = [];
  if (base?.known) {
    for (const a of observed.accounts) {
      if (!isManaged(a)) continue;
      const inBase = baseDns.has(a.dn);
      const wantNs = config.lock.nsAccountLock;
      const wantPwd = config.lock.pwdAccountLockedTime;
      if (!inBase) {
        const fully = (!wantNs || a.lock.nsAccountLock) && (!wantPwd || a.lock.pwdAccountLockedTime !== undefined);
        if (!fully) {
          accountChanges.push({
            kind: 'ldap-lock',
            id: `lock:${a.uid}`,
            summary: `lock ${a.uid} (${a.dn}): no longer holds the base role, or left`,
            destructive: true,
            dn: a.dn,
            uid: a.uid,
          });
        }
      } else if (isLocked(a.lock, config.lock)) {
        const clear = {
          nsAccountLock: wantNs && a.lock.nsAccountLock,
          pwdAccountLockedTime: wantPwd && a.lock.pwdAccountLockedTime === PERMANENT_LOCK_TIME,
        };
        if (clear.nsAccountLock || clear.pwdAccountLockedTime) {
          accountChanges.push({
            kind: 'ldap-unlock',
            id: `unlock:${a.uid}`,
            summary: `unlock ${a.uid} (${a.dn}): holds the base role again`,
            destructive: false,
            dn: a.dn,
            uid: a.uid,
            clear,
          });
        }
      }
    }
  }
  accountChanges.push(...enrolments(config, desired, index));
  accountChanges.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return [...changes, ...accountChanges];
}

function enrolments(config: LdapGroupsConfig, desired: LdapGroupsDesired, index: AccountIndex): EnrolChange[] {
  const base = desired.base;
  if (base && !base.known) return [];
  const inBase = base ? new Set(base.members) : undefined;
  const mapped = new Set(desired.groups.filter((g) => g.known).flatMap((g) => g.members));
  const out: EnrolChange[] = [];
  for (const p of desired.people) {
    if (!mapped.has(p.key) || (inBase && !inBase.has(p.key)) || index.get(p.key)) continue;
    out.push(enrolChange(config, p));
  }
  return out;
}

/** Lower-case a-z0-9 of a display name, for uid templates. */
export function slug(text: string): string {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

function fill(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);
}

function enrolChange(config: LdapGroupsConfig, p: DesiredPerson): EnrolChange {
  const who = `${p.displayName ?? p.personId} (${p.personId})`;
  const report = (why: string): EnrolChange => ({
    kind: 'ldap-needs-enrolment',
    id: `enrol:${p.personId}`,
    summary: `needs enrolment: ${who} has a mapped role but no LDAP account${why}`,
    destructive: false,
    personId: p.personId,
    ...(p.discordId ? { discordId: p.discordId } : {}),
  });
  const e = config.enrol;
  if (!e.create) return report('');
  if (!p.discordId) return report(' (no Discord id to link the new account with)');
  const vars: Record<string, string> = {
    discordId: p.discordId,
    displayName: p.displayName ?? p.discordId,
    slug: slug(p.displayName ?? ''),
  };
  const uid = fill(e.uid, vars);
  if (!new RegExp(e.uidPattern).test(uid)) {
    return report(` (uid template gave ${JSON.stringify(uid)}, which does not match ${e.uidPattern})`);
  }
  vars.uid = uid;
  const attributes: Record<string, string[]> = {
    objectClass: [...e.objectClasses],
    [config.people.uidAttribute]: [uid],
    [config.people.discordIdAttribute]: [p.discordId],
  };
  for (const [k, t] of Object.entries(e.attributes)) attributes[k] = [fill(t, vars)];
  const rdnValue = attributes[e.rdnAttribute]?.[0] ?? uid;
  attributes[e.rdnAttribute] = [rdnValue];
  // The RDN value can come from Discord (a display name): escaped per RFC 4514 so it cannot add RDNs or move the entry.
  const dn = childDn(e.rdnAttribute, rdnValue, e.base ?? config.people.base);
  return {
    kind: 'ldap-create-account',
    id: `create:${p.personId}`,
    summary: `create account ${dn} for ${who}`,
    destructive: false,
    personId: p.personId,
    discordId: p.discordId,
    dn,
    attributes,
  };
}

function safeNormalize(dn: string): string {
  try {
    return normalizeDn(dn);
  } catch {
    return `invalid:${dn}`;
  }
}
