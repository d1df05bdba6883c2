import type { TargetState } from '../core/target-state.ts';
import type { Db } from './db.ts';
import { storableText } from './storable-text.ts';
import { storeError } from './store-error.ts';

/**
 * Core's `TargetState` in the `target_state` table, one row per key. Each write is one statement, durable once it
 * resolves. Values are stored as jsonb: they read back equal as values (key order may differ), with NUL and lone
 * surrogates in strings replaced by U+FFFD (jsonb cannot hold them).
 */
export class SqlTargetState implements TargetState {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async get(key: string): Promise<unknown> {
    try {
      const { rows } = await this.#db.query<{ value: unknown }>('SELECT value FROM target_state WHERE key = $1', [key]);
      return rows[0]?.value;
    } catch (e) {
      throw storeError(`reading target state ${key} failed`, e);
    }
  }

  async set(key: string, value: unknown): Promise<void> {
    try {
      await this.#db.query(
        `INSERT INTO target_state (key, value, updated_at) VALUES ($1, $2::jsonb, now())
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        [key, toJson(value)],
      );
    } catch (e) {
      throw storeError(`writing target state ${key} failed`, e);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.#db.query('DELETE FROM target_state WHERE key = $1', [key]);
    } catch (e) {
      throw storeError(`deleting target state ${key} failed`, e);
    }
  }

  async list(prefix: string): Promise<[string, unknown][]> {
    try {
      // starts_with, not LIKE: a prefix may contain % or _. COLLATE "C" sorts by code point, as the port promises.
      const { rows } = await this.#db.query<{ key: string; value: unknown }>(
        'SELECT key, value FROM target_state WHERE starts_with(key, $1) ORDER BY key COLLATE "C"',
        [prefix],
      );
      return rows.map((r) => [r.key, r.value]);
    } catch (e) {
      throw storeError(`listing target state under ${prefix} failed`, e);
    }
  }
}

function toJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) => (typeof v === 'string' ? storableText(v) : v));
}
