import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { CacheEntry, KeyValueCache } from '../core/cache.ts';
import type { Db } from './db.ts';
import { storeError } from './store-error.ts';

/**
 * Core's `KeyValueCache` in the `http_cache` table: validators (ETag, Last-Modified) and the body they validate,
 * for conditional requests that survive restarts. Last write wins.
 *
 * Keys are stored as a SHA-256 digest ({@link storedKey}), never as given: a plugin's key is typically a URL, and a URL
 * may carry a secret in its query string (`?token=…`). The digest is stable, so lookups and 304s work as before; it
 * also keeps secrets out of this class's error messages.
 *
 * Bodies of {@link COMPRESS_FROM} characters or more are stored gzipped ({@link encodeBody}): a feed of several MB
 * would otherwise pass whole through the embedded store's WebAssembly memory, which grows to hold it and never shrinks.
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
        body: decodeBody(row.body),
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
        [storedKey(key), entry.etag ?? null, entry.lastModified ?? null, encodeBody(entry.body)],
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

/** Bodies (as text) from this length on are stored compressed; smaller ones as plain JSON, as they always were. */
export const COMPRESS_FROM = 64 << 10;
/** Prefixes of a compressed body: none is how JSON text can begin, so rows written as plain JSON read as before. */
const GZIP_TEXT = 'gzip-text:';
const GZIP_JSON = 'gzip-json:';
/** The fastest level: a third of the default's time for a 7 MB feed, for a fifth more bytes. */
const GZIP = { level: 1 };

/**
 * The `body` column for a cache entry's body: JSON text, or for a large body its gzip in base64 behind a prefix. A
 * string body is compressed as it is, with no JSON copy of it first.
 */
export function encodeBody(body: unknown): string {
  if (typeof body === 'string') {
    return body.length >= COMPRESS_FROM ? GZIP_TEXT + gzipSync(body, GZIP).toString('base64') : JSON.stringify(body);
  }
  const json = JSON.stringify(body ?? null);
  return json.length >= COMPRESS_FROM ? GZIP_JSON + gzipSync(json, GZIP).toString('base64') : json;
}

/** The body {@link encodeBody} stored (or plain JSON from an older store). */
export function decodeBody(stored: string): unknown {
  if (stored.startsWith(GZIP_TEXT)) return gunzipSync(Buffer.from(stored.slice(GZIP_TEXT.length), 'base64')).toString();
  if (stored.startsWith(GZIP_JSON)) {
    return JSON.parse(gunzipSync(Buffer.from(stored.slice(GZIP_JSON.length), 'base64')).toString()) as unknown;
  }
  return JSON.parse(stored) as unknown;
}
