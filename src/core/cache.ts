/**
 * A small persistent key/value cache for HTTP validators (ETag / Last-Modified) and the bodies they validate, so a
 * conditional request answered 304 can be served from here. Entries are an optimisation: losing them costs requests,
 * never correctness.
 */
export interface CacheEntry {
  readonly etag?: string;
  readonly lastModified?: string;
  readonly body: unknown;
}

export interface KeyValueCache {
  get(key: string): Promise<CacheEntry | undefined>;
  set(key: string, entry: CacheEntry): Promise<void>;
}

/** In-process cache, for tests and for runs without a store. */
export class MemoryCache implements KeyValueCache {
  readonly entries = new Map<string, CacheEntry>();
  get(key: string): Promise<CacheEntry | undefined> {
    return Promise.resolve(this.entries.get(key));
  }
  set(key: string, entry: CacheEntry): Promise<void> {
    this.entries.set(key, entry);
    return Promise.resolve();
  }
}
