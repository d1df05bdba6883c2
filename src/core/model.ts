import type { Prefix } from './address.ts';

/**
 * The facts gatehouse reasons about. Sources produce them; desired state is a pure function of facts and config.
 */

/** A named set of addresses, already validated and canonical. */
export interface AddressSet {
  readonly name: string;
  readonly prefixes: readonly Prefix[];
}

/** Account ids of one human. GitHub is keyed by numeric id, never by login (logins can be renamed or taken over). */
export interface PersonAccounts {
  discord?: string;
  ldap?: string;
  github?: number;
  emails?: readonly string[];
}

export interface Person {
  /** Stable id within gatehouse: the first linked account, e.g. `ldap:alice` or `discord:1234`. */
  readonly id: string;
  readonly displayName?: string;
  readonly accounts: PersonAccounts;
  /**
   * Further attributes a source was configured to carry, by name (e.g. `uidNumber`, `homeDirectory` of an LDAP
   * account), first value only. Targets that need them (kubernetes-tenants) name them in their config.
   */
  readonly attributes?: Readonly<Record<string, string>>;
}

export interface Group {
  readonly name: string;
  /** Person ids. */
  readonly members: readonly string[];
}

/** What one source read. */
export interface Facts {
  addressSets?: readonly AddressSet[];
  people?: readonly Person[];
  groups?: readonly Group[];
}

/**
 * How many entries facts hold: prefixes, people and group memberships. Zero means the source said "nobody", which
 * `resolveSource` in pipeline.ts distrusts when the source had entries before. Pure.
 */
export function entryCount(facts: Facts): number {
  let n = 0;
  for (const a of facts.addressSets ?? []) n += a.prefixes.length;
  n += facts.people?.length ?? 0;
  for (const g of facts.groups ?? []) n += g.members.length;
  return n;
}

/**
 * One source read. `complete: false` means the read failed, was truncated or was partial: its facts must never cause a
 * removal. The pipeline then falls back to the last-known-good snapshot, if any.
 */
export interface SourceRead {
  readonly complete: boolean;
  readonly facts: Facts;
  /** Human-readable notes: skipped items, reasons for incompleteness. No secrets. */
  readonly notes: readonly string[];
}

/** How the pipeline resolved a source for this run. */
export interface ResolvedSource {
  readonly name: string;
  readonly type: string;
  /** `live`: read complete now; `snapshot`: read incomplete, last-known-good used; `missing`: neither. */
  readonly status: 'live' | 'snapshot' | 'missing';
  readonly facts: Facts;
  readonly notes: readonly string[];
  /** For `snapshot`: when the snapshot was taken (ISO 8601). */
  readonly snapshotAt?: string;
}
