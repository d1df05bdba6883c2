import { serve as listen, type ServerType } from '@hono/node-server';
import type { Logger } from 'pino';
import type { Runnable, Source, Target } from '../core/contracts.ts';
import { describeError } from '../core/errors.ts';
import { buildApp, buildMetricsApp, type Readiness } from '../server/app.ts';
import type { Hono } from 'hono';
import type { InteractionsEndpoint } from '../server/interactions.ts';
import type { Leadership } from '../store/leader.ts';
import { Controller, type ControlledTarget, type Reconcile } from './controller.ts';
import type { ServeMetrics } from './metrics.ts';

/** What one loaded configuration gives the daemon. Replaced whole on reload. */
export interface Runtime {
  readonly targets: readonly ControlledTarget[];
  readonly sources: readonly Source[];
  /** Targets that can watch for changes made by others (see `Target.watch`); an event enqueues the target. */
  readonly watchedTargets?: readonly Pick<Target, 'name' | 'watch'>[];
  readonly reconcile: Reconcile;
  /** Targets a verified GitHub organisation webhook enqueues. */
  readonly githubTargets: readonly string[];
  readonly settings: ServeSettings;
  /** POST /interactions (links.discord); absent → 404. */
  readonly interactions?: InteractionsEndpoint;
  /** The link web flow and approval queue (links.web); absent → 404. */
  readonly web?: Hono;
  close(): Promise<void>;
}

export interface ServeSettings {
  readonly listen: { readonly host: string; readonly port: number };
  readonly metricsListen?: { readonly host: string; readonly port: number };
  readonly fullPassMs: number;
  readonly minIntervalMs: number;
  readonly concurrency: number;
  readonly githubWebhook?: { readonly secret: string; readonly maxBodyBytes: number };
}

export interface DaemonOptions {
  /** Loads the configuration and builds a runtime; throws on an invalid configuration. */
  readonly load: () => Promise<Runtime>;
  readonly leadership: Leadership;
  /** Proves the store answers (one round trip); throws when it does not. */
  readonly pingStore: () => Promise<void>;
  /** Who leads, for a standby's readiness; undefined when nobody does (or unknown). */
  readonly currentLeader?: () => Promise<string | undefined>;
  readonly metrics: ServeMetrics;
  readonly logger: Logger;
  /** Called with the bound addresses once listening (tests use port 0). */
  readonly onListening?: (addresses: { http: string; metrics?: string }) => void;
}

/**
 * `gatehouse serve`: leadership campaign, controller, source watchers and the HTTP server(s), until the signal aborts.
 * `reload()` (SIGHUP) loads the configuration again; a configuration that fails to load is logged, counted in
 * `gatehouse_config_reloads_total{result="error"}`, shown on /readyz, and the running one stays.
 */
export class Daemon implements Runnable {
  readonly #o: DaemonOptions;
  #runtime: Runtime | undefined;
  #controller: Controller | undefined;
  #watchers: AbortController | undefined;
  /** Target watches: running only while this process leads (a watch may write, e.g. nftables marker transactions). */
  #targetWatchers: AbortController | undefined;
  #reloadError: string | undefined;
  readonly #startedAt = Date.now();

  constructor(options: DaemonOptions) {
    this.#o = options;
  }

  async start(signal: AbortSignal): Promise<void> {
    const { logger, metrics, leadership } = this.#o;
    const runtime = await this.#o.load();
    this.#runtime = runtime;
    const s = runtime.settings;
    const controller = new Controller({
      targets: runtime.targets,
      reconcile: runtime.reconcile,
      leadership,
      metrics,
      logger,
      fullPassMs: s.fullPassMs,
      minIntervalMs: s.minIntervalMs,
      concurrency: s.concurrency,
    });
    this.#controller = controller;
    leadership.onChange((leading) => {
      const [rt, c] = [this.#runtime, this.#controller];
      if (leading && rt && c) this.#startTargetWatches(rt, c);
      else if (!leading) this.#stopTargetWatches();
    });
    const servers = await this.#listen(runtime);
    this.#startWatchers(runtime, controller, signal);
    logger.info({ targets: runtime.targets.map((t) => `${t.name}:${t.mode}`) }, 'serving');
    try {
      await Promise.all([leadership.start(signal), controller.start(signal)]);
    } finally {
      this.#watchers?.abort();
      await Promise.all(servers.map((srv) => new Promise<void>((r) => srv.close(() => r()))));
      await this.#runtime?.close().catch(() => {});
      logger.info('stopped');
    }
  }

  /** Reloads the configuration; keeps the running one when the new one fails. Resolves true when swapped. */
  async reload(): Promise<boolean> {
    const { logger, metrics } = this.#o;
    const controller = this.#controller;
    if (!controller) return false;
    let next: Runtime;
    try {
      next = await this.#o.load();
    } catch (e) {
      this.#reloadError = describeError(e);
      metrics.configReloads.inc({ result: 'error' });
      metrics.configValid.set(0);
      logger.error({ error: this.#reloadError }, 'configuration reload failed; the running configuration stays');
      return false;
    }
    const previous = this.#runtime;
    this.#runtime = next;
    this.#reloadError = undefined;
    metrics.configReloads.inc({ result: 'ok' });
    metrics.configValid.set(1);
    controller.update({ targets: next.targets, reconcile: next.reconcile });
    this.#startWatchers(next, controller, undefined);
    await previous?.close().catch(() => {});
    logger.info({ targets: next.targets.map((t) => `${t.name}:${t.mode}`) }, 'configuration reloaded');
    return true;
  }

  /** /readyz: store reachable; leading, or standing by behind a leader; every target reconciled recently. */
  async readiness(): Promise<Readiness> {
    const checks: Record<string, { ok: boolean; detail?: string }> = {};
    try {
      await this.#o.pingStore();
      checks.store = { ok: true };
    } catch (e) {
      checks.store = { ok: false, detail: `store unreachable: ${describeError(e)}` };
    }
    const { leadership } = this.#o;
    if (leadership.leading) checks.leadership = { ok: true, detail: 'leader' };
    else {
      const leader = await this.#o.currentLeader?.().catch(() => undefined);
      checks.leadership = leader
        ? { ok: true, detail: `standby; leader: ${leader}` }
        : { ok: false, detail: 'no leader yet' };
    }
    if (this.#reloadError) checks.config = { ok: false, detail: `last reload failed: ${this.#reloadError}` };
    const controller = this.#controller;
    if (controller && leadership.leading) {
      const window = 2 * controller.fullPassMs;
      const now = Date.now();
      for (const t of controller.targets) {
        const st = controller.status(t.name);
        const since = st.lastSuccessAt ?? this.#startedAt;
        const fresh = now - since <= window;
        checks[`target:${t.name}`] = fresh
          ? { ok: true }
          : {
              ok: false,
              detail: `no successful reconcile for ${Math.round((now - since) / 1000)} s${st.lastError ? `; last error: ${st.lastError}` : ''}`,
            };
      }
    }
    // A failed reload keeps the old configuration running: reported, but not a reason to take the pod out.
    const ready = Object.entries(checks).every(([k, c]) => c.ok || k === 'config');
    return { ready, checks };
  }

  async #listen(runtime: Runtime): Promise<ServerType[]> {
    const s = runtime.settings;
    const metricsApart = s.metricsListen !== undefined;
    const app = buildApp({
      metrics: this.#o.metrics,
      readiness: () => this.readiness(),
      exposeMetrics: !metricsApart,
      interactions: () => this.#runtime?.interactions,
      web: () => this.#runtime?.web,
      ...(s.githubWebhook
        ? {
            githubWebhook: {
              ...s.githubWebhook,
              onEvent: (e) => {
                for (const t of this.#runtime?.githubTargets ?? []) this.#controller?.enqueue(t, 'github-webhook');
                this.#o.logger.info({ event: e.name, delivery: e.deliveryId }, 'github webhook');
              },
            },
          }
        : {}),
    });
    const servers: ServerType[] = [];
    const addresses: { http: string; metrics?: string } = { http: '' };
    addresses.http = await bind(app.fetch, s.listen, servers);
    if (s.metricsListen)
      addresses.metrics = await bind(buildMetricsApp(this.#o.metrics).fetch, s.metricsListen, servers);
    this.#o.onListening?.(addresses);
    return servers;
  }

  #startWatchers(runtime: Runtime, controller: Controller, signal: AbortSignal | undefined): void {
    this.#watchers?.abort();
    const ac = new AbortController();
    this.#watchers = ac;
    signal?.addEventListener('abort', () => ac.abort(), { once: true });
    for (const source of runtime.sources) {
      if (!source.watch) continue;
      void this.#watch(source, controller, ac.signal);
    }
    this.#startTargetWatches(runtime, controller);
  }

  /** Starts the target watches of `runtime` (stopping any running) if this process leads; a follower writes nothing. */
  #startTargetWatches(runtime: Runtime, controller: Controller): void {
    this.#stopTargetWatches();
    const all = this.#watchers;
    if (!this.#o.leadership.leading || !all || all.signal.aborted) return;
    const ac = new AbortController();
    this.#targetWatchers = ac;
    all.signal.addEventListener('abort', () => ac.abort(), { once: true });
    for (const target of runtime.watchedTargets ?? []) {
      const watch = target.watch?.bind(target);
      if (!watch) continue;
      void this.#keepWatching(
        { kind: 'target', name: target.name },
        (signal, notify) => watch(signal, notify),
        (reason) => controller.enqueue(target.name, reason),
        ac.signal,
      );
    }
  }

  #stopTargetWatches(): void {
    this.#targetWatchers?.abort();
    this.#targetWatchers = undefined;
  }

  /**
   * Keeps one source's watch running: a rejected watch is restarted with capped backoff, and each restart enqueues the
   * source's targets (events may have been lost meanwhile).
   */
  async #watch(source: Source, controller: Controller, signal: AbortSignal): Promise<void> {
    const watch = source.watch?.bind(source);
    if (!watch) return;
    await this.#keepWatching(
      { kind: 'source', name: source.name },
      watch,
      (reason) => controller.enqueueForSource(source.name, reason),
      signal,
    );
  }

  /**
   * The restart loop shared by source and target watches: a rejected watch is restarted with capped backoff, and each
   * restart notifies (events may have been lost meanwhile).
   */
  async #keepWatching(
    who: { kind: 'source' | 'target'; name: string },
    watch: (signal: AbortSignal, notify: (reason: string) => void) => Promise<void>,
    notify: (reason: string) => void,
    signal: AbortSignal,
  ): Promise<void> {
    let delay = 1_000;
    while (!signal.aborted) {
      const started = Date.now();
      try {
        await watch(signal, notify);
        return; // resolved: nothing to watch (e.g. polling disabled)
      } catch (e) {
        this.#o.logger.warn({ [who.kind]: who.name, error: describeError(e) }, `${who.kind} watch stopped; restarting`);
      }
      if (signal.aborted) return;
      notify('watch-restart');
      if (Date.now() - started > 60_000) delay = 1_000;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 60_000);
    }
  }
}

function bind(
  fetch: (req: Request) => Response | Promise<Response>,
  at: { host: string; port: number },
  servers: ServerType[],
): Promise<string> {
  return new Promise((resolve, reject) => {
    const server = listen({ fetch, hostname: at.host, port: at.port }, (info) =>
      resolve(`${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`),
    );
    server.once('error', reject);
    servers.push(server);
  });
}
