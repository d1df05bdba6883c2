import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { ServeMetrics } from '../../src/serve/metrics.ts';
import { kindByName, validateObject, type KindInfo } from '../fakes/kubernetes/index.ts';

describe('Grafana dashboard', () => {
  it('queries only metrics the daemon exports, and shows every one of them', async () => {
    const dash = JSON.parse(readFileSync('deploy/grafana/gatehouse-dashboard.json', 'utf8')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const exported = new Set((await new ServeMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const used = new Set<string>();
    for (const p of dash.panels)
      for (const t of p.targets)
        for (const m of t.expr.matchAll(/\b(gatehouse_[a-z_]+?)(?:_bucket|_sum|_count)?\{/g)) used.add(m[1] as string);
    for (const name of used) assert.ok(exported.has(name), `dashboard queries ${name}, which is not exported`);
    for (const name of exported) assert.ok(used.has(name), `${name} is exported but not on the dashboard`);
  });
});

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  const extra: Record<string, KindInfo> = {
    Service: info('', 'v1', 'Service', Service, 'V1Service'),
    PodDisruptionBudget: info('policy', 'v1', 'PodDisruptionBudget', PodDisruptionBudget, 'V1PodDisruptionBudget'),
  };
  const docs = parseAllDocuments(readFileSync('deploy/kubernetes/gatehouse.yaml', 'utf8')).map(
    (d) => d.toJS() as { kind: string; spec?: Record<string, unknown> } & Record<string, unknown>,
  );

  it('every object is valid against the Kubernetes schemas, with no unknown field', () => {
    assert.deepEqual(docs.map((d) => d.kind).sort(), ['Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Service']);
    for (const d of docs) {
      const kind = extra[d.kind] ?? kindByName(d.kind);
      assert.deepEqual(validateObject(kind, d), [], d.kind);
    }
  });

  it('runs two non-root replicas on a read-only root filesystem, probed on /healthz and /readyz, tokens from a Secret', () => {
    const dep = new Deployment(docs.find((d) => d.kind === 'Deployment') as never);
    const pod = dep.spec?.template.spec;
    const c = pod?.containers[0];
    assert.equal(dep.spec?.replicas, 2);
    assert.equal(pod?.securityContext?.runAsNonRoot, true);
    assert.equal(c?.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(c?.securityContext?.allowPrivilegeEscalation, false);
    assert.equal(c?.livenessProbe?.httpGet?.path, '/healthz');
    assert.equal(c?.readinessProbe?.httpGet?.path, '/readyz');
    for (const e of c?.env ?? [])
      if (e.name !== 'NODE_OPTIONS') assert.ok(e.valueFrom?.secretKeyRef, `${e.name} comes from a Secret`);
    assert.deepEqual(c?.args, ['serve', '--config', '/etc/gatehouse/gatehouse.yaml']);
  });
});

describe('Node settings of the deployed process (deploy/)', () => {
  const units = ['deploy/systemd/gatehouse-serve.service', 'deploy/systemd/gatehouse-nftables.service'];
  const unitOptions = units.map((u) => /^Environment=NODE_OPTIONS=(.*)$/m.exec(readFileSync(u, 'utf8'))?.[1]);

  it('every systemd unit and the Kubernetes Deployment run gatehouse with the same NODE_OPTIONS', () => {
    const dep = parseAllDocuments(readFileSync('deploy/kubernetes/gatehouse.yaml', 'utf8'))
      .map(
        (d) =>
          d.toJS() as {
            kind: string;
            spec?: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
          },
      )
      .find((d) => d.kind === 'Deployment');
    const podOptions = dep?.spec?.template.spec.containers[0]?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
    assert.deepEqual([...unitOptions, podOptions], Array(units.length + 1).fill('--max-semi-space-size=16'));
  });

  it('Node accepts them, and they cap the young generation of a process whose allocations survive', () => {
    // 1.5M surviving objects grow an uncapped young generation to its maximum (128 MB on a large host); capped at
    // 16 MB semi-spaces it stays within two of them and the space for large objects.
    const script =
      "const v8 = require('node:v8'); const keep = []; for (let i = 0; i < 1.5e6; i++) keep.push({ a: 'x' + i, b: [i] });" +
      "const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');" +
      'process.stdout.write(String(s.space_size) + " " + keep.length);';
    const r = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, NODE_OPTIONS: unitOptions[0] },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const [size, kept] = r.stdout.split(' ').map(Number);
    assert.equal(kept, 1.5e6);
    assert.ok((size as number) <= 48 * 1024 * 1024, `new space ${size} bytes`);
  });
});

function info(group: string, version: string, kind: string, model: unknown, clientType: string): KindInfo {
  return {
    group,
    version,
    kind,
    plural: '',
    namespaced: true,
    model: model as KindInfo['model'],
    clientType,
    verbs: [],
  };
}
