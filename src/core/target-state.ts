/**
 * Durable key/value state that targets keep for their own bookkeeping, e.g. which accounts a target locked itself, so
 * it never undoes what an administrator did. Unlike `KeyValueCache` (an optimisation whose loss costs only requests),
 * losing an entry here changes what a target does: implementations must persist writes before resolving.
 *
 * Keys are plain strings; by convention `<target type>/<target name>/<kind>/<id>`, so one target's entries share a
 * prefix and never collide with another's. Values are JSON: they read back equal as values, not byte for byte (key
 * order may differ, `undefined` reads back as `null`). No transactions across keys: each call stands alone, last
 * write wins.
 */
export interface TargetState {
  /** The value stored under `key`, or undefined when there is none. */
  get(key: string): Promise<unknown>;
  /** Stores `value` under `key`, replacing any earlier value. */
  set(key: string, value: unknown): Promise<void>;
  /** Removes `key`; removing an absent key is not an error (idempotent). */
  delete(key: string): Promise<void>;
  /** Every entry whose key starts with `prefix`, sorted by key (code-point order). */
  list(prefix: string): Promise<[string, unknown][]>;
}

/** In-process target state, for tests and benchmarks. Values are copied in and out, as a real store would. */
export class MemoryTargetState implements TargetState {
  readonly entries = new Map<string, unknown>();
  get(key: string): Promise<unknown> {
    return Promise.resolve(this.entries.has(key) ? copy(this.entries.get(key)) : undefined);
  }
  set(key: string, value: unknown): Promise<void> {
    this.entries.set(key, copy(value));
    return Promise.resolve();
  }
  delete(key: string): Promise<void> {
    this.entries.delete(key);
    return Promise.resolve();
  }
  list(prefix: string): Promise<[string, unknown][]> {
    const out: [string, unknown][] = [...this.entries]
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k, copy(v)]);
    out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Promise.resolve(out);
  }
}

function copy(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? null)) as unknown;
}
