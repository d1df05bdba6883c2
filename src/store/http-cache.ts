import { createHash, randomBytes } from 'node:crypto';
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
 * Bodies of {@link COMPRESS_FROM} characters or more are stored gzipped ({@link encodeBody}), and a stored body over
 * 64 Ki characters as parts in rows of their own, all written in one transaction: a feed of several MB would otherwise
 * pass whole through the embedded store's WebAssembly memory, which grows to hold it and never shrinks. Parts are keyed
 * `<key>#<generation>#<i>`; a write removes the parts of the previous one.
 */
export class SqlHttpCache implements KeyValueCache {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    const stored = storedKey(key);
    try {
      const { rows } = await this.#db.query<{ etag: string | null; last_modified: string | null; body: string }>(
        'SELECT etag, last_modified, body FROM http_cache WHERE key = $1',
        [stored],
      );
      const row = rows[0];
      if (!row) return undefined;
      const body = await this.#whole(stored, row.body);
      if (body === undefined) return undefined;
      return {
        ...(row.etag === null ? {} : { etag: row.etag }),
        ...(row.last_modified === null ? {} : { lastModified: row.last_modified }),
        body: decodeBody(body),
      };
    } catch (e) {
      throw storeError(`reading cache entry ${stored} failed`, e);
    }
  }

  async set(key: string, entry: CacheEntry): Promise<void> {
    const stored = storedKey(key);
    try {
      const body = encodeBody(entry.body);
      const count = Math.ceil(body.length / PART_CHARS);
      const generation = randomBytes(6).toString('hex');
      await this.#db.transaction(async (tx) => {
        await tx.query('DELETE FROM http_cache WHERE key LIKE $1', [`${stored}${PART_SEPARATOR}%`]);
        await tx.query(
          `INSERT INTO http_cache (key, etag, last_modified, body, updated_at) VALUES ($1, $2, $3, $4, now())
           ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
             body = excluded.body, updated_at = excluded.updated_at`,
          [
            stored,
            entry.etag ?? null,
            entry.lastModified ?? null,
            count <= 1 ? body : `${PARTS}${count}:${generation}`,
          ],
        );
        for (let i = 0; count > 1 && i < count; i++) {
          await tx.query('INSERT INTO http_cache (key, body) VALUES ($1, $2)', [
            partKey(stored, generation, i),
            body.slice(i * PART_CHARS, (i + 1) * PART_CHARS),
          ]);
        }
        // Stores written before keys were digested hold this entry under the key itself (a URL, maybe with a secret
        // in it): it is superseded now, so remove it rather than keep the secret around.
        await tx.query('DELETE FROM http_cache WHERE key = $1', [key]);
      });
    } catch (e) {
      throw storeError(`writing cache entry ${stored} failed`, e);
    }
  }

  /**
   * The stored body of the entry whose row holds `head`: `head` itself, or the parts it names joined. Undefined when a
   * part is missing (the entry was rewritten between the reads: a cache miss, never another entry's body).
   */
  async #whole(stored: string, head: string): Promise<string | undefined> {
    const parts = /^parts:(\d+):([0-9a-f]+)$/.exec(head);
    if (!parts) return head;
    const out: string[] = [];
    for (let i = 0; i < Number(parts[1]); i++) {
      const { rows } = await this.#db.query<{ body: string }>('SELECT body FROM http_cache WHERE key = $1', [
        partKey(stored, parts[2] as string, i),
      ]);
      if (rows[0] === undefined) return undefined;
      out.push(rows[0].body);
    }
    return out.join('');
  }
}

/**
 * A stored body longer than this is written as parts of this many characters, each its own row. The embedded store
 * grows its WebAssembly memory, which never shrinks, by several times the largest value one statement carries: a 2 MB
 * body in one row cost 30–45 MB of RSS, in parts of 64 Ki characters 4–15 MB.
 */
const PART_CHARS = 64 << 10;
/** The head row of a body in parts: `parts:<count>:<generation>`; no JSON text and no compressed body begins so. */
const PARTS = 'parts:';
const PART_SEPARATOR = '#';

/**
 * Key of part `i` of a body written as `generation`. Each write has its own generation, so a reader that meets a
 * concurrent rewrite finds a part missing rather than mixing two bodies.
 */
function partKey(stored: string, generation: string, i: number): string {
  return `${stored}${PART_SEPARATOR}${generation}${PART_SEPARATOR}${i}`;
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
  if (stored.startsWith(GZIP_TEXT)) return gunzipWhole(stored.slice(GZIP_TEXT.length)).toString();
  if (stored.startsWith(GZIP_JSON))
    return JSON.parse(gunzipWhole(stored.slice(GZIP_JSON.length)).toString()) as unknown;
  return JSON.parse(stored) as unknown;
}

/**
 * Inflates base64 gzip into one buffer of its own size: the gzip trailer states the size (modulo 4 GiB), so the
 * output is written into one chunk instead of chunks then joined into a second copy. A trailer that states too little
 * or too much only costs the copy again.
 */
function gunzipWhole(base64: string): Buffer {
  const gz = Buffer.from(base64, 'base64');
  const size = gz.length >= 4 ? gz.readUInt32LE(gz.length - 4) : 0;
  // Bounded, so a damaged trailer cannot ask for GBs up front; a larger body is inflated in chunks as before.
  return gunzipSync(gz, { chunkSize: Math.min(Math.max(64, size), 64 << 20) });
}
