import type { Change } from '../../core/contracts.ts';
import type { LockState } from '../../adapters/ldap/lock.ts';

/** One account under people.base, as observed. Plain JSON: the pipeline digests it. */
export interface ObservedAccount {
  readonly dn: string;
  readonly uid: string;
  /** The Discord-id attribute, when it holds a snowflake. */
  readonly discordId?: string;
  readonly lock: LockState;
  /** Matched the service-account filter or list: never touched. */
  readonly service: boolean;
}

export interface ObservedGroup {
  readonly dn: string;
  /** Member DNs as stored (not normalised), sorted. */
  readonly members: readonly string[];
}

export interface LdapGroupsObserved {
  readonly accounts: readonly ObservedAccount[];
  readonly groups: readonly ObservedGroup[];
  /**
   * Normalised DNs of the accounts this target recorded locking (durable target state), sorted. Read with the
   * directory so the diff stays pure: only these locks (and ppolicy's permanent-lock marker, when configured) are
   * undone by default.
   */
  readonly ownLocks: readonly string[];
}

/** A person who should hold something, as a join key: `discord:<id>` or `uid:<uid>`. */
export interface DesiredPerson {
  readonly key: string;
  readonly personId: string;
  readonly discordId?: string;
  readonly uid?: string;
  readonly displayName?: string;
}

export interface DesiredGroup {
  readonly dn: string;
  /** False when the source group is missing (source unreadable, or no such group): removals are then refused. */
  readonly known: boolean;
  readonly why?: string;
  readonly members: readonly string[];
  readonly exclusive: boolean;
  readonly maxRemoveFraction: number;
}

export interface LdapGroupsDesired {
  /** null: no base role configured, so locks are not managed. */
  readonly base: { readonly known: boolean; readonly why?: string; readonly members: readonly string[] } | null;
  readonly groups: readonly DesiredGroup[];
  /** Everyone named by any key above. */
  readonly people: readonly DesiredPerson[];
  /** Data problems found while resolving groups (unknown members, conflicting people), for the plan's notes. */
  readonly problems: readonly string[];
}

export interface GroupMembersChange extends Change {
  readonly kind: 'ldap-group-members';
  readonly group: string;
  readonly add: readonly string[];
  readonly remove: readonly string[];
}

export interface LockChange extends Change {
  readonly kind: 'ldap-lock';
  readonly dn: string;
  readonly uid: string;
}

export interface UnlockChange extends Change {
  readonly kind: 'ldap-unlock';
  readonly dn: string;
  readonly uid: string;
  /** Clear nsAccountLock / pwdAccountLockedTime: only the locks this target would have set. */
  readonly clear: { readonly nsAccountLock: boolean; readonly pwdAccountLockedTime: boolean };
}

/**
 * Forgets this target's record of locking an account that is no longer locked (unlocked outside gatehouse): were the
 * record kept, a later lock by hand would be taken for ours and undone. Touches only gatehouse's state, not LDAP.
 */
export interface ForgetLockChange extends Change {
  readonly kind: 'ldap-forget-lock';
  readonly dn: string;
  readonly uid: string;
}

/**
 * A new account for a person who holds a mapped role (and the base role) but has none, built from `enrol`'s template.
 * Only with `enrol.create`; otherwise such a person is a note of the plan ("needs enrolment"), not a change.
 */
export interface CreateAccountChange extends Change {
  readonly kind: 'ldap-create-account';
  readonly personId: string;
  readonly discordId: string;
  readonly dn: string;
  readonly attributes: Readonly<Record<string, readonly string[]>>;
}

export type LdapGroupsChange = GroupMembersChange | LockChange | UnlockChange | ForgetLockChange | CreateAccountChange;
