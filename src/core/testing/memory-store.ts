import {
  chainHash,
  GENESIS_HASH,
  type AuditEvent,
  type AuditLog,
  type AuditRecord,
  type SnapshotStore,
} from '../audit.ts';
import type { PlanRecords } from '../plan-records.ts';

/** In-memory AuditLog, SnapshotStore and PlanRecords for tests of the pipeline; the real ones live in src/store. */
export class MemoryStore implements AuditLog, SnapshotStore, PlanRecords {
  readonly records: AuditRecord[] = [];
  readonly snapshots = new Map<string, { facts: unknown; at: string }>();
  readonly plans = new Map<string, Date>();

  recordPlan(id: string, at: Date): Promise<void> {
    const prev = this.plans.get(id);
    if (!prev || prev < at) this.plans.set(id, at);
    return Promise.resolve();
  }

  planMadeAt(id: string): Promise<Date | undefined> {
    return Promise.resolve(this.plans.get(id));
  }

  forgetPlansBefore(before: Date): Promise<void> {
    for (const [id, at] of this.plans) if (at < before) this.plans.delete(id);
    return Promise.resolve();
  }

  append(events: readonly AuditEvent[]): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    for (const e of events) {
      const prev = this.records.at(-1);
      const seq = (prev?.seq ?? 0) + 1;
      const prevHash = prev?.hash ?? GENESIS_HASH;
      const r = { ...e, seq, prevHash, hash: chainHash(prevHash, seq, e) };
      this.records.push(r);
      out.push(r);
    }
    return Promise.resolve(out);
  }

  list(options: { afterSeq?: number; limit?: number; last?: number } = {}): Promise<AuditRecord[]> {
    if (options.last !== undefined) return Promise.resolve(this.records.slice(-options.last));
    const after = options.afterSeq ?? 0;
    return Promise.resolve(this.records.filter((r) => r.seq > after).slice(0, options.limit ?? Infinity));
  }

  saveSnapshot(source: string, facts: unknown, at: string): Promise<void> {
    this.snapshots.set(source, { facts: structuredClone(facts), at });
    return Promise.resolve();
  }

  loadSnapshot(source: string): Promise<{ facts: unknown; at: string } | undefined> {
    return Promise.resolve(this.snapshots.get(source));
  }
}
