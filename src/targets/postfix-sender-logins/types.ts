import type { Change } from '../../core/contracts.ts';
import type { MapType } from './config.ts';

/** One line of the table: an envelope sender (lower case) and the SASL logins that may use it (sorted, distinct). */
export interface SenderEntry {
  readonly address: string;
  readonly logins: readonly string[];
}

/** Desired state: a pure function of the sources' facts and the config. Plain JSON. */
export interface SenderDesired {
  /** Entries to write, sorted by address. */
  readonly entries: readonly SenderEntry[];
  /**
   * Addresses whose entry is left exactly as observed (present or absent): claimed by two people, or a group address
   * whose group could not be resolved. Sorted.
   */
  readonly keep: readonly string[];
  /** Addresses that come from `static` config: not counted by the never-empty guard. */
  readonly staticAddresses: readonly string[];
  /** Values refused before reaching the table, each with where it came from. */
  readonly invalid: readonly string[];
  /** Addresses claimed by more than one login outside a group address. */
  readonly conflicts: readonly string[];
  /** Group addresses whose group is unknown, and why. */
  readonly unknownGroups: readonly string[];
  /** Set when the table must not change at all this run (the `people.group` could not be resolved), and why. */
  readonly frozen?: string;
  /** Other findings for a human (people without a login, unknown members, …). */
  readonly problems: readonly string[];
}

/** What the live table holds. Plain JSON: the pipeline digests it. */
export interface SenderObserved {
  /** False when there is no live table yet. */
  readonly exists: boolean;
  /** Sorted by address. Values are as read, hand edits included. */
  readonly entries: readonly SenderEntry[];
}

/** Replace the whole table. */
export interface TableChange extends Change {
  readonly kind: 'postfix-sender-logins';
  /** `table:<path>`. */
  readonly id: string;
  readonly path: string;
  readonly mapType: MapType;
  /** `address login,login`, the full new table in order; apply re-validates every line before writing. */
  readonly lines: readonly string[];
  /** Entries now in the table. */
  readonly before: number;
  readonly after: number;
  /** Entries now in the table that disappear or lose a login. */
  readonly shrunk: number;
}
