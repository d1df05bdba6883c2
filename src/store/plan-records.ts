import type { PlanRecords } from '../core/plan-records.ts';
import type { Db } from './db.ts';
import { storeError } from './store-error.ts';

/** Core's `PlanRecords` in the `plan_records` table: one row per plan id, with when `plan` last made it. */
export class SqlPlanRecords implements PlanRecords {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async recordPlan(id: string, at: Date): Promise<void> {
    try {
      // GREATEST: a slow process finishing late never moves a plan's time backwards.
      await this.#db.query(
        `INSERT INTO plan_records (plan_id, made_at) VALUES ($1, $2::timestamptz)
         ON CONFLICT (plan_id) DO UPDATE SET made_at = GREATEST(plan_records.made_at, excluded.made_at)`,
        [id, at.toISOString()],
      );
    } catch (e) {
      throw storeError(`recording plan ${id} failed`, e);
    }
  }

  async planMadeAt(id: string): Promise<Date | undefined> {
    try {
      const { rows } = await this.#db.query<{ made_at: Date }>('SELECT made_at FROM plan_records WHERE plan_id = $1', [
        id,
      ]);
      return rows[0]?.made_at;
    } catch (e) {
      throw storeError(`looking up plan ${id} failed`, e);
    }
  }

  async forgetPlansBefore(before: Date): Promise<void> {
    try {
      await this.#db.query('DELETE FROM plan_records WHERE made_at < $1::timestamptz', [before.toISOString()]);
    } catch (e) {
      throw storeError('forgetting old plans failed', e);
    }
  }
}
