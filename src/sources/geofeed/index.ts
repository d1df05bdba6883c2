import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { aggregate } from '../../core/address.ts';
import type { CacheEntry } from '../../core/cache.ts';
import { GatehouseError } from '../../core/errors.ts';
import type { SourceRead } from '../../core/model.ts';
import { defineSource } from '../../plugins.ts';
import { pollForChanges } from '../../core/poll.ts';
import { httpRequest, safeUrl } from '../../adapters/http.ts';
import { matcher } from './match.ts';
import { parseGeofeedKeeping } from './parse.ts';
import { geofeedSchema } from './schema.ts';
import { keepYoungGenerationSmall } from './young-generation.ts';

/**
 * Prefixes from an RFC 8805 geofeed, as one address set named after the source.
 *
 * - Every line is validated ({@link parseGeofeed}); one invalid line fails the read with SOURCE_INVALID_DATA naming
 *   `url-or-file:line`. Nothing is skipped silently.
 * - Over HTTP, a validator (ETag / Last-Modified) from the previous download makes the request conditional; a 304 is
 *   served from `deps.cache`, so an unchanged feed costs no transfer.
 * - HTTP errors (after retries for 429/5xx/network), other non-200 statuses and unreadable files → `complete: false`
 *   with a note. A download with no complete answer within `run.requestTimeout` (retries included) throws TIMEOUT,
 *   which the pipeline counts as an incomplete read: never an empty feed.
 * - An empty feed, or one where nothing matches, is a complete read of zero prefixes with a note. The pipeline treats
 *   it as incomplete when the last read had prefixes, unless `allowEmpty: true` (see `Source.allowEmpty`).
 */
export const geofeedSource = defineSource({
  type: 'geofeed',
  schema: geofeedSchema,
  create(name, config, deps) {
    keepYoungGenerationSmall();
    const log = deps.logger.child({ source: name, type: 'geofeed' });
    const keep = matcher(config.match);
    return {
      name,
      type: 'geofeed',
      allowEmpty: config.allowEmpty,
      watch(signal, notify) {
        return pollForChanges((s) => this.read(s), config.pollInterval, signal, notify);
      },
      async read(signal): Promise<SourceRead> {
        const incomplete = (note: string): SourceRead => ({ complete: false, facts: {}, notes: [note] });
        let text: string;
        let origin: string;
        if (config.url !== undefined) {
          origin = `source ${name}: ${safeUrl(config.url)}`;
          const cacheKey = `geofeed:${config.url}`;
          let cached = await deps.cache.get(cacheKey).catch(() => undefined);
          try {
            const res = await httpRequest({
              url: config.url,
              headers: {
                accept: 'text/csv, text/plain;q=0.9, */*;q=0.1',
                'user-agent': 'gatehouse (geofeed source)',
                ...conditionalHeaders(cached),
              },
              timeoutMs: Math.min(config.timeoutMs, deps.requestTimeoutMs),
              deadlineMs: deps.requestTimeoutMs,
              maxAttempts: config.maxAttempts,
              ...(deps.clock ? { clock: deps.clock } : {}),
              signal,
              onRetry: (e) =>
                log.warn({ url: e.url, attempt: e.attempt, delayMs: e.delayMs, reason: e.reason }, 'retrying'),
            });
            if (res.status === 304 && typeof cached?.body === 'string') {
              text = cached.body;
            } else if (res.status === 200) {
              // A new download is cached and parsed without the previous body (MBs) still held.
              cached = undefined;
              text = res.body;
              const etag = res.headers.get('etag');
              const lastModified = res.headers.get('last-modified');
              if (etag !== null || lastModified !== null) {
                // Only an optimisation: a failed write costs a full download next time, never correctness.
                await deps.cache
                  .set(cacheKey, {
                    body: text,
                    ...(etag === null ? {} : { etag }),
                    ...(lastModified === null ? {} : { lastModified }),
                  })
                  .catch((e: unknown) => log.warn({ err: String(e) }, 'cannot cache geofeed'));
              }
            } else {
              return incomplete(`GET ${safeUrl(config.url)}: HTTP ${res.status}`);
            }
          } catch (e) {
            if (e instanceof GatehouseError && e.code === 'SOURCE_INCOMPLETE' && !e.terminal)
              return incomplete(e.message);
            throw e;
          }
        } else {
          const file = config.file as string;
          origin = `source ${name}: ${file}`;
          try {
            text = await readFile(resolve(deps.baseDir, file), { encoding: 'utf8', signal });
          } catch (e) {
            if (signal.aborted) throw new GatehouseError('ABORTED', `${origin}: aborted`, { cause: e });
            return incomplete(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
          }
        }
        const { kept, total } = parseGeofeedKeeping(text, origin, keep);
        const notes: string[] = [];
        if (total === 0) notes.push(`${origin}: the geofeed has no entries`);
        else if (kept.length === 0) notes.push(`${origin}: none of ${total} entries match`);
        else if (config.match) notes.push(`${origin}: ${kept.length} of ${total} entries match`);
        return {
          complete: true,
          facts: { addressSets: [{ name, prefixes: aggregate(kept.map((e) => e.prefix)) }] },
          notes,
        };
      },
    };
  },
});

function conditionalHeaders(cached: CacheEntry | undefined): Record<string, string> {
  if (typeof cached?.body !== 'string') return {};
  return {
    ...(cached.etag === undefined ? {} : { 'if-none-match': cached.etag }),
    ...(cached.lastModified === undefined ? {} : { 'if-modified-since': cached.lastModified }),
  };
}
