import type { SnapshotStore } from '../core/audit.ts';
import type { Db } from './db.ts';
import { storableText } from './storable-text.ts';
import { storeError } from './store-error.ts';

/**
 * Last-known-good facts per source in `source_snapshots`, one row per source.
 *
 * `facts` must be JSON-serialisable; it is stored as jsonb, so it reads back equal as a value, not byte for byte (key
 * order may differ), and with NUL and lone surrogates in strings replaced by U+FFFD (jsonb cannot hold them). `at` reads back normalised to ISO 8601 UTC with milliseconds. A save older than the stored
 * snapshot is ignored, so two runners racing (one slow) never roll the snapshot back.
 */
export class SqlSnapshotStore implements SnapshotStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async saveSnapshot(source: string, facts: unknown, at: string): Promise<void> {
    try {
      await this.#db.query(
        `INSERT INTO source_snapshots (source, facts, taken_at) VALUES ($1, $2::jsonb, $3::timestamptz)
         ON CONFLICT (source) DO UPDATE SET facts = excluded.facts, taken_at = excluded.taken_at
         WHERE source_snapshots.taken_at <= excluded.taken_at`,
        [source, JSON.stringify(facts, (_key, v: unknown) => (typeof v === 'string' ? storableText(v) : v)), at],
      );
    } catch (e) {
      throw storeError(`saving the snapshot of source ${source} failed`, e);
    }
  }

  async loadSnapshot(source: string): Promise<{ facts: unknown; at: string } | undefined> {
    try {
      const { rows } = await this.#db.query<{ facts: unknown; taken_at: Date }>(
        'SELECT facts, taken_at FROM source_snapshots WHERE source = $1',
        [source],
      );
      const row = rows[0];
      return row && { facts: row.facts, at: row.taken_at.toISOString() };
    } catch (e) {
      throw storeError(`loading the snapshot of source ${source} failed`, e);
    }
  }
}
