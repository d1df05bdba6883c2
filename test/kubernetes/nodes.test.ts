import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatPrefix } from '../../src/core/address.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';
import { fakeKubeConfigYaml, startKubeFake, type KubeFake } from '../fakes/kubernetes/index.ts';
import { kubernetesNodesSource } from '../../src/sources/kubernetes-nodes/index.ts';

describe('kubernetes-nodes source against the fake API server', () => {
  let fake: KubeFake;
  let dir: string;
  before(async () => {
    fake = await startKubeFake();
    dir = await mkdtemp(join(tmpdir(), 'k8s-nodes-'));
    await writeFile(join(dir, 'kubeconfig'), fakeKubeConfigYaml(fake, { token: fake.adminToken }));
    const node = (name: string, pool: string, addresses: [string, string][]) =>
      fake.put({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name, labels: { pool } },
        status: { addresses: addresses.map(([type, address]) => ({ type, address })) },
      });
    node('n1', 'web', [
      ['InternalIP', '10.0.0.1'],
      ['ExternalIP', '203.0.113.10'],
      ['ExternalIP', '2001:db8::10'],
      ['Hostname', 'n1'],
    ]);
    node('n2', 'web', [
      ['InternalIP', '10.0.0.2'],
      ['ExternalIP', '203.0.113.11'],
    ]);
    node('n3', 'db', [['ExternalIP', '198.51.100.7']]);
  });
  after(async () => {
    fake?.assertNoViolations();
    await fake?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const read = (config: Record<string, unknown>) =>
    kubernetesNodesSource
      .create(
        'cluster',
        kubernetesNodesSource.schema.parse({
          type: 'kubernetes-nodes',
          connection: { kubeconfig: 'kubeconfig' },
          ...config,
        }),
        testDeps({ baseDir: dir }),
      )
      .read(AbortSignal.timeout(10_000));

  it('node addresses of the configured types as one address set, in one paginated list', async () => {
    fake.resetCounts();
    const r = await read({ pageSize: 2 });
    assert.equal(r.complete, true);
    assert.deepEqual(r.facts.addressSets?.[0]?.prefixes.map(formatPrefix), [
      '198.51.100.7',
      '203.0.113.10/31',
      '2001:db8::10',
    ]);
    assert.equal(fake.counts.list, 2, 'three nodes at two per page');
  });

  it('internal addresses and a label selector', async () => {
    const r = await read({ addressTypes: ['InternalIP'], labelSelector: 'pool=web' });
    assert.deepEqual(r.facts.addressSets?.[0]?.prefixes.map(formatPrefix), ['10.0.0.1', '10.0.0.2']);
  });

  it('an unreachable or refusing API server makes the read incomplete, without the token', async () => {
    const r = await kubernetesNodesSource
      .create(
        'cluster',
        kubernetesNodesSource.schema.parse({
          type: 'kubernetes-nodes',
          connection: { server: fake.url, token: 'wrong-token-value-123456' },
        }),
        testDeps(),
      )
      .read(AbortSignal.timeout(10_000));
    assert.equal(r.complete, false);
    assert.ok(!r.notes.join(' ').includes('wrong-token-value-123456'));
    assert.match(r.notes.join(' '), /reading nodes failed/);
  });
});
