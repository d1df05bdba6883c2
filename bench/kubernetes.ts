/**
 * kubernetes-tenants benchmark: what a reconcile run costs in API requests. Run on demand:
 * `node_modules/.bin/node bench/kubernetes.ts` (N can be overridden: `N=500 node_modules/.bin/node …`).
 *
 * The fake API server (test/fakes/kubernetes: every object received or returned validated against the Kubernetes
 * schemas) and N accounts in one group, driven through the core pipeline (buildPlan / applyPlan):
 *
 *  (a) initial rollout: requests, writes and time at the configured QPS (and what the default 20 QPS would take);
 *  (b) a no-op run — goal: ≤ 10 requests, 0 writes;
 *  (c) 10 quotas edited by hand — goal: exactly 10 writes;
 *
 * next to the per-tenant-listing baseline (one list per tenant per run, as a maintainer daemon that lists a ConfigMap
 * per namespace does) counted against the same fake in the same run. Credentials are off (a CSR per account is
 * measured by the end-to-end test, not here).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan } from '../src/core/apply.ts';
import type { Source } from '../src/core/contracts.ts';
import type { Person } from '../src/core/model.ts';
import { buildPlan } from '../src/core/pipeline.ts';
import { MemoryTargetState } from '../src/core/target-state.ts';
import { MemoryStore } from '../src/core/testing/memory-store.ts';
import { KubeClient, RateLimiter, loadKubeConfig } from '../src/adapters/kubernetes/client.ts';
import { kubernetesTenantsSchema, kubernetesTenantsTarget } from '../src/targets/kubernetes-tenants/index.ts';
import { mapLimit } from '../src/core/map-limit.ts';
import { testDeps } from '../src/testing/plugin-deps.ts';
import { fakeKubeConfigYaml, startKubeFake } from '../test/fakes/kubernetes/index.ts';

const N = Number(process.env.N ?? 4000);
const QPS = Number(process.env.QPS ?? 1000);
const CONCURRENCY = 16;

const people: Person[] = Array.from({ length: N }, (_, i) => ({
  id: `ldap:t${i}`,
  accounts: { ldap: `t${i}` },
  attributes: { uidNumber: String(50_000 + i), gidNumber: String(50_000 + i), homeDirectory: `/home/t${i}` },
}));
const source: Source = {
  name: 'directory',
  type: 'bench',
  read: () =>
    Promise.resolve({
      complete: true,
      facts: { people, groups: [{ name: 'tools', members: people.map((p) => p.id) }] },
      notes: [],
    }),
};

const fake = await startKubeFake();
const dir = await mkdtemp(join(tmpdir(), 'bench-k8s-'));
try {
  await writeFile(join(dir, 'kubeconfig'), fakeKubeConfigYaml(fake, { token: fake.adminToken }));
  const config = kubernetesTenantsSchema.parse({
    type: 'kubernetes-tenants',
    connection: { kubeconfig: 'kubeconfig' },
    group: 'directory/tools',
    apply: { qps: QPS, burst: 100, concurrency: CONCURRENCY, pageSize: 5000 },
  });
  const state = new MemoryTargetState();
  const store = new MemoryStore();
  const target = kubernetesTenantsTarget.create('bench', config, testDeps({ baseDir: dir, state }));

  const run = async (label: string) => {
    fake.resetCounts();
    const started = performance.now();
    const signal = AbortSignal.timeout(3_600_000);
    const { plan, observed } = await buildPlan({
      configDigest: 'c',
      sources: [source],
      targets: [target],
      snapshots: store,
      signal,
    });
    const reports = await applyPlan({
      plan,
      configDigest: 'c',
      targets: [target],
      audit: store,
      actor: 'bench',
      signal,
      observed,
    });
    const ms = performance.now() - started;
    const failed = (reports[0]?.results ?? []).filter((r) => r.status !== 'applied');
    if (failed.length > 0) throw new Error(`${label}: ${failed.length} change(s) not applied: ${failed[0]?.message}`);
    return {
      label,
      changes: plan.targets[0]!.changes.length,
      requests: fake.requests,
      writes: fake.writes,
      lists: fake.counts.list,
      ms,
    };
  };

  const rows = [];
  rows.push(await run('(a) initial rollout'));
  rows.push(await run('(b) no-op run'));
  for (let i = 0; i < 10; i++) {
    fake.edit('ResourceQuota', `tool-t${Math.floor((i * N) / 10)}`, 'gatehouse-tenant', (o) => {
      (o.spec as { hard: Record<string, string> }).hard['limits.cpu'] = '99';
    });
  }
  rows.push(await run('(c) 10 drifted quotas'));

  // Baseline: one list per tenant per run, through the same transport, QPS limit and fake.
  fake.resetCounts();
  const client = new KubeClient(loadKubeConfig(config.connection, dir), new RateLimiter(QPS, 100), CONCURRENCY);
  const started = performance.now();
  await mapLimit(people, CONCURRENCY, AbortSignal.timeout(3_600_000), (p, signal) =>
    client.send({ method: 'GET', path: `/api/v1/namespaces/tool-${p.accounts.ldap}/configmaps` }, signal),
  );
  const baseline = {
    label: 'baseline: a list per tenant',
    changes: 0,
    requests: fake.requests,
    writes: fake.writes,
    lists: fake.counts.list,
    ms: performance.now() - started,
  };
  client.close();
  target.close();
  fake.assertNoViolations();

  const pad = (s: string | number, n: number) => String(s).padStart(n);
  process.stdout.write(`kubernetes-tenants, ${N} accounts, QPS ${QPS}, concurrency ${CONCURRENCY}\n`);
  process.stdout.write(
    `${'run'.padEnd(30)}${pad('changes', 9)}${pad('requests', 10)}${pad('writes', 8)}${pad('lists', 7)}${pad('time', 10)}${pad('at 20 QPS', 11)}\n`,
  );
  for (const r of [...rows, baseline]) {
    process.stdout.write(
      `${r.label.padEnd(30)}${pad(r.changes, 9)}${pad(r.requests, 10)}${pad(r.writes, 8)}${pad(r.lists, 7)}${pad(`${(r.ms / 1000).toFixed(1)} s`, 10)}${pad(`${Math.ceil(r.requests / 20)} s`, 11)}\n`,
    );
  }
  const noop = rows[1]!;
  process.stdout.write(
    `no-op run: ${noop.requests} requests vs ${baseline.requests} for the per-tenant listing (${(baseline.requests / noop.requests).toFixed(0)}× fewer); goal ≤ 10 requests, 0 writes: ${noop.requests <= 10 && noop.writes === 0 ? 'met' : 'NOT met'}\n`,
  );
  process.stdout.write(
    `10 drifted quotas: ${rows[2]!.writes} writes (goal exactly 10: ${rows[2]!.writes === 10 ? 'met' : 'NOT met'})\n`,
  );
} finally {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
}
