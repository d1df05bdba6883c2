import assert from 'node:assert/strict';
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
    for (const e of c?.env ?? []) assert.ok(e.valueFrom?.secretKeyRef, `${e.name} comes from a Secret`);
    assert.deepEqual(c?.args, ['serve', '--config', '/etc/gatehouse/gatehouse.yaml']);
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
