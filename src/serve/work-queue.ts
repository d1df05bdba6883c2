/**
 * A work queue keyed by target name, in the controller-runtime style. It holds keys, never event payloads:
 * reconciliation is level-based, so an event only says "look at this target again".
 *
 * Guarantees:
 * - a key is never handed out while it is being worked on (one reconcile per target at a time);
 * - adding a key that is already waiting does nothing (duplicates collapse);
 * - adding a key that is being worked on marks it dirty: when the work finishes, it is handed out once more, however
 *   many adds arrived meanwhile (a storm costs one follow-up, not one run per event);
 * - a key is not started sooner than its minimum interval (`minIntervalMs`, or `minIntervalFor(key)`) after its
 *   previous start;
 * - after a failure the key comes back after an exponential backoff (`backoffBaseMs` doubling up to `backoffCapMs`);
 *   a success resets it. An add during backoff does not shorten it: a failing target is not hammered by events.
 *
 * Does NOT run anything itself and has no notion of leadership; the controller decides whether to work.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface WorkQueueOptions {
  readonly minIntervalMs?: number;
  /** A key's own minimum interval, overriding `minIntervalMs` when it returns a number. */
  readonly minIntervalFor?: (key: string) => number | undefined;
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  readonly clock?: Clock;
}

interface KeyState {
  lastStart?: number;
  failures: number;
  /** Not before this time (min interval or backoff). */
  notBefore: number;
  timer?: unknown;
  /** Waiting in `ready`, or scheduled by `timer`. */
  queued: boolean;
  running: boolean;
  dirty: boolean;
  /** When the oldest add that this key's next run will cover arrived (for event → converged lag). */
  since?: number;
  /** `since` of the run in progress. */
  startedSince?: number;
}

export class WorkQueue {
  readonly #o: Required<Omit<WorkQueueOptions, 'clock' | 'minIntervalFor'>>;
  readonly #minIntervalFor: (key: string) => number | undefined;
  readonly #clock: Clock;
  readonly #keys = new Map<string, KeyState>();
  readonly #ready: string[] = [];
  #waiters: ((key: string | undefined) => void)[] = [];
  #closed = false;

  constructor(options: WorkQueueOptions = {}) {
    this.#o = {
      minIntervalMs: options.minIntervalMs ?? 0,
      backoffBaseMs: options.backoffBaseMs ?? 1_000,
      backoffCapMs: options.backoffCapMs ?? 300_000,
    };
    this.#clock = options.clock ?? systemClock;
    this.#minIntervalFor = options.minIntervalFor ?? (() => undefined);
  }

  /** Keys waiting to be handed out (ready or scheduled), for the queue-depth metric. */
  get depth(): number {
    let n = 0;
    for (const s of this.#keys.values()) if (s.queued) n++;
    return n;
  }

  /** Asks for `key` to be reconciled. Idempotent while it waits; one follow-up while it runs. */
  add(key: string): void {
    if (this.#closed) return;
    const s = this.#state(key);
    s.since ??= this.#clock.now();
    if (s.running) {
      s.dirty = true;
      return;
    }
    if (s.queued) return;
    this.#schedule(key, s);
  }

  /**
   * The next key to work on; waits until one is ready. Resolves `undefined` once the queue is closed or `signal`
   * aborts. The caller must call `done` for every key it receives.
   */
  get(signal?: AbortSignal): Promise<string | undefined> {
    const key = this.#ready.shift();
    if (key !== undefined) return Promise.resolve(this.#start(key));
    if (this.#closed || signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter = (k: string | undefined) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(k === undefined ? undefined : this.#start(k));
      };
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /**
   * Marks `key` finished. On failure the key is rescheduled after its backoff; when adds arrived during the run it is
   * rescheduled once.
   */
  done(key: string, outcome: { ok: boolean }): void {
    const s = this.#state(key);
    s.running = false;
    if (outcome.ok) s.failures = 0;
    else {
      s.failures++;
      const backoff = Math.min(this.#o.backoffCapMs, this.#o.backoffBaseMs * 2 ** (s.failures - 1));
      s.notBefore = Math.max(s.notBefore, this.#clock.now() + backoff);
    }
    if (this.#closed) return;
    if (s.dirty || !outcome.ok) {
      s.dirty = false;
      s.since ??= this.#clock.now();
      this.#schedule(key, s);
    }
  }

  /** When the oldest add covered by the run of `key` in progress arrived (for event → converged lag). */
  startedSince(key: string): number | undefined {
    return this.#keys.get(key)?.startedSince;
  }

  /** Stops handing out keys; pending `get`s resolve `undefined`; timers are cleared. */
  close(): void {
    this.#closed = true;
    for (const s of this.#keys.values()) if (s.timer !== undefined) this.#clock.clearTimeout(s.timer);
    for (const w of this.#waiters.splice(0)) w(undefined);
  }

  #state(key: string): KeyState {
    let s = this.#keys.get(key);
    if (!s) {
      s = { failures: 0, notBefore: 0, queued: false, running: false, dirty: false };
      this.#keys.set(key, s);
    }
    return s;
  }

  #schedule(key: string, s: KeyState): void {
    s.queued = true;
    const wait = s.notBefore - this.#clock.now();
    if (wait <= 0) this.#makeReady(key);
    else
      s.timer = this.#clock.setTimeout(() => {
        s.timer = undefined;
        if (!this.#closed) this.#makeReady(key);
      }, wait);
  }

  #makeReady(key: string): void {
    const w = this.#waiters.shift();
    if (w) w(key);
    else this.#ready.push(key);
  }

  #start(key: string): string {
    const s = this.#state(key);
    const now = this.#clock.now();
    s.queued = false;
    s.running = true;
    s.lastStart = now;
    s.notBefore = now + (this.#minIntervalFor(key) ?? this.#o.minIntervalMs);
    s.startedSince = s.since;
    s.since = undefined;
    return key;
  }
}
