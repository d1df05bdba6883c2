import {
  chainHash,
  GENESIS_HASH,
  verifyChain,
  type AuditEvent,
  type AuditLog,
  type AuditRecord,
} from '../core/audit.ts';
import { checkCheckpoints, readChainHead, type AuditAnchor, type AuditHead, type Checkpoint } from './audit-anchor.ts';
import type { Db, Queryable, SqlValue } from './db.ts';
import { storableText } from './storable-text.ts';
import { storeError } from './store-error.ts';

interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  change_id: string | null;
  kind: string | null;
  summary: string;
  status: string;
  plan_id: string | null;
  message: string | null;
  prev_hash: string;
  hash: string;
}

const COLUMNS = 'seq, at, actor, action, target, change_id, kind, summary, status, plan_id, message, prev_hash, hash';
const COLUMN_COUNT = 13;
/** PostgreSQL takes at most 65,535 parameters per statement. */
const ROWS_PER_INSERT = 1_000;

/**
 * The audit log in the `audit_log` table, hash-chained with core's `chainHash`.
 *
 * `append` numbers and chains a batch under a lock on the one-row chain head, so concurrent appenders (several
 * processes on one PostgreSQL database, or concurrent calls in one process) always extend one gap-free chain. It
 * resolves after COMMIT: on PostgreSQL that is durable; on PGlite, durable against a killed process but not against a
 * power loss (see `openPglite`). If the connection breaks during COMMIT the outcome is unknown and the call throws; a
 * retry may then record the events twice (as two honest, chained records).
 */
export class SqlAuditLog implements AuditLog {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async append(events: readonly AuditEvent[]): Promise<AuditRecord[]> {
    if (events.length === 0) return [];
    // Hash exactly what will be read back: only AuditEvent's fields (an extra property on a caller's object would be
    // hashed now and missing later) and only text PostgreSQL stores unchanged.
    const clean = events.map(pickEvent);
    try {
      return await this.#db.transaction(async (tx) => {
        const { rows } = await tx.query<{ seq: number; hash: string }>(
          'SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE',
        );
        const head = rows[0];
        if (!head) throw new Error('audit_chain_head has no row');
        const records: AuditRecord[] = [];
        let prev = head.hash;
        let seq = Number(head.seq);
        for (const event of clean) {
          seq++;
          const hash = chainHash(prev, seq, event);
          records.push({ ...event, seq, prevHash: prev, hash });
          prev = hash;
        }
        for (let i = 0; i < records.length; i += ROWS_PER_INSERT)
          await insert(tx, records.slice(i, i + ROWS_PER_INSERT));
        await tx.query('UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1', [seq, prev]);
        return records;
      });
    } catch (e) {
      throw storeError('audit log append failed', e);
    }
  }

  /** Records with `seq > afterSeq` (default 0) in order, at most `limit` of them (default: all). */
  async list(options: { afterSeq?: number; limit?: number; last?: number } = {}): Promise<AuditRecord[]> {
    try {
      if (options.last !== undefined) {
        const { rows } = await this.#db.query<{ seq: number }>('SELECT seq FROM audit_chain_head WHERE id = 1');
        const head = Number(rows[0]?.seq ?? 0);
        return await listPage(this.#db, Math.max(0, head - options.last), null, head);
      }
      return await listPage(this.#db, options.afterSeq ?? 0, options.limit ?? null, null);
    } catch (e) {
      throw storeError('audit log read failed', e);
    }
  }
}

export type AuditVerification =
  | { readonly ok: true; readonly records: number }
  | { readonly ok: false; readonly seq: number; readonly reason: string; readonly records: number };

/**
 * Re-reads the whole log in pages of `pageSize` and checks the hash chain from the genesis hash to the chain head:
 * consecutive seqs from 1, each hash covering its event and the previous hash, and the last record matching the head
 * (so removing records from the end is caught too). Reports the first broken seq; `records` counts those verified
 * before it. Records appended while it runs are beyond the head it read first, and are left for the next run.
 *
 * This checks the database against itself only: see `verifyAuditTrail` for what anchors add.
 */
export async function verifyAuditLog(db: Queryable, options: { pageSize?: number } = {}): Promise<AuditVerification> {
  try {
    const head = await readChainHead(db);
    if (!head) return { ok: false, seq: 1, reason: 'the chain head row is missing', records: 0 };
    return await verifyChainTo(db, head, options.pageSize ?? 1_000);
  } catch (e) {
    throw storeError('audit log verification failed', e);
  }
}

export type AuditTrailVerification = AuditVerification & {
  /** The chain head the verification ran to (absent only when the head row is missing). */
  readonly head?: AuditHead;
  /** How many anchors (and expected heads) were checked. */
  readonly anchors: number;
};

/**
 * `verifyAuditLog`, then every checkpoint held outside the database: each anchor (see `audit-anchor.ts`) and the
 * optional `expectHead` must name a seq at or below the chain head whose record still has the anchored hash.
 *
 * Detects, besides what the chain catches: records cut from the end with the head rewound, and records rewritten with
 * every later hash recomputed, as far back as the newest anchor (or expected head) covers. It cannot detect changes
 * to records newer than the newest checkpoint, nor anything when the checkpoints were rewritten as well.
 *
 * Pass anchors read before this call: an anchor written while it runs is then never ahead of the head it reads.
 */
export async function verifyAuditTrail(
  db: Queryable,
  options: { anchors?: readonly AuditAnchor[]; expectHead?: AuditHead; pageSize?: number } = {},
): Promise<AuditTrailVerification> {
  const checkpoints: Checkpoint[] = (options.anchors ?? []).map((a) => ({
    ...a,
    label: `the anchor written ${a.at}`,
  }));
  if (options.expectHead) checkpoints.push({ ...options.expectHead, label: 'the expected head' });
  try {
    const head = await readChainHead(db);
    if (!head) return { ok: false, seq: 1, reason: 'the chain head row is missing', records: 0, anchors: 0 };
    const chain = await verifyChainTo(db, head, options.pageSize ?? 1_000);
    if (!chain.ok) return { ...chain, head, anchors: 0 };
    const broken = await checkCheckpoints(db, head, checkpoints);
    if (broken) return { ok: false, ...broken, records: chain.records, head, anchors: checkpoints.length };
    return { ...chain, head, anchors: checkpoints.length };
  } catch (e) {
    throw storeError('audit log verification failed', e);
  }
}

async function verifyChainTo(db: Queryable, head: AuditHead, pageSize: number): Promise<AuditVerification> {
  let prev = GENESIS_HASH;
  let verified = 0;
  while (verified < head.seq) {
    const page = await listPage(db, verified, pageSize, head.seq);
    if (page.length === 0)
      return {
        ok: false,
        seq: verified + 1,
        reason: `record missing; chain head is at seq ${head.seq}`,
        records: verified,
      };
    const gap = page.findIndex((r, i) => r.seq !== verified + 1 + i);
    const result = verifyChain(gap < 0 ? page : page.slice(0, gap), prev);
    if (!result.ok) return { ...result, records: result.seq - 1 };
    if (gap >= 0)
      return {
        ok: false,
        seq: verified + 1 + gap,
        reason: `record missing; next stored is seq ${page[gap]?.seq}`,
        records: verified + gap,
      };
    verified += page.length;
    prev = page[page.length - 1]?.hash ?? prev;
  }
  if (prev !== head.hash)
    return { ok: false, seq: head.seq, reason: 'last record does not match the chain head', records: verified };
  return { ok: true, records: verified };
}

function listPage(
  db: Queryable,
  afterSeq: number,
  limit: number | null,
  maxSeq: number | null,
): Promise<AuditRecord[]> {
  return db
    .query<AuditRow>(
      `SELECT ${COLUMNS} FROM audit_log WHERE seq > $1 AND ($2::bigint IS NULL OR seq <= $2::bigint)
       ORDER BY seq LIMIT $3::bigint`,
      [afterSeq, maxSeq, limit],
    )
    .then((r) => r.rows.map(toRecord));
}

async function insert(tx: Queryable, records: readonly AuditRecord[]): Promise<void> {
  const params: SqlValue[] = [];
  const tuples = records.map((r) => {
    const base = params.length;
    params.push(
      r.seq,
      r.at,
      r.actor,
      r.action,
      r.target,
      r.changeId ?? null,
      r.kind ?? null,
      r.summary,
      r.status,
      r.planId ?? null,
      r.message ?? null,
      r.prevHash,
      r.hash,
    );
    return `(${Array.from({ length: COLUMN_COUNT }, (_, i) => `$${base + i + 1}`).join(', ')})`;
  });
  await tx.query(`INSERT INTO audit_log (${COLUMNS}) VALUES ${tuples.join(', ')}`, params);
}

function pickEvent(e: AuditEvent): AuditEvent {
  const t = storableText;
  return {
    at: t(e.at),
    actor: t(e.actor),
    action: e.action,
    target: t(e.target),
    ...(e.changeId === undefined ? {} : { changeId: t(e.changeId) }),
    ...(e.kind === undefined ? {} : { kind: t(e.kind) }),
    summary: t(e.summary),
    status: e.status,
    ...(e.planId === undefined ? {} : { planId: t(e.planId) }),
    ...(e.message === undefined ? {} : { message: t(e.message) }),
  };
}

function toRecord(r: AuditRow): AuditRecord {
  return {
    seq: Number(r.seq),
    at: r.at,
    actor: r.actor,
    action: r.action as AuditEvent['action'],
    target: r.target,
    ...(r.change_id === null ? {} : { changeId: r.change_id }),
    ...(r.kind === null ? {} : { kind: r.kind }),
    summary: r.summary,
    status: r.status as AuditEvent['status'],
    ...(r.plan_id === null ? {} : { planId: r.plan_id }),
    ...(r.message === null ? {} : { message: r.message }),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
