import { randomUUID } from 'node:crypto';
import type { Plan } from '../core/plan.ts';
import type { Release, ReleaseStatus, ReleaseStore } from '../core/releases.ts';
import type { Db } from './db.ts';
import { storableText } from './storable-text.ts';
import { storeError } from './store-error.ts';

interface Row {
  id: string;
  target: string;
  plan_id: string;
  plan: Plan;
  blocked: string[];
  status: ReleaseStatus;
  requested_at: string;
  decided_by: string | null;
  decided_at: string | null;
  reason: string | null;
}

const COLUMNS = 'id, target, plan_id, plan, blocked, status, requested_at, decided_by, decided_at, reason';

/** Core's `ReleaseStore` in the `guard_releases` table; at most one pending row per (plan, target). */
export class SqlReleaseStore implements ReleaseStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async request(
    target: string,
    plan: Plan,
    blocked: readonly string[],
    at: Date,
  ): Promise<{ release: Release; created: boolean }> {
    try {
      const inserted = await this.#db.query(
        `INSERT INTO guard_releases (id, target, plan_id, plan, blocked, status, requested_at)
         VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, 'pending', $6)
         ON CONFLICT (plan_id, target) WHERE status = 'pending' DO NOTHING RETURNING id`,
        [randomUUID(), target, plan.id, JSON.stringify(plan), JSON.stringify(blocked), at.toISOString()],
      );
      const { rows } = await this.#db.query<Row>(
        `SELECT ${COLUMNS} FROM guard_releases WHERE plan_id = $1 AND target = $2 AND status = 'pending'`,
        [plan.id, target],
      );
      return { release: toRelease(rows[0] as Row), created: inserted.rows.length > 0 };
    } catch (e) {
      throw storeError(`queueing plan ${plan.id} of ${target} for release failed`, e);
    }
  }

  async get(id: string): Promise<Release | undefined> {
    try {
      const { rows } = await this.#db.query<Row>(`SELECT ${COLUMNS} FROM guard_releases WHERE id = $1`, [id]);
      return rows[0] ? toRelease(rows[0]) : undefined;
    } catch (e) {
      throw storeError(`reading release ${id} failed`, e);
    }
  }

  async list(filter: { status?: ReleaseStatus } = {}): Promise<Release[]> {
    try {
      const { rows } = await this.#db.query<Row>(
        `SELECT ${COLUMNS} FROM guard_releases WHERE ($1::text IS NULL OR status = $1) ORDER BY requested_at, id`,
        [filter.status ?? null],
      );
      return rows.map(toRelease);
    } catch (e) {
      throw storeError('listing releases failed', e);
    }
  }

  async transition(
    id: string,
    from: ReleaseStatus,
    to: ReleaseStatus,
    decision: { by: string; at: Date; reason?: string },
  ): Promise<Release | undefined> {
    try {
      const { rows } = await this.#db.query<Row>(
        `UPDATE guard_releases SET status = $3, decided_by = $4, decided_at = $5, reason = $6
         WHERE id = $1 AND status = $2 RETURNING ${COLUMNS}`,
        [
          id,
          from,
          to,
          storableText(decision.by),
          decision.at.toISOString(),
          decision.reason === undefined ? null : storableText(decision.reason),
        ],
      );
      return rows[0] ? toRelease(rows[0]) : undefined;
    } catch (e) {
      throw storeError(`deciding release ${id} failed`, e);
    }
  }
}

function toRelease(r: Row): Release {
  return {
    id: r.id,
    target: r.target,
    planId: r.plan_id,
    plan: r.plan,
    blocked: r.blocked,
    status: r.status,
    requestedAt: r.requested_at,
    ...(r.decided_by === null ? {} : { decidedBy: r.decided_by }),
    ...(r.decided_at === null ? {} : { decidedAt: r.decided_at }),
    ...(r.reason === null ? {} : { reason: r.reason }),
  };
}
