import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';

/** What happened, to what, because of whom. Never holds secrets: values pass through the redactor first. */
export interface AuditEvent {
  /** ISO 8601. */
  readonly at: string;
  /** Who or what caused it: `cli:root`, `serve:timer`, `approval:alice`. */
  readonly actor: string;
  /**
   * `guard-rejected`: a guard verdict blocked changes when the plan was applied (its message says why).
   * `link-decision`: an account link was approved, rejected or revoked (or the attempt refused); `changeId` is the link.
   */
  readonly action: 'apply' | 'plan-refused' | 'guard-override' | 'guard-rejected' | 'link-decision';
  readonly target: string;
  readonly changeId?: string;
  readonly kind?: string;
  readonly summary: string;
  /** `started`: written before a change is attempted, so a crash mid-apply still leaves a trace. */
  readonly status: 'started' | 'applied' | 'failed' | 'skipped' | 'refused';
  readonly planId?: string;
  readonly message?: string;
}

/** A stored event: its position and the hash chaining it to the previous one. */
export interface AuditRecord extends AuditEvent {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

export function chainHash(prevHash: string, seq: number, event: AuditEvent): string {
  return createHash('sha256').update(prevHash).update(canonicalJson({ seq, event })).digest('hex');
}

/** Checks that records are consecutive and each hash covers its event and the previous hash. */
export function verifyChain(
  records: readonly AuditRecord[],
  startPrev = GENESIS_HASH,
): { ok: true } | { ok: false; seq: number; reason: string } {
  let prev = startPrev;
  let expectSeq = records[0]?.seq ?? 1;
  for (const r of records) {
    if (r.seq !== expectSeq) return { ok: false, seq: r.seq, reason: `expected seq ${expectSeq}` };
    if (r.prevHash !== prev) return { ok: false, seq: r.seq, reason: 'prevHash does not match the previous record' };
    const { seq, prevHash: _p, hash, ...event } = r;
    if (chainHash(prev, seq, event) !== hash) return { ok: false, seq, reason: 'hash does not match the record' };
    prev = hash;
    expectSeq++;
  }
  return { ok: true };
}

/** Append-only audit log. `append` returns once the events are durably committed. */
export interface AuditLog {
  append(events: readonly AuditEvent[]): Promise<AuditRecord[]>;
  /** Records in seq order: after `afterSeq`, at most `limit`; or, with `last`, the newest `last` records. */
  list(options?: { afterSeq?: number; limit?: number; last?: number }): Promise<AuditRecord[]>;
}

/** Last-known-good facts per source. */
export interface SnapshotStore {
  saveSnapshot(source: string, facts: unknown, at: string): Promise<void>;
  loadSnapshot(source: string): Promise<{ facts: unknown; at: string } | undefined>;
}
