import type { Family, Prefix } from '../../core/address.ts';
import type { Change } from '../../core/contracts.ts';
import type { ShrinkLimit } from '../../core/guards.ts';

/** The nftables table that holds the managed sets. gatehouse never creates, flushes or deletes it. */
export interface TableRef {
  readonly family: 'ip' | 'ip6' | 'inet';
  readonly name: string;
}

/** One nft set gatehouse fills: an address family of one configured allowlist. */
export interface ManagedSet {
  /** The allowlist's logical name from the config, for messages. */
  readonly name: string;
  /** The nft set name. */
  readonly set: string;
  readonly family: Family;
  readonly allowEmpty: boolean;
  readonly maxShrink: ShrinkLimit;
}

/** What one nft set should hold: validated prefixes, aggregated, all of the set's family. */
export interface SetContents {
  readonly set: string;
  readonly family: Family;
  readonly prefixes: readonly Prefix[];
}

export interface DesiredSet extends ManagedSet {
  /** Aggregated (see `aggregate` in core/address.ts), all of `family`. */
  readonly prefixes: readonly Prefix[];
}

/** Desired state of one nftables target. Carries the table and target name so the include file renders from it alone. */
export interface NftDesired {
  readonly target: string;
  readonly table: TableRef;
  /** Absolute path of the include file, or null when the target keeps none. */
  readonly includeFile: string | null;
  readonly sets: readonly DesiredSet[];
}

/** What an nft set holds now. Plain JSON: the pipeline digests it. */
export interface ObservedSet {
  readonly set: string;
  readonly family: Family;
  /** Aggregated prefixes of the set's family, formatted (`10.0.0.0/8`, `192.0.2.1`). */
  readonly elements: readonly string[];
  /**
   * Elements no desired state can hold, kept so the diff removes them: IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`)
   * in an IPv6 set, which never match IPv4 traffic.
   */
  readonly stray: readonly string[];
}

export interface NftObserved {
  readonly sets: readonly ObservedSet[];
  /** The include file's content, or null if it does not exist (or the target keeps none). */
  readonly include: string | null;
}

/**
 * Change the contents of one nft set by a delta: the set becomes what it holds now (the observation the plan was
 * computed and verified against) minus `remove` plus `add`. Only the delta is carried, so a plan holds each element
 * once. Applied as `flush set` + `add element` of the resulting contents inside one transaction.
 */
export interface NftSetChange extends Change {
  readonly kind: 'nft-set';
  /** `set:<nft set name>`. */
  readonly id: string;
  readonly family: Family;
  readonly set: string;
  /** Address ranges gaining access, aggregated and formatted. apply re-validates every one before rendering. */
  readonly add: readonly string[];
  /** Address ranges losing access (plus stray elements), aggregated and formatted. */
  readonly remove: readonly string[];
}

/**
 * Rewrite the include file that restores every managed set at boot. Carries no elements: apply renders the file from
 * the contents every managed set has once this plan's set changes are applied.
 */
export interface NftIncludeChange extends Change {
  readonly kind: 'nft-include';
  readonly id: 'include';
  readonly path: string;
  readonly reason: 'missing' | 'outdated';
}

export type NftChange = NftSetChange | NftIncludeChange;
