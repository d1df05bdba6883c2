import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { ServeMetrics } from '../serve/metrics.ts';
import { buildApp, type Readiness } from './app.ts';

const SECRET = 'webhook-secret-0123456789';

function sign(body: string, secret = SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function setup(ready: Readiness = { ready: true, checks: { store: { ok: true } } }) {
  const metrics = new ServeMetrics();
  const events: { name: string; org?: string }[] = [];
  const app = buildApp({
    metrics,
    readiness: () => Promise.resolve(ready),
    exposeMetrics: true,
    githubWebhook: { secret: SECRET, maxBodyBytes: 4096, onEvent: (e) => events.push(e) },
  });
  const post = (body: string, headers: Record<string, string>) =>
    app.request('/webhooks/github', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
  return { app, metrics, events, post };
}

async function rejected(metrics: ServeMetrics, reason: string): Promise<number> {
  const m = await metrics.webhookRejected.get();
  return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

describe('daemon HTTP app', () => {
  it('healthz answers while the process lives; readyz reflects the checks', async () => {
    const { app } = setup({ ready: false, checks: { store: { ok: false, detail: 'store unreachable' } } });
    assert.equal((await app.request('/healthz')).status, 200);
    const r = await app.request('/readyz');
    assert.equal(r.status, 503);
    assert.deepEqual(await r.json(), { ready: false, checks: { store: { ok: false, detail: 'store unreachable' } } });
    assert.equal((await setup().app.request('/readyz')).status, 200);
  });

  it('serves the metrics in the Prometheus text format', async () => {
    const { app, metrics } = setup();
    metrics.queueDepth.set(3);
    const r = await app.request('/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /text\/plain/);
    assert.match(await r.text(), /^gatehouse_queue_depth 3$/m);
  });

  it('queues a correctly signed organisation event', async () => {
    const { post, events } = setup();
    const body = JSON.stringify({ action: 'member_added', organization: { login: 'acme' } });
    const r = await post(body, {
      'x-hub-signature-256': sign(body),
      'x-github-event': 'organization',
      'x-github-delivery': 'd-1',
    });
    assert.equal(r.status, 202);
    assert.deepEqual(events, [{ name: 'organization', deliveryId: 'd-1', org: 'acme' }]);
  });

  it('refuses a forged, missing or stale-secret signature with 401, queues nothing and counts it', async () => {
    const { post, events, metrics } = setup();
    const body = JSON.stringify({ action: 'member_added', organization: { login: 'acme' } });
    const attempts: Record<string, string>[] = [
      {},
      { 'x-hub-signature-256': sign(body, 'another-secret-value') },
      { 'x-hub-signature-256': sign(`${body} `) },
      { 'x-hub-signature-256': 'sha256=zz' },
      { 'x-hub-signature': `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}` },
    ];
    for (const headers of attempts) {
      const r = await post(body, { 'x-github-event': 'organization', ...headers });
      assert.equal(r.status, 401, JSON.stringify(headers));
    }
    assert.deepEqual(events, []);
    assert.equal(await rejected(metrics, 'signature'), 5);
  });

  it('refuses an oversized body before verifying, and ignores events that cannot mean drift', async () => {
    const { post, events, metrics } = setup();
    const big = JSON.stringify({ pad: 'x'.repeat(5000) });
    const r = await post(big, { 'x-hub-signature-256': sign(big), 'x-github-event': 'organization' });
    assert.equal(r.status, 413);
    const push = JSON.stringify({ ref: 'main' });
    const r2 = await post(push, { 'x-hub-signature-256': sign(push), 'x-github-event': 'push' });
    assert.equal(r2.status, 202);
    assert.deepEqual(events, []);
    assert.equal(await rejected(metrics, 'size'), 1);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const r = await setup().app.request('/nope');
    assert.equal(r.status, 404);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
  });
});
