import { childDn, normalizeDn } from '../../adapters/ldap/dn.ts';
import { PERMANENT_LOCK_TIME, isLocked } from '../../adapters/ldap/lock.ts';
import { listNames as list } from '../../core/names.ts';
import type { LdapGroupsConfig } from './config.ts';
import { hasPlaces, placesOf } from './desired.ts';
import type {
  CreateAccountChange,
  DesiredPerson,
  LdapGroupsChange,
  LdapGroupsDesired,
  LdapGroupsObserved,
  ObservedAccount,
  UnlockChange,
} from './types.ts';

/** Joins desired people to observed accounts: `uid:<uid>` by uid, `discord:<id>` by the Discord-id attribute. */
export class AccountIndex<E extends AccountEntry = AccountEntry> {
  /** By uid: a `uid:` key is looked up by its uid (no key string is made per account). */
  readonly #byUid = new Map<string, E>();
  /** By Discord id as the account has it; null when more than one account has it. */
  readonly #byDiscordId = new Map<string, E | null>();
  /**
   * By `discord:…` key, made on the first such lookup: people of an LDAP source are all joined by uid, and a key string
   * per account (100k) that no one asks for is not made.
   */
  #byDiscordKey: Map<string, E | null> | undefined;
  /** Discord ids on more than one account, with those accounts' uids: joined to none of them. */
  readonly ambiguous = new Map<string, string[]>();
  /** @param entries one per account (the account, or a record of the diff that carries it), in observed order. */
  constructor(entries: readonly E[]);
  constructor(accounts: readonly ObservedAccount[]);
  constructor(list: readonly (E | ObservedAccount)[]) {
    // Indexed loops over accounts and memberships here and below: this code runs once per plan, where an iterator
    // makes a result object per element (100k–300k) before the loop is optimised.
    for (let i = 0; i < list.length; i++) {
      const item = list[i] as E | ObservedAccount;
      const e = ('account' in item ? item : { account: item }) as E;
      const a = e.account;
      this.#byUid.set(a.uid, e);
      if (!a.discordId) continue;
      const seen = this.#byDiscordId.get(a.discordId);
      if (seen === undefined) {
        this.#byDiscordId.set(a.discordId, e);
        continue;
      }
      // Two accounts claiming one Discord id: neither is joined (null), rather than guessing.
      this.#byDiscordId.set(a.discordId, null);
      const uids = this.ambiguous.get(a.discordId) ?? (seen ? [seen.account.uid] : []);
      this.ambiguous.set(a.discordId, [...uids, a.uid]);
    }
  }
  get(key: string): ObservedAccount | undefined {
    return this.entry(key)?.account;
  }
  /** The entry of the account of that uid (what the key `uid:<uid>` joins). */
  entryByUid(uid: string): E | undefined {
    return this.#byUid.get(uid);
  }
  /** The entry of the account the key joins, as given to the constructor. */
  entry(key: string): E | undefined {
    if (!key.startsWith('discord:')) return key.startsWith('uid:') ? this.#byUid.get(key.slice(4)) : undefined;
    if (!this.#byDiscordKey) {
      this.#byDiscordKey = new Map();
      for (const [id, e] of this.#byDiscordId) this.#byDiscordKey.set(`discord:${id}`, e);
    }
    return this.#byDiscordKey.get(key) ?? undefined;
  }
}

/** An account as the index holds it. */
export interface AccountEntry {
  readonly account: ObservedAccount;
}

/** An account as the join of a desired state holds it: what the diff asks of it per membership, found once. */
interface Joined extends AccountEntry {
  /** The record of its normalised DN. */
  readonly mark: DnMark;
  /** Its DN as observed is that of an account some base-role key joins (false without a known base role). */
  inBase: boolean;
  /** May be a wanted member: not a service account, and in the base role when one is configured. */
  eligible: boolean;
}

/** Observed accounts joined to a desired state and their DNs normalised: a pure function of the two. */
interface Join {
  readonly index: AccountIndex<Joined>;
  /** One per observed account, in the same order. */
  readonly entries: readonly Joined[];
  /** By normalised DN (its `account` is the last account of that DN). */
  readonly byDn: ReadonlyMap<string, DnMark>;
  /**
   * By DN as an account has it, when that is not its normal form (one in normal form is a key of `byDn`): a group
   * member written so needs no normalising.
   */
  readonly byAccountDn: ReadonlyMap<string, DnMark>;
  /** Some key of a known base role joins no account: only then can anyone need enrolment (with a base role). */
  readonly baseUnjoined: boolean;
  /**
   * The entry each desired person's key joins, by index in `desired.people`, when the desired state knows where its
   * members are described ({@link placesOf}): a membership is then read by position, not looked up by key.
   */
  readonly byPlace: readonly (Joined | undefined)[] | undefined;
}

// The diff and the notes of a run join the same observation (100k accounts). The join is kept with the desired state
// it was asked for, weakly, so it goes when planning the target is done (the observation itself is held until apply,
// and must not hold the join that long); asked again with another observation, it is made afresh.
const joins = new WeakMap<LdapGroupsDesired, { readonly accounts: readonly ObservedAccount[]; readonly join: Join }>();

function joinOf(desired: LdapGroupsDesired, accounts: readonly ObservedAccount[]): Join {
  const memo = joins.get(desired);
  if (memo?.accounts === accounts) return memo.join;
  const entries: Joined[] = [];
  const byDn = new Map<string, DnMark>();
  const byAccountDn = new Map<string, DnMark>();
  for (let i = 0; i < accounts.length; i++) {
    const a = accounts[i] as ObservedAccount;
    const n = normalizeDn(a.dn);
    let r = byDn.get(n);
    if (r === undefined) byDn.set(n, (r = newMark(n)));
    r.account = a;
    if (n !== a.dn) byAccountDn.set(a.dn, r);
    entries.push({ account: a, mark: r, inBase: false, eligible: false });
  }
  const index = new AccountIndex(entries);
  // A person is in the base role and a few groups: their key is looked up once, not once per membership. A desired
  // state with places was made by desiredState, whose key of a person with a uid is `uid:<uid>`: looked up by the uid.
  const byPlace = hasPlaces(desired)
    ? desired.people.map((p) => (p.uid === undefined ? index.entry(p.key) : index.entryByUid(p.uid)))
    : undefined;
  // The base role's accounts, by DN as observed (two accounts of one DN string are both in it): marked on the DN's
  // record, then read back per account.
  const base = desired.base;
  let baseUnjoined = false;
  if (base?.known) {
    const places = byPlace && placesOf(desired, base.members);
    for (let i = 0; i < base.members.length; i++) {
      const e = places ? byPlace[places[i] as number] : index.entry(base.members[i] as string);
      if (e) addBaseDn(e.mark, e.account.dn);
      else baseUnjoined = true;
    }
  }
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as Joined;
    e.inBase = isBaseDn(e.mark, e.account.dn);
    e.eligible = !e.account.service && (base === null || (base.known && e.inBase));
  }
  const join = { index, entries, byDn, byAccountDn, baseUnjoined, byPlace };
  joins.set(desired, { accounts, join });
  return join;
}

/**
 * What the groups decide about one normalised DN: the stamp of the group that last wanted it and of the one that last
 * held it. Stamps are unique to a group of one diff ({@link nextStamp}), so records kept with a join for a second
 * diff never carry the first one's marks.
 */
interface DnMark {
  readonly n: string;
  /** The last account of this DN, if any. */
  account: ObservedAccount | undefined;
  wantedIn: number;
  heldIn: number;
  /** The DN an added member is written as: that of the last account joined to a wanting key. */
  wantedDn: string;
  /** The member value as last observed in the group that last held it. */
  heldDn: string;
  /** DNs as observed of this normalised DN that a base-role key joins: one, almost always; a set past that. */
  baseDn: string | undefined;
  moreBaseDns: Set<string> | undefined;
}

function newMark(n: string): DnMark {
  return {
    n,
    account: undefined,
    wantedIn: -1,
    heldIn: -1,
    wantedDn: '',
    heldDn: '',
    baseDn: undefined,
    moreBaseDns: undefined,
  };
}
let lastStamp = 0;
const nextStamp = () => ++lastStamp;

function addBaseDn(r: DnMark, dn: string): void {
  if (r.baseDn === undefined) r.baseDn = dn;
  else if (r.baseDn !== dn) (r.moreBaseDns ??= new Set()).add(dn);
}

function isBaseDn(r: DnMark, dn: string): boolean {
  return r.baseDn === dn || (r.moreBaseDns?.has(dn) ?? false);
}

/** Accounts this target manages: linked to Discord and not service accounts. Only these are locked or unlocked. */
export function isManaged(a: ObservedAccount): boolean {
  return a.discordId !== undefined && !a.service;
}

/**
 * Pure, deterministic diff: group membership changes (one per mapped group, in config order, adds and removes
 * together so apply sends one modify per group), then locks, unlocks and account creations, each sorted by id.
 *
 * - A mapped group's desired members are the accounts of its people that also hold the base role (if configured).
 *   Removed: members that are managed accounts and not desired; with `exclusive`, any member not desired. Never
 *   removed: service accounts and `emptyMember`.
 * - With a base role: a managed account outside it is locked (every configured mechanism); a managed account inside
 *   it that carries a lock this target sets is unlocked — with `lock.unlock: own` (the default) only if the lock is
 *   this target's, i.e. recorded in `observed.ownLocks` when applied. Any other lock (an administrator's, say on a compromised account) stays, and
 *   {@link ldapGroupsNotes} reports it. A record whose account is no longer locked (unlocked by hand) is forgotten
 *   (`ldap-forget-lock`), so a later lock by hand is not taken for ours. A ppolicy lockout after failed binds (a real
 *   pwdAccountLockedTime) is not this target's and is left to expire.
 * - When the base role or a mapped group is unknown (source unreadable, group absent), nothing that depends on it
 *   changes; the guard reports why.
 * - An account that shares its Discord id with another account (and is not joined by uid) is never locked or removed:
 *   which person it belongs to is unknown. {@link ldapGroupsNotes} reports it.
 * - People with a mapped group and the base role but no account: `ldap-create-account` when `enrol.create` is on and
 *   the template gives a valid entry; otherwise nothing here — {@link ldapGroupsNotes} reports them as needing
 *   enrolment, since no change to LDAP can help.
 */
export function diffLdapGroups(
  config: LdapGroupsConfig,
  desired: LdapGroupsDesired,
  observed: LdapGroupsObserved,
): LdapGroupsChange[] {
  const join = joinOf(desired, observed.accounts);
  const { index, entries, byDn, byAccountDn } = join;
  const base = desired.base;
  const own = new Set(observed.ownLocks);
  // An account whose Discord id another account also carries is joined to nobody: whether its person holds a role is
  // unknown, so it is neither locked nor removed (a note reports it). Joined by uid, it is handled as usual.
  const unjoinable = (a: ObservedAccount) => a.discordId !== undefined && index.ambiguous.has(a.discordId);
  const keep = config.emptyMember ? normalizeDn(config.emptyMember) : undefined;
  const changes: LdapGroupsChange[] = [];
  const observedGroups = new Map<string, (typeof observed.groups)[number]>();
  for (const og of observed.groups) if (!observedGroups.has(og.dn)) observedGroups.set(og.dn, og);

  // 100k people in 500 groups are 210k desired and as many observed memberships: each is one lookup, of its join key
  // in the join (whose entry carries the record of its normalised DN and whether it may be wanted) or of its DN as
  // observed, and what the groups decide about that DN is marked on the record, not kept in maps per group.
  const strangers = new Map<string, DnMark>();
  const markOf = (n: string): DnMark => {
    let r = byDn.get(n) ?? strangers.get(n);
    if (r === undefined) strangers.set(n, (r = newMark(n)));
    return r;
  };
  // A member DN written as no account has it is normalised once: such a DN is a member of several groups too.
  const byMember = new Map<string, DnMark>();
  const heldAs = (dn: string) => {
    // A DN in normal form is its own normal form: the record of that DN is the one it names.
    let r = byDn.get(dn) ?? byAccountDn.get(dn) ?? byMember.get(dn);
    if (r === undefined) {
      r = markOf(safeNormalize(dn));
      byMember.set(dn, r);
    }
    return r;
  };

  for (const g of desired.groups) {
    if (!g.known) continue;
    const gi = nextStamp();
    const og = observedGroups.get(g.dn);
    // The members by normalised DN, each once, written as last observed (two spellings of one DN are one member).
    const held: DnMark[] = [];
    const members = og?.members ?? [];
    for (let i = 0; i < members.length; i++) {
      const m = members[i] as string;
      const r = heldAs(m);
      if (r.heldIn !== gi) {
        r.heldIn = gi;
        held.push(r);
      }
      r.heldDn = m;
    }
    const missing: DnMark[] = [];
    const places = join.byPlace && placesOf(desired, g.members);
    for (let i = 0; i < g.members.length; i++) {
      const w = places ? join.byPlace[places[i] as number] : index.entry(g.members[i] as string);
      if (w === undefined || !w.eligible) continue;
      const r = w.mark;
      r.wantedDn = w.account.dn; // the last account of the DN names it
      if (r.wantedIn === gi) continue; // two keys joined to one account, or two accounts of one DN: once
      r.wantedIn = gi;
      if (r.heldIn !== gi) missing.push(r);
    }
    const add = missing.map((r) => r.wantedDn);
    const remove: string[] = [];
    for (const r of held) {
      if (r.wantedIn === gi || r.n === keep) continue;
      const a = r.account;
      if (a?.service || (a && unjoinable(a))) continue;
      if (g.exclusive || (a !== undefined && isManaged(a))) remove.push(r.heldDn);
    }
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
    for (let i = 0; i < entries.length; i++) {
      const { account: a, inBase, mark } = entries[i] as Joined;
      if (!isManaged(a)) continue;
      if (!inBase && unjoinable(a)) continue;
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
        const clear = clearable(config, a);
        if ((clear.nsAccountLock || clear.pwdAccountLockedTime) && ownsLock(config, own, a)) {
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
      } else if (own.has(mark.n)) {
        accountChanges.push({
          kind: 'ldap-forget-lock',
          id: `forget-lock:${a.uid}`,
          summary: `forget that gatehouse locked ${a.uid} (${a.dn}): unlocked outside gatehouse`,
          destructive: false,
          dn: a.dn,
          uid: a.uid,
        });
      }
    }
  }
  for (const e of enrolments(config, desired, join)) if (e.create) accountChanges.push(e.create);
  accountChanges.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return [...changes, ...accountChanges];
}

/** The lock attributes an unlock of `a` would clear: only values this target sets. */
function clearable(config: LdapGroupsConfig, a: ObservedAccount): UnlockChange['clear'] {
  return {
    nsAccountLock: config.lock.nsAccountLock && a.lock.nsAccountLock,
    pwdAccountLockedTime: config.lock.pwdAccountLockedTime && a.lock.pwdAccountLockedTime === PERMANENT_LOCK_TIME,
  };
}

/**
 * Whether this target may undo the lock on `a`: always with `lock.unlock: any`; otherwise only when it recorded
 * applying the lock. ppolicy's permanent-lock value is no proof of ownership: it is also what an administrator writes
 * to lock an account by hand.
 */
function ownsLock(config: LdapGroupsConfig, own: ReadonlySet<string>, a: ObservedAccount): boolean {
  return config.lock.unlock === 'any' || own.has(normalizeDn(a.dn));
}

/** Managed accounts whose person holds the base role, locked by someone other than this target: left locked. */
function foreignLocks(config: LdapGroupsConfig, observed: LdapGroupsObserved, join: Join): ObservedAccount[] {
  const own = new Set(observed.ownLocks);
  const out: ObservedAccount[] = [];
  for (let i = 0; i < join.entries.length; i++) {
    const { account: a, inBase } = join.entries[i] as Joined;
    if (!isManaged(a) || !inBase || !isLocked(a.lock, config.lock)) continue;
    const clear = clearable(config, a);
    if ((clear.nsAccountLock || clear.pwdAccountLockedTime) && !ownsLock(config, own, a)) out.push(a);
  }
  return out;
}

/** A person with a mapped role (and the base role) but no account: created from the template, or why not. */
interface Enrolment {
  readonly person: DesiredPerson;
  readonly create?: CreateAccountChange;
  /** Why no account is created: empty when `enrol.create` is off, else what kept the template from applying. */
  readonly why?: string;
}

function enrolments(config: LdapGroupsConfig, desired: LdapGroupsDesired, join: Join): readonly Enrolment[] {
  const memo = enrolmentMemo.get(desired);
  if (memo?.join === join && memo.config === config) return memo.out;
  const out = findEnrolments(config, desired, join);
  enrolmentMemo.set(desired, { config, join, out });
  return out;
}
// Asked by the diff and again by the notes, for the same config, desired state and join.
const enrolmentMemo = new WeakMap<
  LdapGroupsDesired,
  { readonly config: LdapGroupsConfig; readonly join: Join; readonly out: readonly Enrolment[] }
>();

function findEnrolments(config: LdapGroupsConfig, desired: LdapGroupsDesired, join: Join): Enrolment[] {
  const base = desired.base;
  if (base && !base.known) return [];
  // With a base role only its holders can need an account, and the join looked each of their keys up already: when
  // every one has an account, nobody needs enrolment, without a lookup per person (100k) to find that out.
  if (base && !join.baseUnjoined) return [];
  const { index } = join;
  // Nearly everyone has an account: the keys of the base role and of the mapped groups (300k for 100k people) are
  // gathered only once someone has none.
  let inBase: ReadonlySet<string> | undefined;
  let mapped: ReadonlySet<string> | undefined;
  const out: Enrolment[] = [];
  for (const p of desired.people) {
    if (index.entry(p.key)) continue;
    if (!mapped) {
      const keys = new Set<string>();
      for (const g of desired.groups) if (g.known) for (const k of g.members) keys.add(k);
      mapped = keys;
      inBase = base ? new Set(base.members) : undefined;
    }
    if (!mapped.has(p.key) || (inBase && !inBase.has(p.key))) continue;
    out.push(enrol(config, p));
  }
  return out;
}

function who(p: DesiredPerson): string {
  return `${p.displayName ?? p.personId} (${p.personId})`;
}

/**
 * Findings for the plan that no change can act on, pure, one line each, in a fixed order:
 *
 * - data problems found while resolving groups (members no referenced source declares, conflicting people);
 * - people with a mapped role (and the base role) and no LDAP account, when accounts are not created from a template:
 *   they need enrolment by a person;
 * - with `enrol.create`, people whose account the template cannot build (no Discord id, uid not matching the pattern);
 * - Discord ids on more than one account: such accounts are joined to nobody, so neither is managed;
 * - accounts locked outside gatehouse whose person holds the base role: left locked (`lock.unlock: own`).
 */
export function ldapGroupsNotes(
  config: LdapGroupsConfig,
  desired: LdapGroupsDesired,
  observed: LdapGroupsObserved,
): string[] {
  const join = joinOf(desired, observed.accounts);
  const { index } = join;
  const out: string[] = [...desired.problems];
  const pending = enrolments(config, desired, join).filter((e) => !e.create);
  const plain = pending.filter((e) => !e.why).map((e) => who(e.person));
  if (plain.length > 0) {
    out.push(
      `needs enrolment: ${plain.length} person(s) hold a mapped role but have no LDAP account (enrol.create is off): ${list(plain)}`,
    );
  }
  const failed = pending.filter((e) => e.why).map((e) => `${who(e.person)}: ${e.why}`);
  if (failed.length > 0) {
    out.push(
      `needs enrolment: ${failed.length} person(s) hold a mapped role but no account can be created from the template: ${list(failed)}`,
    );
  }
  const ambiguous = [...index.ambiguous].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (ambiguous.length > 0) {
    out.push(
      `${ambiguous.length} Discord id(s) are on more than one account, which are therefore left alone: ${list(
        ambiguous.map(([id, uids]) => `${id} (${uids.join(', ')})`),
      )}`,
    );
  }
  const foreign = foreignLocks(config, observed, join).map((a) => `${a.uid} (${a.dn})`);
  if (foreign.length > 0) {
    out.push(
      `${foreign.length} account(s) locked outside gatehouse stay locked although their person holds the base role; unlock by hand if the lock is no longer wanted, or set lock.unlock: any to let gatehouse unlock them: ${list(foreign)}`,
    );
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

function enrol(config: LdapGroupsConfig, p: DesiredPerson): Enrolment {
  const e = config.enrol;
  if (!e.create) return { person: p };
  if (!p.discordId) return { person: p, why: 'no Discord id to link the new account with' };
  const vars: Record<string, string> = {
    discordId: p.discordId,
    displayName: p.displayName ?? p.discordId,
    slug: slug(p.displayName ?? ''),
  };
  const uid = fill(e.uid, vars);
  if (!new RegExp(e.uidPattern).test(uid)) {
    return { person: p, why: `uid template gave ${JSON.stringify(uid)}, which does not match ${e.uidPattern}` };
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
    person: p,
    create: {
      kind: 'ldap-create-account',
      id: `create:${p.personId}`,
      summary: `create account ${dn} for ${who(p)}`,
      destructive: false,
      personId: p.personId,
      discordId: p.discordId,
      dn,
      attributes,
    },
  };
}

function safeNormalize(dn: string): string {
  try {
    return normalizeDn(dn);
  } catch {
    return `invalid:${dn}`;
  }
}
