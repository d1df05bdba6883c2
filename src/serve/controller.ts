import type { Logger } from 'pino';
import type { Runnable } from '../core/contracts.ts';
import type { Leadership } from '../store/leader.ts';
import type { ServeMetrics } from './metrics.ts';
import { WorkQueue, systemClock, type Clock } from './work-queue.ts';

/** What one reconcile of one target reports back to the daemon. */
export interface ReconcileReport {
  /** `ok`: converged or applied; `attention`: a guard held something back or a source was not live; `error`. */
  readonly outcome: 'ok' | 'attention' | 'error';
  readonly planId?: string;
  readonly applied: number;
  readonly failed: number;
  readonly skipped: number;
  readonly blocked: number;
  /** Runnable changes not applied (mode plan-only): drift a human should see. */
  readonly pending: number;
  readonly sources: readonly { readonly name: string; readonly status: string }[];
  readonly error?: { readonly code: string; readonly message: string; readonly terminal?: boolean };
}

export interface ReconcileRequest {
  readonly target: string;
  /** False: plan only (mode `plan-only`); never writes. */
  readonly apply: boolean;
  /** Soft stop (SIGTERM): finish the change in flight, audit it, start no other. */
  readonly stop: AbortSignal;
  /** Hard stop: abandon whatever is in flight (fires `hardStopAfterMs` after the soft stop). */
  readonly signal: AbortSignal;
  /** Called before every write; throws when this process may no longer write (lost leadership). */
  readonly beforeWrite: () => Promise<void>;
}

export type Reconcile = (req: ReconcileRequest) => Promise<ReconcileReport>;

export interface ControlledTarget {
  readonly name: string;
  readonly mode: 'apply' | 'plan-only';
  /** Least time between two reconciles of this target; overrides the controller's `minIntervalMs`. */
  readonly minIntervalMs?: number;
  /** Sources it draws on: an event from one of them enqueues this target. */
  readonly sources: readonly string[];
}

export interface ControllerOptions {
  readonly targets: readonly ControlledTarget[];
  readonly reconcile: Reconcile;
  readonly leadership: Leadership;
  readonly metrics: ServeMetrics;
  readonly logger: Logger;
  /** Periodic full pass; every target is enqueued this often, ± `jitter` of it. Default 10 min, 0.1. */
  readonly fullPassMs?: number;
  readonly jitter?: number;
  readonly minIntervalMs?: number;
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  /** Reconciles of different targets that may run at once. Default 2. */
  readonly concurrency?: number;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** After a soft stop, how long the change in flight may still take before it is abandoned. Default 8 s. */
  readonly hardStopAfterMs?: number;
}

export interface TargetStatus {
  readonly lastSuccessAt?: number;
  readonly lastOutcome?: ReconcileReport['outcome'];
  readonly lastError?: string;
  readonly reconciles: number;
}

/**
 * The daemon's loop, in controller-runtime's shape: triggers only enqueue target names; workers take a target from the
 * queue, reconcile it level-based (re-read, re-observe, plan, guard, apply) and report. The queue guarantees one
 * reconcile per target at a time and collapses storms. Only the leader reconciles; a standby drains its queue without
 * work and, on becoming leader, enqueues every target (events it saw meanwhile are covered by that pass).
 *
 * Serve never bypasses a guard: what a guard blocks stays blocked, is counted in `gatehouse_blocked_changes`, and is
 * re-evaluated on every later reconcile.
 */
export class Controller implements Runnable {
  #o: ControllerOptions;
  readonly #queue: WorkQueue;
  readonly #clock: Clock;
  #byName: Map<string, ControlledTarget>;
  readonly #status = new Map<string, TargetStatus>();

  constructor(options: ControllerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#queue = new WorkQueue({
      clock: this.#clock,
      minIntervalMs: options.minIntervalMs ?? 0,
      minIntervalFor: (key) => this.#byName.get(key)?.minIntervalMs,
      backoffBaseMs: options.backoffBaseMs ?? 1_000,
      backoffCapMs: options.backoffCapMs ?? 300_000,
    });
    this.#byName = new Map(options.targets.map((t) => [t.name, t]));
    options.leadership.onChange((leading) => {
      options.metrics.leader.set(leading ? 1 : 0);
      options.logger.info({ leading }, leading ? 'leading: reconciling every target' : 'standing by');
      if (leading) this.enqueueAll('leadership');
    });
  }

  /**
   * Swaps in a reloaded configuration's targets and reconcile function. A reconcile in flight finishes with the old
   * ones; every target of the new configuration is then enqueued.
   */
  update(next: Pick<ControllerOptions, 'targets' | 'reconcile'>): void {
    this.#o = { ...this.#o, ...next };
    this.#byName = new Map(next.targets.map((t) => [t.name, t]));
    this.enqueueAll('reload');
  }

  get targets(): readonly ControlledTarget[] {
    return this.#o.targets;
  }

  get fullPassMs(): number {
    return this.#o.fullPassMs ?? 600_000;
  }

  status(target: string): TargetStatus {
    return this.#status.get(target) ?? { reconciles: 0 };
  }

  /** Asks for a reconcile of one target. Unknown names are ignored (a webhook may name a target since removed). */
  enqueue(target: string, trigger: string): void {
    if (!this.#byName.has(target)) return;
    this.#o.metrics.events.inc({ trigger });
    this.#queue.add(target);
    this.#o.metrics.queueDepth.set(this.#queue.depth);
  }

  /** Asks for a reconcile of every target that draws on `source`. */
  enqueueForSource(source: string, trigger: string): void {
    for (const t of this.#o.targets) if (t.sources.includes(source)) this.enqueue(t.name, trigger);
  }

  enqueueAll(trigger: string): void {
    for (const t of this.#o.targets) this.enqueue(t.name, trigger);
  }

  async start(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const stopTimer = this.#periodic(signal);
    const hard = new AbortController();
    let hardTimer: NodeJS.Timeout | undefined;
    signal.addEventListener(
      'abort',
      () => {
        this.#queue.close();
        hardTimer = setTimeout(() => hard.abort(new Error('stopped')), this.#o.hardStopAfterMs ?? 8_000);
      },
      { once: true },
    );
    const workers = Array.from({ length: this.#o.concurrency ?? 2 }, () => this.#work(signal, hard.signal));
    try {
      await Promise.all(workers);
    } finally {
      stopTimer();
      clearTimeout(hardTimer);
    }
  }

  #periodic(signal: AbortSignal): () => void {
    let handle: unknown;
    const jitter = this.#o.jitter ?? 0.1;
    const random = this.#o.random ?? Math.random;
    const arm = () => {
      const delay = this.fullPassMs * (1 - jitter + 2 * jitter * random());
      handle = this.#clock.setTimeout(() => {
        if (signal.aborted) return;
        this.enqueueAll('periodic');
        arm();
      }, delay);
    };
    arm();
    return () => this.#clock.clearTimeout(handle);
  }

  async #work(signal: AbortSignal, hard: AbortSignal): Promise<void> {
    for (;;) {
      const name = await this.#queue.get(signal);
      this.#o.metrics.queueDepth.set(this.#queue.depth);
      if (name === undefined) return;
      const since = this.#queue.startedSince(name);
      let ok = true;
      try {
        ok = await this.#reconcile(name, since, signal, hard);
      } finally {
        this.#queue.done(name, { ok });
        this.#o.metrics.queueDepth.set(this.#queue.depth);
      }
    }
  }

  /** Runs one reconcile; returns false when it should be retried with backoff. Never throws. */
  async #reconcile(name: string, since: number | undefined, stop: AbortSignal, hard: AbortSignal): Promise<boolean> {
    const { metrics, logger, leadership } = this.#o;
    const target = this.#byName.get(name);
    if (!target) return true; // removed by a reload while queued
    if (!leadership.leading) {
      metrics.reconciles.inc({ target: name, outcome: 'standby' });
      return true;
    }
    const started = this.#clock.now();
    let report: ReconcileReport;
    try {
      report = await this.#o.reconcile({
        target: name,
        apply: target.mode === 'apply',
        stop,
        signal: hard,
        beforeWrite: () => leadership.assertLeading(),
      });
    } catch (e) {
      report = {
        outcome: 'error',
        applied: 0,
        failed: 0,
        skipped: 0,
        blocked: 0,
        pending: 0,
        sources: [],
        error: { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) },
      };
    }
    const ended = this.#clock.now();
    const outcome = target.mode === 'plan-only' && report.outcome !== 'error' ? 'plan-only' : report.outcome;
    metrics.reconcileDuration.observe({ target: name, outcome }, (ended - started) / 1_000);
    metrics.reconciles.inc({ target: name, outcome });
    for (const [result, n] of [
      ['applied', report.applied],
      ['failed', report.failed],
      ['skipped', report.skipped],
      ['blocked', report.blocked],
    ] as const)
      if (n > 0) metrics.changes.inc({ target: name, result }, n);
    metrics.blockedNow.set({ target: name }, report.blocked);
    metrics.pendingNow.set({ target: name }, report.pending);
    for (const s of report.sources)
      for (const status of ['live', 'snapshot', 'missing'])
        metrics.sourceStatus.set({ source: s.name, status }, s.status === status ? 1 : 0);
    const prev = this.status(name);
    const success = report.outcome !== 'error';
    if (success) {
      metrics.lastSuccess.set({ target: name }, ended / 1_000);
      if (since !== undefined) metrics.lag.observe({ target: name }, (ended - since) / 1_000);
    }
    this.#status.set(name, {
      reconciles: prev.reconciles + 1,
      lastOutcome: report.outcome,
      ...(success
        ? { lastSuccessAt: ended }
        : prev.lastSuccessAt === undefined
          ? {}
          : { lastSuccessAt: prev.lastSuccessAt }),
      ...(report.error ? { lastError: `${report.error.code}: ${report.error.message}` } : {}),
    });
    const line = {
      target: name,
      outcome,
      planId: report.planId,
      applied: report.applied,
      failed: report.failed,
      blocked: report.blocked,
      durationMs: ended - started,
      ...(since === undefined ? {} : { lagMs: ended - since }),
      ...(report.error ? { error: report.error } : {}),
    };
    if (report.outcome === 'error') logger.error(line, 'reconcile failed');
    else if (report.blocked > 0) logger.warn(line, 'reconcile: guards hold changes back; a human must act');
    else logger.info(line, 'reconciled');
    // A terminal error (bad config, forbidden) will not heal by retrying fast; the periodic pass retries it.
    return success || report.error?.terminal === true;
  }
}
