import { randomBytes } from 'node:crypto';
import { parseMonitorLine, touchedSets, type MonitorLine } from './monitor-line.ts';
import type { NftRunner } from './nft.ts';
import type { ObservedSet, TableRef } from './types.ts';

/** How long observe waits for the monitor to catch up before it lists the sets as if there were no watch. */
const SYNC_TIMEOUT_MS = 5_000;
/** Going live: markers until the freshly started monitor prints one (it subscribes within milliseconds). */
const START_WAIT_MS = 100;
const START_ATTEMPTS = 100;

/**
 * What one managed set is known to hold while `nft monitor` runs, so observe can skip listing a set nobody changed.
 *
 * An entry is stored only by a listing that started after the monitor was live and caught up, or by gatehouse's own
 * successful transaction (recognised by the nft process id in the monitor's generation line). It is dropped by any
 * other transaction touching the set (elements added or deleted, the set or the table added or deleted), by any line
 * the monitor prints that cannot be attributed (lost netlink events, an unknown line), and all entries go when the
 * monitor ends. Before answering from the cache, observe waits until the monitor has printed a marker transaction it
 * committed just now (`sync`), so every transaction committed before the read has been seen.
 */
export class NftWatch {
  readonly #runner: NftRunner;
  readonly #table: TableRef;
  readonly #managed: ReadonlySet<string>;
  /** Bumped whenever the monitor starts or stops: entries of an earlier epoch are never used. */
  #epoch = 0;
  #live = false;
  readonly #entries = new Map<string, { observed: ObservedSet; epoch: number }>();
  /** Per set, bumped by each invalidation: a read or write stores its result only if nothing happened meanwhile. */
  readonly #versions = new Map<string, number>();
  #allVersion = 0;
  /** Events of the transaction being printed, until its generation line. */
  #pending: MonitorLine[] = [];
  readonly #ownPids = new Set<number>();
  readonly #markers = new Map<string, (seen: boolean) => void>();

  constructor(runner: NftRunner, table: TableRef, managed: readonly string[]) {
    this.#runner = runner;
    this.#table = table;
    this.#managed = new Set(managed);
  }

  /** True when the runner can run `nft monitor` at all. */
  get supported(): boolean {
    return this.#runner.monitor !== undefined;
  }

  /**
   * Runs the monitor until `signal` aborts; `notify` is called when another process changed a managed set (or may
   * have). Rejects when the monitor ends by itself; the cache is unusable from then until a new watch is live.
   */
  async watch(signal: AbortSignal, notify: (reason: string) => void): Promise<void> {
    const runner = this.#runner;
    if (!runner.monitor) return;
    const epoch = ++this.#epoch;
    this.#reset();
    try {
      await runner.monitor(
        signal,
        (line) => {
          if (epoch !== this.#epoch) return;
          const reason = this.#onLine(line);
          if (reason) notify(reason);
        },
        () => void this.#becomeLive(epoch, signal),
      );
    } finally {
      if (epoch === this.#epoch) {
        this.#epoch++;
        this.#reset();
      }
    }
  }

  /**
   * Before gatehouse writes `sets`: drops what is cached for them (a write that fails or is not stored must not leave
   * an old entry behind) and returns the token `store` takes once the write succeeded.
   */
  beginWrite(sets: readonly string[]): Map<string, string> {
    this.#invalidate(new Set(sets));
    return new Map(sets.map((s) => [s, this.version(s)]));
  }

  /**
   * The monitor process runs, but may not be subscribed yet: a marker committed before it is never printed. Markers
   * are sent with a short wait until one comes back; then the monitor is live.
   */
  async #becomeLive(epoch: number, signal: AbortSignal): Promise<void> {
    for (let i = 0; i < START_ATTEMPTS && epoch === this.#epoch && !signal.aborted; i++) {
      if (await this.sync(signal, START_WAIT_MS)) return;
    }
  }

  /** Registers a process gatehouse started to change the sets: its transaction does not invalidate what it wrote. */
  ownProcess(pid: number): void {
    this.#ownPids.add(pid);
  }

  /** Forgets a process that committed nothing (it failed). */
  forgetProcess(pid: number): void {
    this.#ownPids.delete(pid);
  }

  /**
   * Commits a marker transaction (a table created and deleted in one transaction, so never visible) and waits until
   * the monitor prints it: every transaction committed before has then been seen. True when caught up; false without
   * a running monitor, or when the marker does not come back in time.
   */
  async sync(signal: AbortSignal, timeoutMs = SYNC_TIMEOUT_MS): Promise<boolean> {
    if (this.#epoch === 0 || !this.#runner.monitor) return false;
    const epoch = this.#epoch;
    const name = `gatehouse_sync_${randomBytes(6).toString('hex')}`;
    const seen = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => settle(false), timeoutMs);
      const settle = (ok: boolean) => {
        clearTimeout(timer);
        this.#markers.delete(name);
        resolve(ok);
      };
      this.#markers.set(name, settle);
    });
    const head = `${this.#table.family} ${name}`;
    try {
      // `create` fails if such a table exists, so the marker never deletes anything it did not create.
      await this.#runner.run(['-f', '-'], { input: `create table ${head}\ndelete table ${head}\n`, signal });
    } catch {
      this.#markers.get(name)?.(false);
      return false;
    }
    const ok = await seen;
    if (ok && epoch === this.#epoch) this.#live = true;
    return ok && epoch === this.#epoch;
  }

  /** The cached contents of `set`, if the monitor is live and nothing touched it since they were stored. */
  cached(set: string): ObservedSet | undefined {
    if (!this.#live) return undefined;
    const e = this.#entries.get(set);
    return e && e.epoch === this.#epoch ? e.observed : undefined;
  }

  /** A token to pass to `store`: taken before a read or write starts. */
  version(set: string): string {
    return `${this.#epoch}:${this.#allVersion}:${this.#versions.get(set) ?? 0}`;
  }

  /**
   * Stores what `observed.set` holds, as read or written by an operation that started at `version` while the monitor
   * was live; ignored if anything touched the set (or the monitor restarted) since.
   */
  store(observed: ObservedSet, version: string): void {
    if (!this.#live || version !== this.version(observed.set)) return;
    this.#entries.set(observed.set, { observed, epoch: this.#epoch });
  }

  /** Whether the cache can be used: the monitor is running and has caught up once since it started. */
  get live(): boolean {
    return this.#live;
  }

  #reset(): void {
    this.#live = false;
    this.#entries.clear();
    this.#pending = [];
    this.#allVersion++;
  }

  #invalidate(sets: 'all' | Set<string>): void {
    if (sets === 'all') {
      this.#allVersion++;
      this.#entries.clear();
      return;
    }
    for (const s of sets) {
      this.#versions.set(s, (this.#versions.get(s) ?? 0) + 1);
      this.#entries.delete(s);
    }
  }

  /** Handles one monitor line; returns why the sets may have changed when another process changed them. */
  #onLine(text: string): string | undefined {
    const line = parseMonitorLine(text);
    if (line.kind === 'lost') {
      this.#pending = [];
      this.#invalidate('all');
      return 'nft-monitor-lost-events';
    }
    if (line.kind !== 'generation') {
      this.#pending.push(line);
      return undefined;
    }
    const events = this.#pending;
    this.#pending = [];
    const marker = events.length === 2 && events.every((e) => e.kind === 'event' && e.object === 'table');
    if (marker) {
      const name = (events[0] as { table: string }).table;
      const done = this.#markers.get(name);
      if (done) {
        done(true);
        return undefined;
      }
    }
    const own = this.#ownPids.delete(line.pid);
    const touched = touchedSets(events, this.#table, this.#managed);
    if (own || (touched !== 'all' && touched.size === 0)) return undefined;
    this.#invalidate(touched);
    return 'nft-set-changed';
  }
}
