import type { CacheEntry, KeyValueCache } from '../core/cache.ts';
import type { Db } from './db.ts';
import { storeError } from './store-error.ts';

/**
 * Core's `KeyValueCache` in the `http_cache` table: validators (ETag, Last-Modified) and the JSON body they validate,
 * for conditional requests that survive restarts. Last write wins.
 */
export class SqlHttpCache implements KeyValueCache {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    try {
      const { rows } = await this.#db.query<{ etag: string | null; last_modified: string | null; body: string }>(
        'SELECT etag, last_modified, body FROM http_cache WHERE key = $1',
        [key],
      );
      const row = rows[0];
      if (!row) return undefined;
      return {
        ...(row.etag === null ? {} : { etag: row.etag }),
        ...(row.last_modified === null ? {} : { lastModified: row.last_modified }),
        body: JSON.parse(row.body) as unknown,
      };
    } catch (e) {
      throw storeError(`reading cache entry ${key} failed`, e);
    }
  }

  async set(key: string, entry: CacheEntry): Promise<void> {
    try {
      await this.#db.query(
        `INSERT INTO http_cache (key, etag, last_modified, body, updated_at) VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
           body = excluded.body, updated_at = excluded.updated_at`,
        [key, entry.etag ?? null, entry.lastModified ?? null, JSON.stringify(entry.body ?? null)],
      );
    } catch (e) {
      throw storeError(`writing cache entry ${key} failed`, e);
    }
  }
}
