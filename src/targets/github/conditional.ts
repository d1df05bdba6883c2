import type { KeyValueCache } from '../../core/cache.ts';
import { GatehouseError } from '../../core/errors.ts';
import { isHttpFailure, type GithubClient } from './client.ts';

/** More pages than this (100 per page) is not an organisation but a bug or a loop: stop. */
export const MAX_PAGES = 1000;

/** Bump when the shape of cached bodies changes, so old entries are ignored rather than misread. */
const CACHE_VERSION = 'v1';

/** Counts of one reader, for logs and benchmarks. */
export interface ReadStats {
  requests: number;
  notModified: number;
}

interface CachedPage<T> {
  readonly data: T;
  /** The `rel="next"` link, or null on the last page. */
  readonly next: string | null;
}

/**
 * Conditional GETs with an ETag cache. Every GET sends `If-None-Match` with the ETag of the last answer to the same
 * URL; a 304 is served from the cache, and GitHub does not charge 304s to the primary rate limit — an unchanged org
 * costs requests but no quota. Bodies are cached reduced (`reduce` keeps only what gatehouse reads), so the store
 * holds ids and logins, not whole user objects.
 *
 * Lists follow `Link: rel="next"` page by page, each page conditional on its own ETag; links must stay on the API's
 * origin. Losing the cache costs quota, never correctness.
 */
export class ConditionalReader {
  readonly stats: ReadStats = { requests: 0, notModified: 0 };
  readonly #octokit: () => GithubClient;
  readonly #cache: KeyValueCache;
  readonly #apiUrl: string;

  /** @param octokit the client, or a function returning it (called on the first request, so it can be built then). */
  constructor(octokit: GithubClient | (() => GithubClient), cache: KeyValueCache, apiUrl: string) {
    this.#octokit = typeof octokit === 'function' ? octokit : () => octokit;
    this.#cache = cache;
    this.#apiUrl = apiUrl.replace(/\/+$/, '');
  }

  /**
   * One resource. `reduce` turns the JSON body into what is kept (and must throw on a malformed body).
   * @returns undefined for a 404 (a deleted user, an unknown login); other failures throw.
   */
  async get<T>(path: string, reduce: (body: unknown) => T, signal: AbortSignal): Promise<T | undefined> {
    const page = await this.#fetch(this.#absolute(path), (body) => reduce(body), signal, true);
    return page?.data;
  }

  /** Every item of a paginated list (`per_page=100` is added when absent). `reduce` maps one item. */
  async list<T>(path: string, reduce: (item: unknown) => T, signal: AbortSignal): Promise<T[]> {
    const first = new URL(this.#absolute(path));
    if (!first.searchParams.has('per_page')) first.searchParams.set('per_page', '100');
    const out: T[] = [];
    let url: string | null = first.toString();
    for (let pages = 0; url !== null; pages++) {
      if (pages >= MAX_PAGES) {
        throw new GatehouseError('TARGET_FAILED', `${path}: more than ${MAX_PAGES} pages; refusing to read on`);
      }
      const page: CachedPage<T[]> | undefined = await this.#fetch(
        url,
        (body) => {
          if (!Array.isArray(body)) throw new Error('expected a JSON array');
          return body.map(reduce);
        },
        signal,
        false,
      );
      if (!page) throw new GatehouseError('TARGET_FAILED', `${path}: not found`);
      out.push(...page.data);
      url = page.next;
    }
    return out;
  }

  async #fetch<T>(
    url: string,
    reduce: (body: unknown) => T,
    signal: AbortSignal,
    allow404: boolean,
  ): Promise<CachedPage<T> | undefined> {
    signal.throwIfAborted();
    const key = `github:${CACHE_VERSION}:${url}`;
    const cached = await this.#cache.get(key);
    const headers: Record<string, string> = cached?.etag ? { 'if-none-match': cached.etag } : {};
    this.stats.requests++;
    let response: { headers: Record<string, string | number | undefined>; data: unknown };
    try {
      response = await this.#octokit().request(`GET ${url}`, { headers, request: { signal } });
    } catch (e) {
      if (isHttpFailure(e) && e.status === 304 && cached) {
        this.stats.notModified++;
        return cached.body as CachedPage<T>;
      }
      if (isHttpFailure(e) && e.status === 404 && allow404) return undefined;
      throw httpError(`GET ${this.#display(url)}`, e);
    }
    let data: T;
    try {
      data = reduce(response.data);
    } catch (e) {
      throw new GatehouseError('TARGET_FAILED', `GET ${this.#display(url)}: unexpected response`, { cause: e });
    }
    const page: CachedPage<T> = { data, next: this.#next(response.headers.link) };
    const etag = response.headers.etag;
    if (typeof etag === 'string' && etag !== '') await this.#cache.set(key, { etag, body: page });
    return page;
  }

  #absolute(path: string): string {
    return path.startsWith('/') ? `${this.#apiUrl}${path}` : path;
  }

  #display(url: string): string {
    return url.startsWith(this.#apiUrl) ? url.slice(this.#apiUrl.length) : url;
  }

  #next(link: string | number | undefined): string | null {
    if (typeof link !== 'string') return null;
    const m = /<([^>]+)>;\s*rel="next"/.exec(link);
    if (!m?.[1]) return null;
    const next = new URL(m[1], this.#apiUrl);
    // Never follow a link off the API's origin: the token would go with it.
    if (next.origin !== new URL(this.#apiUrl).origin) {
      throw new GatehouseError(
        'TARGET_FAILED',
        `pagination link leaves ${new URL(this.#apiUrl).origin}: ${next.origin}`,
      );
    }
    return next.toString();
  }
}

/**
 * A GatehouseError for a failed GitHub request: TARGET_FORBIDDEN for 401/403, TARGET_FAILED otherwise. The message
 * holds method, path, status and GitHub's message; Octokit keeps credentials out of both.
 */
export function httpError(what: string, e: unknown): GatehouseError {
  if (e instanceof GatehouseError) return e;
  if (isHttpFailure(e)) {
    const code = e.status === 401 || e.status === 403 ? 'TARGET_FORBIDDEN' : 'TARGET_FAILED';
    return new GatehouseError(code, `${what}: HTTP ${e.status}`, {
      cause: e,
      terminal: e.status === 401,
      details: { status: e.status },
    });
  }
  return new GatehouseError('TARGET_FAILED', `${what} failed`, { cause: e });
}
