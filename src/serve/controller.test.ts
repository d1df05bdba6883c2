import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { Leadership } from '../store/leader.ts';
import { Controller, type ReconcileReport, type ReconcileRequest } from './controller.ts';
import { ServeMetrics } from './metrics.ts';
import { until } from '../testing/until.ts';

const OK: ReconcileReport = { outcome: 'ok', applied: 1, failed: 0, skipped: 0, blocked: 0, pending: 0, sources: [] };

class SwitchableLeadership implements Leadership {
  leading: boolean;
  #listeners: ((l: boolean) => void)[] = [];
  constructor(leading: boolean) {
    this.leading = leading;
  }
  assertLeading(): Promise<void> {
    return this.leading ? Promise.resolve() : Promise.reject(new Error('not leading'));
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  onChange(l: (leading: boolean) => void): void {
    this.#listeners.push(l);
  }
  set(leading: boolean): void {
    this.leading = leading;
    for (const l of this.#listeners) l(leading);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function harness(
  reconcile: (req: ReconcileRequest) => Promise<ReconcileReport>,
  opts: { leading?: boolean; fullPassMs?: number; backoffBaseMs?: number } = {},
) {
  const metrics = new ServeMetrics();
  const leadership = new SwitchableLeadership(opts.leading ?? true);
  const calls: ReconcileRequest[] = [];
  const controller = new Controller({
    targets: [
      { name: 'ldap', mode: 'apply', sources: ['discord'] },
      { name: 'gh', mode: 'plan-only', sources: ['discord', 'static'] },
      { name: 'fw', mode: 'apply', sources: ['linode'] },
    ],
    reconcile: (req) => {
      calls.push(req);
      return reconcile(req);
    },
    leadership,
    metrics,
    logger: pino({ level: 'silent' }),
    fullPassMs: opts.fullPassMs ?? 3_600_000,
    backoffBaseMs: opts.backoffBaseMs ?? 50,
    backoffCapMs: 200,
  });
  const ac = new AbortController();
  const running = controller.start(ac.signal);
  return { controller, metrics, leadership, calls, stop: () => (ac.abort(), running) };
}

describe('Controller', () => {
  it('routes a source event to the targets that draw on it, with their modes', async () => {
    const h = harness(() => Promise.resolve(OK));
    h.controller.enqueueForSource('discord', 'discord');
    await until(() => h.calls.length === 2, 'two reconciles');
    await sleep(30);
    assert.deepEqual(h.calls.map((c) => [c.target, c.apply]).sort(), [
      ['gh', false],
      ['ldap', true],
    ]);
    await h.stop();
  });

  it('turns a storm of 1,000 events into a handful of reconciles', async () => {
    const h = harness(async () => {
      await sleep(100);
      return OK;
    });
    const t0 = Date.now();
    for (let i = 0; i < 1_000; i++) {
      h.controller.enqueueForSource('linode', 'poll');
      if (i % 100 === 0) await sleep(90);
    }
    assert.ok(Date.now() - t0 < 2_000);
    await sleep(400);
    const n = h.calls.filter((c) => c.target === 'fw').length;
    assert.ok(n >= 2 && n <= 12, `reconciles: ${n}`);
    await h.stop();
  });

  it('never runs two reconciles of one target at once', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const h = harness(async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(20);
      inFlight--;
      return OK;
    });
    for (let i = 0; i < 50; i++) {
      h.controller.enqueue('fw', 'poll');
      await sleep(3);
    }
    await sleep(100);
    assert.equal(maxInFlight, 1);
    await h.stop();
  });

  it('retries a failed target with backoff and records the failure', async () => {
    let n = 0;
    const h = harness(() =>
      Promise.resolve(
        ++n < 3 ? { ...OK, outcome: 'error' as const, error: { code: 'SOURCE_INCOMPLETE', message: 'down' } } : OK,
      ),
    );
    h.controller.enqueue('fw', 'poll');
    await until(() => n >= 3, 'three attempts');
    await sleep(20);
    assert.equal(h.controller.status('fw').lastOutcome, 'ok');
    const m = await h.metrics.reconciles.get();
    assert.equal(m.values.find((v) => v.labels.target === 'fw' && v.labels.outcome === 'error')?.value, 2);
    await h.stop();
  });

  it('a standby does not reconcile; on gaining leadership every target is reconciled', async () => {
    const h = harness(() => Promise.resolve(OK), { leading: false });
    h.controller.enqueueAll('periodic');
    await sleep(50);
    assert.equal(h.calls.length, 0);
    h.leadership.set(true);
    await until(() => h.calls.length === 3, 'a pass after gaining leadership');
    assert.equal((await h.metrics.leader.get()).values[0]?.value, 1);
    await h.stop();
  });

  it('runs periodic full passes', async () => {
    const h = harness(() => Promise.resolve(OK), { fullPassMs: 60 });
    await until(() => h.calls.filter((c) => c.target === 'ldap').length >= 2, 'two periodic passes');
    await h.stop();
  });

  it('stop waits for the reconcile in flight', async () => {
    let finished = false;
    const h = harness(async () => {
      await sleep(100);
      finished = true;
      return OK;
    });
    h.controller.enqueue('fw', 'poll');
    await until(() => h.calls.length === 1, 'started');
    await h.stop();
    assert.equal(finished, true);
  });
});
