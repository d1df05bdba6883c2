import type { SnapshotStore } from '../core/audit.ts';
import { sha256Hex } from '../core/canonical-json.ts';
import type { Db } from './db.ts';
import { storableText } from './storable-text.ts';
import { storeError } from './store-error.ts';

/**
 * Last-known-good facts per source in `source_snapshots`, one row per source: the facts as JSON text and its SHA-256
 * digest.
 *
 * `facts` must be JSON-serialisable; it reads back equal as a value, with NUL and lone surrogates in strings replaced
 * by U+FFFD (PostgreSQL text cannot hold them). `at` reads back normalised to ISO 8601 UTC with milliseconds. A save
 * older than the stored snapshot is ignored, so two runners racing (one slow) never roll the snapshot back. A save of
 * facts whose JSON is the stored one's (digest equal) moves the time only: the pipeline saves on every complete read,
 * and an unchanged geofeed of 50 000 prefixes would otherwise be written again on every run.
 */
export class SqlSnapshotStore implements SnapshotStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async saveSnapshot(source: string, facts: unknown, at: string): Promise<void> {
    try {
      const text = JSON.stringify(facts, (_key, v: unknown) => (typeof v === 'string' ? storableText(v) : v));
      const digest = sha256Hex(text);
      const { rows } = await this.#db.query(
        `UPDATE source_snapshots SET taken_at = GREATEST(taken_at, $3::timestamptz)
         WHERE source = $1 AND digest = $2 RETURNING source`,
        [source, digest, at],
      );
      if (rows.length > 0) return;
      await this.#db.query(
        `INSERT INTO source_snapshots (source, facts, digest, taken_at) VALUES ($1, $2, $3, $4::timestamptz)
         ON CONFLICT (source) DO UPDATE SET facts = excluded.facts, digest = excluded.digest, taken_at = excluded.taken_at
         WHERE source_snapshots.taken_at <= excluded.taken_at`,
        [source, text, digest, at],
      );
    } catch (e) {
      throw storeError(`saving the snapshot of source ${source} failed`, e);
    }
  }

  async loadSnapshot(source: string): Promise<{ facts: unknown; at: string } | undefined> {
    try {
      const { rows } = await this.#db.query<{ facts: string; taken_at: Date }>(
        'SELECT facts, taken_at FROM source_snapshots WHERE source = $1',
        [source],
      );
      const row = rows[0];
      return row && { facts: JSON.parse(row.facts) as unknown, at: row.taken_at.toISOString() };
    } catch (e) {
      throw storeError(`loading the snapshot of source ${source} failed`, e);
    }
  }
}
