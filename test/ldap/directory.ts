import { GROUPS, PEOPLE } from '../harness/slapd.ts';

/** The Discord id the generator gives user `i`: a valid 18-digit snowflake. */
export function snowflake(i: number): string {
  return String(300000000000000000n + BigInt(i));
}

export function uidOf(i: number): string {
  return `u${String(i).padStart(6, '0')}`;
}

export function userDn(i: number): string {
  return `uid=${uidOf(i)},${PEOPLE}`;
}

export interface GroupSpec {
  readonly cn: string;
  /** Member DNs (users or other groups). */
  readonly members: readonly string[];
}

export interface DirectorySpec {
  /** Users u000000 … u(n-1), each with employeeNumber = snowflake(i), mail and displayName. */
  readonly users: number;
  /** Only users below this index get employeeNumber (a Discord link). Default: all. */
  readonly linked?: number;
  /** Users (by index) that start locked with nsAccountLock: TRUE. */
  readonly locked?: readonly number[];
  readonly groups?: readonly GroupSpec[];
  /** Extra LDIF appended verbatim. */
  readonly extra?: string;
}

/** LDIF for slapadd: FreeIPA-shaped users (`gatehouseLockable` allows nsAccountLock) and groupOfNames groups. */
export function directoryLdif(spec: DirectorySpec): string {
  const locked = new Set(spec.locked ?? []);
  const linked = spec.linked ?? spec.users;
  const parts: string[] = [];
  for (let i = 0; i < spec.users; i++) {
    const uid = uidOf(i);
    parts.push(
      `dn: uid=${uid},${PEOPLE}\nobjectClass: inetOrgPerson\nobjectClass: gatehouseLockable\nuid: ${uid}\ncn: User ${i}\nsn: ${i}\ndisplayName: User ${i}\nmail: ${uid}@example.org\n${i < linked ? `employeeNumber: ${snowflake(i)}\n` : ''}userPassword: pw-${uid}\n${locked.has(i) ? 'nsAccountLock: TRUE\n' : ''}\n`,
    );
  }
  for (const g of spec.groups ?? []) {
    parts.push(
      `dn: cn=${g.cn},${GROUPS}\nobjectClass: groupOfNames\ncn: ${g.cn}\n${g.members.map((m) => `member: ${m}\n`).join('')}\n`,
    );
  }
  return parts.join('') + (spec.extra ?? '');
}

/** Placeholder member kept in groupOfNames groups, which require one. */
export const EMPTY_MEMBER = `cn=empty,${GROUPS}`;
