import type { LdapEntry } from './connection.ts';

/**
 * The value ppolicy reads as "locked by an administrator until unlocked" (draft-behera-ldap-password-policy): any
 * other pwdAccountLockedTime is a lockout after failed binds, which expires by itself.
 */
export const PERMANENT_LOCK_TIME = '000001010000Z';

/** Which lock attributes an entry carries. Plain data: it ends up in observed state. */
export interface LockState {
  /** nsAccountLock is TRUE (case-insensitive; FreeIPA writes TRUE, some tools true). */
  readonly nsAccountLock: boolean;
  /** The pwdAccountLockedTime value, if any. */
  readonly pwdAccountLockedTime?: string;
}

export function lockState(e: LdapEntry): LockState {
  const ns = e.first('nsAccountLock');
  const pwd = e.first('pwdAccountLockedTime');
  const nsAccountLock = ns !== undefined && ns.toUpperCase() === 'TRUE';
  return pwd ? { nsAccountLock, pwdAccountLockedTime: pwd } : { nsAccountLock };
}

/** Whether the configured lock mechanisms consider the account locked. */
export function isLocked(s: LockState, use: { nsAccountLock: boolean; pwdAccountLockedTime: boolean }): boolean {
  return (use.nsAccountLock && s.nsAccountLock) || (use.pwdAccountLockedTime && s.pwdAccountLockedTime !== undefined);
}

/** Lock attributes requested in every read of people. pwdAccountLockedTime is operational: only sent when named. */
export const LOCK_ATTRIBUTES = ['nsAccountLock', 'pwdAccountLockedTime'] as const;

/** A Discord user id: a snowflake of 17 to 20 digits. */
export const SNOWFLAKE = /^\d{17,20}$/;
