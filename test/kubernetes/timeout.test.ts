import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isGatehouseError } from '../../src/core/errors.ts';
import { kubernetesNodesSource } from '../../src/sources/kubernetes-nodes/index.ts';
import { createKubernetesTenantsTarget, kubernetesTenantsSchema } from '../../src/targets/kubernetes-tenants/index.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';
import { startStuckServer, type StuckServer } from '../fakes/silent-server.ts';

const TOKEN = 'k8s-TOPSECRET-token-0123456789';
let silent: StuckServer;
before(async () => {
  silent = await startStuckServer('silent');
});
after(() => silent.close());

// A server that accepts the connection and never answers, not even the TLS handshake: what bounds a request must be
// run.requestTimeout (500 ms here), not the run's own deadline.
const connection = () => ({ server: `https://127.0.0.1:${silent.port}`, token: TOKEN });

function assertTimeout(e: unknown, took: number): void {
  assert.ok(isGatehouseError(e), `expected GatehouseError, got ${String(e)}`);
  assert.equal(e.code, 'TIMEOUT', e.message);
  assert.ok(took < 10_000, `took ${took} ms`);
  assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${silent.port}`));
  assert.doesNotMatch(JSON.stringify({ m: e.message, d: e.details, s: e.stack }), /TOPSECRET/);
}

describe('Kubernetes requests are bounded by run.requestTimeout', () => {
  it('kubernetes-tenants: observe fails with TIMEOUT against an API server that never answers', async () => {
    const config = kubernetesTenantsSchema.parse({
      type: 'kubernetes-tenants',
      connection: connection(),
      group: 'directory/tools',
      quota: { pods: '20' },
    });
    const target = createKubernetesTenantsTarget('k8s', config, testDeps({ requestTimeoutMs: 500 }));
    const t0 = performance.now();
    const e = await target.observe(AbortSignal.timeout(60_000)).then(
      () => assert.fail('expected observe to fail'),
      (err: unknown) => err,
    );
    assertTimeout(e, performance.now() - t0);
  });

  it('kubernetes-nodes: the read is incomplete, and says it timed out', async () => {
    const source = kubernetesNodesSource.create(
      'cluster',
      kubernetesNodesSource.schema.parse({ type: 'kubernetes-nodes', connection: connection() }),
      testDeps({ requestTimeoutMs: 500 }),
    );
    const t0 = performance.now();
    const r = await source.read(AbortSignal.timeout(60_000));
    const took = performance.now() - t0;
    assert.equal(r.complete, false);
    assert.ok(took < 10_000, `took ${took} ms`);
    assert.match(r.notes.join(' '), /no answer within 500 ms/);
    assert.doesNotMatch(r.notes.join(' '), /TOPSECRET/);
  });
});
