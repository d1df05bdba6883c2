import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { SoloLeadership, type Leadership } from '../store/leader.ts';
import type { ReconcileReport } from './controller.ts';
import { Daemon, type Runtime } from './daemon.ts';
import { ServeMetrics } from './metrics.ts';
import { until } from '../testing/until.ts';

const OK: ReconcileReport = { outcome: 'ok', applied: 0, failed: 0, skipped: 0, blocked: 0, pending: 0, sources: [] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Leadership a test hands over and takes back. */
class SwitchedLeadership implements Leadership {
  leading = false;
  readonly #listeners: ((leading: boolean) => void)[] = [];
  set(leading: boolean): void {
    this.leading = leading;
    for (const l of this.#listeners) l(leading);
  }
  assertLeading(): Promise<void> {
    return this.leading ? Promise.resolve() : Promise.reject(new Error('not leading'));
  }
  start(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }
  onChange(listener: (leading: boolean) => void): void {
    this.#listeners.push(listener);
  }
}

/** A daemon over one target `t` whose watch is `watch`; counts the reconciles of `t`. */
function daemonWith(watch: Runtime['watchedTargets'], leadership: Leadership = new SoloLeadership()) {
  const reconciles: string[] = [];
  const runtime: Runtime = {
    targets: [{ name: 't', mode: 'apply', sources: [] }],
    sources: [],
    ...(watch === undefined ? {} : { watchedTargets: watch }),
    reconcile: (req) => {
      reconciles.push(req.target);
      return Promise.resolve(OK);
    },
    githubTargets: [],
    settings: { listen: { host: '127.0.0.1', port: 0 }, fullPassMs: 3_600_000, minIntervalMs: 0, concurrency: 1 },
    close: () => Promise.resolve(),
  };
  const daemon = new Daemon({
    load: () => Promise.resolve(runtime),
    leadership,
    pingStore: () => Promise.resolve(),
    metrics: new ServeMetrics(),
    logger: pino({ level: 'silent' }),
  });
  return { daemon, reconciles };
}

describe('daemon: target watches', () => {
  it("a target watch's notification reconciles the target, with no timer", async () => {
    let notify: ((reason: string) => void) | undefined;
    const { daemon, reconciles } = daemonWith([
      {
        name: 't',
        watch: (signal, n) => {
          notify = n;
          return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        },
      },
    ]);
    const stop = new AbortController();
    const running = daemon.start(stop.signal);
    try {
      await until(() => reconciles.length === 1 && notify !== undefined, 'the first pass and the watch');
      await sleep(50);
      assert.equal(reconciles.length, 1, 'nothing else enqueues it (full pass: 1 h)');
      notify?.('nft-set-changed');
      await until(() => reconciles.length === 2, 'the reconcile the watch asked for');
    } finally {
      stop.abort();
      await running;
    }
  });

  it('a target watch that stops is restarted, and its restart reconciles the target', async () => {
    let calls = 0;
    const { daemon, reconciles } = daemonWith([
      {
        name: 't',
        watch: (signal) => {
          calls++;
          if (calls === 1) return Promise.reject(new Error('monitor died'));
          return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        },
      },
    ]);
    const stop = new AbortController();
    const running = daemon.start(stop.signal);
    try {
      await until(() => calls === 2, 'the restarted watch');
      await until(() => reconciles.length === 2, 'the pass after the restart');
    } finally {
      stop.abort();
      await running;
    }
  });

  it('target watches run only while this process leads: a follower starts none, a lost lead stops them', async () => {
    const leadership = new SwitchedLeadership();
    const running: AbortSignal[] = [];
    const { daemon } = daemonWith(
      [
        {
          name: 't',
          watch: (signal) => {
            running.push(signal);
            return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
          },
        },
      ],
      leadership,
    );
    const stop = new AbortController();
    const started = daemon.start(stop.signal);
    try {
      await sleep(100);
      assert.equal(running.length, 0, 'a follower runs no target watch');
      leadership.set(true);
      await until(() => running.length === 1, 'the watch of the new leader');
      leadership.set(false);
      await until(() => running[0]?.aborted === true, 'the watch stopped with the lead');
      leadership.set(true);
      await until(() => running.length === 2 && running[1]?.aborted === false, 'the watch of the leader again');
    } finally {
      stop.abort();
      await started;
    }
  });
});
