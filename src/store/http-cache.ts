import { createHash } from 'node:crypto';
import type { CacheEntry, KeyValueCache } from '../core/cache.ts';
import type { Db } from './db.ts';
import { storeError } from './store-error.ts';

/**
 * Core's `KeyValueCache` in the `http_cache` table: validators (ETag, Last-Modified) and the JSON body they validate,
 * for conditional requests that survive restarts. Last write wins.
 *
 * Keys are stored as a SHA-256 digest ({@link storedKey}), never as given: a plugin's key is typically a URL, and a URL
 * may carry a secret in its query string (`?token=…`). The digest is stable, so lookups and 304s work as before; it
 * also keeps secrets out of this class's error messages.
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
        [storedKey(key)],
      );
      const row = rows[0];
      if (!row) return undefined;
      return {
        ...(row.etag === null ? {} : { etag: row.etag }),
        ...(row.last_modified === null ? {} : { lastModified: row.last_modified }),
        body: JSON.parse(row.body) as unknown,
      };
    } catch (e) {
      throw storeError(`reading cache entry ${storedKey(key)} failed`, e);
    }
  }

  async set(key: string, entry: CacheEntry): Promise<void> {
    try {
      await this.#db.query(
        `INSERT INTO http_cache (key, etag, last_modified, body, updated_at) VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
           body = excluded.body, updated_at = excluded.updated_at`,
        [storedKey(key), entry.etag ?? null, entry.lastModified ?? null, JSON.stringify(entry.body ?? null)],
      );
      // Stores written before keys were digested hold this entry under the key itself (a URL, maybe with a secret in
      // it): it is superseded now, so remove it rather than keep the secret around.
      await this.#db.query('DELETE FROM http_cache WHERE key = $1', [key]);
    } catch (e) {
      throw storeError(`writing cache entry ${storedKey(key)} failed`, e);
    }
  }
}

/** The key as the `http_cache` table holds it: `sha256:` and the hex digest of the plugin's key. */
export function storedKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}
