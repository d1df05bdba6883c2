import type { Clock } from '../core/clock.ts';

/**
 * A {@link Clock} for tests: `sleep` returns at once and moves time forward by what was asked, and records it, so a
 * test can assert how long code waited (e.g. as a `Retry-After` said) without waiting.
 */
export class ManualClock implements Clock {
  #now = 0;
  /** Every wait asked for, in order, in milliseconds. */
  readonly sleeps: number[] = [];

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    this.sleeps.push(ms);
    this.#now += ms;
    return Promise.resolve();
  }
}
