import { randomBytes } from 'node:crypto';
import { parseMonitorLine, touchedSets, type MonitorLine } from './monitor-line.ts';
import type { LineProcess } from '../../adapters/command.ts';
import type { NftRunner } from './nft.ts';
import type { ObservedSet, TableRef } from './types.ts';

/** How long observe waits for the monitor to catch up before it lists the sets as if there were no watch. */
const SYNC_TIMEOUT_MS = 5_000;
/**
 * Going live: markers until the freshly started monitor prints one. nft subscribes, then reads its cache (every set's
 * elements), and restarts that read whenever the generation changes under it: markers sent too often while it reads a
 * 100k-element set keep it from ever finishing (seen with nftables 1.0.6: no line for over 20 s with a marker every
 * 100 ms). So the waits double, from 50 ms up to 8 s, for at most about a minute; a live monitor prints a marker within
 * milliseconds and is not slowed by them.
 */
const START_FIRST_WAIT_MS = 50;
const START_MAX_WAIT_MS = 8_000;
const START_ATTEMPTS = 14;

interface Carry {
  /** The last generation the stopped monitor printed. */
  readonly generation: number;
  readonly entries: ReadonlyMap<string, ObservedSet>;
  readonly written: readonly ObservedSet[] | 'failed';
  readonly merging: ReadonlyMap<string, boolean>;
  /** `#markerCommits` when the monitor was stopped. */
  readonly markerCommits: number;
}

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
  readonly #markers = new Map<string, (generation: number | undefined) => void>();
  /** The generation of the last transaction the monitor printed. */
  #lastGeneration: number | undefined;
  /** The running monitor's stop switch, for a quiet write. */
  #stop: AbortController | undefined;
  /** While a quiet write runs: resolves when it is done. */
  #resumed: Promise<void> | undefined;
  /**
   * Per set, whether it is declared with `auto-merge` (nft's JSON does not say; `nft -t list set` does), as learned
   * since the monitor started. Dropped when the set or the table is added or deleted, or anything unattributable
   * happens: a set declared again may be declared differently.
   */
  readonly #merging = new Map<string, boolean>();
  /** Bumped whenever `#merging` may have gone stale; a learned value is kept only if it did not move meanwhile. */
  #declarations = 0;
  /** Marker transactions committed so far (each is one generation, printed or not). */
  #markerCommits = 0;
  /** What a quiet write hands to the next monitor. */
  #carry: Carry | undefined;
  /** From a quiet write until the restarted monitor is live (or gave up): what observe waits for. */
  #restarting: { promise: Promise<void>; resolve: () => void } | undefined;
  /**
   * `nft -i` committing markers while a watch runs (started with the first marker): a marker then costs a line on its
   * stdin, not an nft process (15–30 ms, most of a small pass). Undefined before, and once it failed.
   */
  #session: LineProcess | undefined;
  /** Set when the session failed (an error line, it ended, a marker lost while live): markers then use `run`. */
  #sessionFailed = false;
  /** Ends the session with the watch that started it. */
  #sessionStop: AbortController | undefined;
  /** Markers sent through the session and not yet printed. */
  readonly #sessionMarkers = new Set<string>();

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
    const sessionStop = new AbortController();
    this.#sessionStop = sessionStop;
    this.#sessionFailed = false;
    try {
      while (!signal.aborted) {
        const epoch = ++this.#epoch;
        const carry = this.#carry;
        this.#carry = undefined;
        this.#reset();
        const stop = new AbortController();
        this.#stop = stop;
        const run = AbortSignal.any([signal, stop.signal]);
        await runner.monitor(
          run,
          (line) => {
            if (epoch !== this.#epoch) return;
            const reason = this.#onLine(line);
            if (reason) notify(reason);
          },
          () => void this.#becomeLive(epoch, run, carry, notify),
        );
        // Resolved: aborted, by the caller or by a quiet write (then it runs again once the write is done).
        if (signal.aborted || !this.#resumed) return;
        await this.#resumed;
        this.#resumed = undefined;
      }
    } finally {
      sessionStop.abort();
      this.#sessionStop = undefined;
      this.#session = undefined;
      this.#epoch++;
      this.#reset();
      this.#stop = undefined;
      this.#endRestart();
    }
  }

  /**
   * Resolves once the monitor, stopped for a quiet write, is live again (or could not be): an observe right after a
   * write then answers from the cache instead of listing. At most the monitor's start-up time.
   */
  settled(): Promise<void> {
    return this.#restarting?.promise ?? Promise.resolve();
  }

  #endRestart(): void {
    this.#restarting?.resolve();
    this.#restarting = undefined;
  }

  /**
   * Stops the monitor for a large write of gatehouse's own: `nft monitor` prints every element of a transaction, and a
   * 100k-element replace would keep it busy (and slow the commit) for seconds. Returns undefined when the monitor is
   * not live (write as usual), else a handle whose `done` must be called once the write ended: the monitor starts
   * again, and what was cached, plus what the write put in the sets, is kept if the generation count proves that
   * nothing but this write and gatehouse's own markers was committed meanwhile (the new monitor's first marker is
   * exactly that many generations after the last one the old monitor printed), else nothing is.
   */
  pause(): { done(written: readonly ObservedSet[] | 'failed'): void } | undefined {
    const stop = this.#stop;
    if (!this.#live || !stop || this.#lastGeneration === undefined || this.#resumed) return undefined;
    const generation = this.#lastGeneration;
    const markerCommits = this.#markerCommits;
    const merging = new Map(this.#merging);
    const entries = new Map([...this.#entries].map(([k, e]) => [k, e.observed]));
    let resume!: () => void;
    this.#resumed = new Promise<void>((r) => (resume = r));
    let restarted!: () => void;
    this.#restarting = { promise: new Promise<void>((r) => (restarted = r)), resolve: restarted };
    this.#epoch++; // lines still printed by the old monitor are ignored
    this.#live = false;
    stop.abort();
    let called = false;
    return {
      done: (written) => {
        if (called) return;
        called = true;
        this.#carry = { generation, entries, written, markerCommits, merging };
        resume();
      },
    };
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
  async #becomeLive(
    epoch: number,
    signal: AbortSignal,
    carry: Carry | undefined,
    notify: (reason: string) => void,
  ): Promise<void> {
    try {
      await this.#goLive(epoch, signal, carry, notify);
    } finally {
      if (epoch === this.#epoch) this.#endRestart();
    }
  }

  async #goLive(
    epoch: number,
    signal: AbortSignal,
    carry: Carry | undefined,
    notify: (reason: string) => void,
  ): Promise<void> {
    for (let i = 0; i < START_ATTEMPTS && epoch === this.#epoch && !signal.aborted; i++) {
      const generation = await this.sync(signal, Math.min(START_FIRST_WAIT_MS * 2 ** i, START_MAX_WAIT_MS));
      if (generation === undefined) continue;
      if (!carry || epoch !== this.#epoch) return;
      // The write (if it succeeded), then every marker committed since the pause: those the new monitor missed while
      // it started, and the one it printed.
      const markers = this.#markerCommits - carry.markerCommits;
      const expected = carry.generation + (carry.written === 'failed' ? 0 : 1) + markers;
      if (generation !== expected) {
        // Someone else committed while the monitor was stopped: what it changed is unknown, so look again.
        notify('nft-changed-while-writing');
        return;
      }
      for (const [set, observed] of carry.entries) this.#entries.set(set, { observed, epoch });
      for (const [set, merging] of carry.merging) this.#merging.set(set, merging);
      if (carry.written !== 'failed') for (const o of carry.written) this.#entries.set(o.set, { observed: o, epoch });
      return;
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
   * the monitor prints it: every transaction committed before has then been seen. Resolves with the marker's generation
   * when caught up; undefined without a running monitor, or when the marker does not come back in time.
   */
  async sync(signal: AbortSignal, timeoutMs = SYNC_TIMEOUT_MS): Promise<number | undefined> {
    if (this.#epoch === 0 || !this.#runner.monitor) return undefined;
    const epoch = this.#epoch;
    const name = `gatehouse_sync_${randomBytes(6).toString('hex')}`;
    const seen = new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => settle(undefined), timeoutMs);
      // An observe given up stops waiting (a marker sent through the session is not cancelled by the signal).
      const abandon = () => settle(undefined);
      const settle = (generation: number | undefined) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', abandon);
        this.#markers.delete(name);
        resolve(generation);
      };
      this.#markers.set(name, settle);
      if (signal.aborted) settle(undefined);
      else signal.addEventListener('abort', abandon, { once: true });
    });
    const head = `${this.#table.family} ${name}`;
    // `create` fails if such a table exists, so the marker never deletes anything it did not create. Through the
    // session both commands are one line, so one transaction, as one `nft -f` is.
    const bySession = this.#markerSession()?.send(`create table ${head}; delete table ${head}`) === true;
    if (bySession) {
      // Counted when sent: one the session then fails to commit makes the generation count of a quiet write miss by
      // one, and the cache it carried is dropped (see #goLive): never trusted wrongly.
      this.#sessionMarkers.add(name);
      this.#markerCommits++;
    } else {
      try {
        await this.#runner.run(['-f', '-'], { input: `create table ${head}\ndelete table ${head}\n`, signal });
        this.#markerCommits++;
      } catch {
        this.#markers.get(name)?.(undefined);
        return undefined;
      }
    }
    const generation = await seen;
    this.#sessionMarkers.delete(name);
    // A live monitor prints a marker within milliseconds: one sent through the session that never came back means the
    // session is stuck, and every later observe would wait for the timeout too.
    if (bySession && generation === undefined && !signal.aborted && this.#live && epoch === this.#epoch)
      this.#failSession();
    if (generation === undefined || epoch !== this.#epoch) return undefined;
    this.#live = true;
    return generation;
  }

  /** The running `nft -i` for markers, started on first use; undefined when the runner has none or it failed. */
  #markerSession(): LineProcess | undefined {
    if (this.#session || this.#sessionFailed) return this.#session;
    const stop = this.#sessionStop;
    if (!stop || stop.signal.aborted || !this.#runner.interactive) return undefined;
    // Any error line, or the process ending while its watch runs, ends its use; the markers it still owes are
    // settled at once (observe then lists), not left to time out.
    const failed = () => {
      if (this.#sessionStop === stop) this.#failSession();
    };
    this.#session = this.#runner.interactive(stop.signal, failed, failed);
    return this.#session;
  }

  #failSession(): void {
    this.#sessionFailed = true;
    this.#session = undefined;
    this.#sessionStop?.abort();
    const owed = [...this.#sessionMarkers];
    this.#sessionMarkers.clear();
    for (const name of owed) this.#markers.get(name)?.(undefined);
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

  /** Whether `set` is declared with `auto-merge`, if learned since the monitor started (see `learnAutoMerge`). */
  autoMerge(set: string): boolean | undefined {
    return this.#merging.get(set);
  }

  /** Whether observe should learn `set`'s declaration: the monitor is live and it is not known. */
  needsDeclaration(set: string): boolean {
    return this.#live && !this.#merging.has(set);
  }

  /** A token for `learnAutoMerge`, taken before the declaration is read. */
  declarationToken(): string {
    return `${this.#epoch}:${this.#declarations}`;
  }

  /** Records `set`'s `auto-merge`, read (`nft -t list set`) since `token` was taken, unless it may have changed. */
  learnAutoMerge(set: string, autoMerge: boolean, token: string): void {
    if (this.#live && token === this.declarationToken()) this.#merging.set(set, autoMerge);
  }

  #forgetDeclarations(set: string | undefined): void {
    this.#declarations++;
    if (set === undefined) this.#merging.clear();
    else this.#merging.delete(set);
  }

  /** Whether the cache can be used: the monitor is running and has caught up once since it started. */
  get live(): boolean {
    return this.#live;
  }

  #reset(): void {
    this.#live = false;
    this.#merging.clear();
    this.#declarations++;
    this.#lastGeneration = undefined;
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
      this.#forgetDeclarations(undefined);
      this.#invalidate('all');
      return 'nft-monitor-lost-events';
    }
    if (line.kind !== 'generation') {
      this.#pending.push(line);
      return undefined;
    }
    this.#lastGeneration = line.generation;
    const events = this.#pending;
    for (const e of events) {
      if (e.kind !== 'event') this.#forgetDeclarations(undefined);
      else if (e.family !== this.#table.family || e.table !== this.#table.name) continue;
      else if (e.object === 'table') this.#forgetDeclarations(undefined);
      else if (e.object === 'set' || e.object === 'map') this.#forgetDeclarations(e.name);
    }
    this.#pending = [];
    const marker = events.length === 2 && events.every((e) => e.kind === 'event' && e.object === 'table');
    if (marker) {
      const name = (events[0] as { table: string }).table;
      const done = this.#markers.get(name);
      if (done) {
        done(line.generation);
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
