import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryTargetState } from '../../src/core/target-state.ts';
import { MemoryStore } from '../../src/core/testing/memory-store.ts';
import { applyPlan } from '../../src/core/apply.ts';
import { buildPlan } from '../../src/core/pipeline.ts';
import { fakeKubeConfigYaml, startKubeFake, type KubeFake } from '../fakes/kubernetes/index.ts';
import { AccountsSource, makeTarget, run } from './helpers.ts';

type Json = Record<string, unknown>;
const hard = (o: Json | undefined) => (o?.spec as { hard: Record<string, string> }).hard;

/** The target against the validated fake API server, through the core pipeline (plan, guards, apply). */
describe('kubernetes-tenants against the fake API server', () => {
  let fake: KubeFake;
  let dir: string;
  const source = new AccountsSource();
  const state = new MemoryTargetState();
  const store = new MemoryStore();

  before(async () => {
    fake = await startKubeFake();
    dir = await mkdtemp(join(tmpdir(), 'k8s-tenants-'));
    await writeFile(join(dir, 'kubeconfig.json'), fakeKubeConfigYaml(fake, { token: fake.adminToken }));
    source.accounts = [{ uid: 'alice' }, { uid: 'bob' }, { uid: 'carol' }];
  });
  after(async () => {
    fake?.assertNoViolations();
    await fake?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('first run: policy, binding and every tenant object created; observe is one list per kind', async () => {
    const t = makeTarget(fake, dir, state);
    const { tp, results } = await run(source, t, store);
    assert.equal(tp.error, undefined);
    assert.deepEqual(
      tp.changes.map((c) => c.id),
      ['policy', 'tenant:alice', 'tenant:bob', 'tenant:carol'],
    );
    assert.ok(
      results.every((r) => r.status === 'applied'),
      JSON.stringify(results),
    );
    assert.equal(fake.counts.list, 8, 'namespaces + 7 labelled kinds');
    assert.equal(fake.counts.get, 0, 'never a read per tenant');
    assert.equal(fake.counts.apply, 2 + 3 * 6);
    for (const kind of ['Namespace', 'RoleBinding', 'ResourceQuota', 'LimitRange', 'NetworkPolicy', 'ConfigMap']) {
      assert.equal(fake.all(kind).length, 3, kind);
    }
    const rb = fake.get('RoleBinding', 'tool-bob', 'gatehouse-tenant');
    assert.deepEqual(rb?.subjects, [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bob' }]);
    assert.deepEqual(fake.get('ConfigMap', 'tool-alice', 'gatehouse-pod-security')?.data, {
      allowedVolumes: 'configMap,downwardAPI,emptyDir,persistentVolumeClaim,projected,secret',
      fsGroup: '10000',
      runAsGroup: '10000',
      runAsUser: '10000',
    });
    assert.equal(fake.all('ValidatingAdmissionPolicy').length, 1, 'one policy for every tenant');
    t.close();
    fake.assertNoViolations();
  });

  it('no-op run: 8 list requests, no write', async () => {
    fake.resetCounts();
    const t = makeTarget(fake, dir, state);
    const { tp } = await run(source, t, store);
    assert.deepEqual(tp.changes, []);
    assert.equal(fake.requests, 8);
    assert.equal(fake.writes, 0);
    t.close();
  });

  it('a quota edited by hand is restored, with one write', async () => {
    fake.edit('ResourceQuota', 'tool-bob', 'gatehouse-tenant', (o) => (hard(o)['limits.cpu'] = '64'));
    fake.resetCounts();
    const t = makeTarget(fake, dir, state);
    const { tp, results } = await run(source, t, store);
    assert.deepEqual(
      tp.changes.map((c) => c.id),
      ['tenant:bob'],
    );
    assert.deepEqual(tp.changes[0]?.add, ['ResourceQuota/gatehouse-tenant']);
    assert.equal(results[0]?.status, 'applied', results[0]?.message);
    assert.equal(hard(fake.get('ResourceQuota', 'tool-bob', 'gatehouse-tenant'))['limits.cpu'], '2');
    assert.equal(fake.writes, 1);
    t.close();
    fake.assertNoViolations();
  });

  it('a field held by another applier is a conflict, reported and not overwritten; force takes it over', async () => {
    // Another controller declares the limits with server-side apply (forcing them away from gatehouse): an Apply
    // manager, not a hand edit.
    fake.applyAs(
      'platform-operator',
      {
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: { name: 'gatehouse-tenant', namespace: 'tool-carol' },
        spec: { limits: [{ type: 'Container', default: { cpu: '8' } }] },
      },
      true,
    );
    const t2 = makeTarget(fake, dir, state);
    const { tp, results } = await run(source, t2, store);
    assert.deepEqual(
      tp.changes.map((c) => c.id),
      ['tenant:carol'],
    );
    assert.equal(results[0]?.status, 'failed');
    assert.match(
      results[0]?.message ?? '',
      /LimitRange tool-carol\/gatehouse-tenant: conflict on \.spec\.limits \(conflict with "platform-operator"\); not overwritten/,
    );
    const limits = () => (fake.get('LimitRange', 'tool-carol', 'gatehouse-tenant')?.spec as { limits: Json[] }).limits;
    assert.deepEqual(limits()[0]?.default, { cpu: '8' });
    t2.close();
    const forced = makeTarget(fake, dir, state, { apply: { force: true, qps: 1000, burst: 1000 } });
    const again = await run(source, forced, store);
    assert.equal(again.results[0]?.status, 'applied', again.results[0]?.message);
    assert.deepEqual(limits()[0]?.default, { cpu: '500m', memory: '512Mi' });
    forced.close();
    fake.assertNoViolations();
  });

  it("an unlabelled namespace with a tenant's name is never touched", async () => {
    fake.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tool-dave', labels: { owner: 'someone' } } });
    source.accounts = [...source.accounts, { uid: 'dave' }];
    fake.resetCounts();
    const t = makeTarget(fake, dir, state);
    const { tp, results } = await run(source, t, store);
    assert.deepEqual(tp.blocked, ['tenant:dave']);
    assert.equal(tp.verdicts.find((v) => v.guard === 'managed-label')?.changeIds[0], 'tenant:dave');
    assert.deepEqual(results, []);
    assert.equal(fake.writes, 0);
    assert.deepEqual((fake.get('Namespace', undefined, 'tool-dave')?.metadata as Json).labels, {
      owner: 'someone',
      'kubernetes.io/metadata.name': 'tool-dave',
    });
    assert.ok(tp.notes?.some((n) => /tool-dave exists without gatehouse's labels/.test(n)));
    t.close();
    source.accounts = source.accounts.filter((a) => a.uid !== 'dave');
  });

  it('an account whose namespace name is not a DNS-1123 label is reported, not mangled', async () => {
    source.accounts = [...source.accounts, { uid: 'Eve_X' }];
    const t = makeTarget(fake, dir, state);
    const { tp } = await run(source, t, store);
    assert.deepEqual(tp.changes, []);
    assert.ok(
      tp.notes?.includes('Eve_X: namespace name "tool-Eve_X" is not a DNS-1123 label; no tenant'),
      String(tp.notes),
    );
    t.close();
    source.accounts = source.accounts.filter((a) => a.uid !== 'Eve_X');
  });

  it('disabling more tenants than allowed in one run is refused; a truncated read disables nobody', async () => {
    const all = source.accounts;
    source.accounts = [];
    const t = makeTarget(fake, dir, state, { guards: { maxRoleBindingRemovals: 2 } });
    const { tp, results } = await run(source, t, store);
    assert.deepEqual(
      tp.changes.map((c) => c.id),
      ['disable:alice', 'disable:bob', 'disable:carol'],
    );
    assert.deepEqual(tp.blocked, ['disable:alice', 'disable:bob', 'disable:carol']);
    assert.match(
      tp.verdicts.find((v) => v.guard === 'max-rolebinding-removals')?.message ?? '',
      /3 tenants disabled of 3/,
    );
    assert.deepEqual(results, []);
    source.complete = false;
    const truncated = await run(source, t, store);
    assert.ok(truncated.tp.verdicts.some((v) => v.guard === 'source-completeness'));
    assert.deepEqual(truncated.results, []);
    assert.equal(fake.all('RoleBinding').length, 3);
    source.complete = true;
    source.accounts = all;
    t.close();
  });

  it('a namespace that is not Active when written gets none of its contents', async () => {
    // The namespace drifts (labelled disabled by hand), so the plan rewrites it; before apply it starts terminating.
    fake.edit('Namespace', undefined, 'tool-alice', (o) => {
      ((o.metadata as Json).labels as Record<string, string>)['gatehouse.dev/disabled'] = 'true';
    });
    fake.edit('ResourceQuota', 'tool-alice', 'gatehouse-tenant', (o) => (hard(o).pods = '1'));
    const t = makeTarget(fake, dir, state);
    const signal = AbortSignal.timeout(30_000);
    const { plan, observed } = await buildPlan({
      configDigest: 'c',
      sources: [source],
      targets: [t],
      snapshots: store,
      signal,
    });
    assert.deepEqual(
      plan.targets[0]?.changes.map((c) => c.id),
      ['tenant:alice'],
    );
    fake.delete('Namespace', undefined, 'tool-alice');
    const [report] = await applyPlan({
      plan,
      configDigest: 'c',
      targets: [t],
      audit: store,
      actor: 'test',
      signal,
      observed,
    });
    assert.equal(report?.results[0]?.status, 'failed');
    assert.match(
      report?.results[0]?.message ?? '',
      /namespace tool-alice is Terminating; its contents are not applied/,
    );
    assert.equal(hard(fake.get('ResourceQuota', 'tool-alice', 'gatehouse-tenant')).pods, '1', 'quota not written');
    t.close();
  });

  it('a disabled tenant can have its workloads scaled to zero', async () => {
    fake.put({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'tool-bob' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
      },
    });
    source.accounts = source.accounts.filter((a) => a.uid !== 'bob');
    const t = makeTarget(fake, dir, state, { disabled: { scaleToZero: true } });
    const { results } = await run(source, t, store);
    assert.equal(
      results.find((r) => r.id === 'disable:bob')?.message,
      'RoleBinding removed, namespace tool-bob labelled disabled, 1 workload(s) scaled to zero',
    );
    assert.equal((fake.get('Deployment', 'tool-bob', 'web')?.spec as Json).replicas, 0);
    assert.equal(fake.get('RoleBinding', 'tool-bob', 'gatehouse-tenant'), undefined);
    t.close();
  });

  it('a changed ClusterRole: the binding is recreated (roleRef cannot change in place)', async () => {
    const t = makeTarget(fake, dir, state, { clusterRole: 'view' });
    const { tp, results } = await run(source, t, store);
    assert.deepEqual(
      tp.changes.map((c) => c.id),
      ['tenant:carol'],
      'alice is terminating, bob disabled',
    );
    assert.ok(
      results.every((r) => r.status === 'applied'),
      JSON.stringify(results),
    );
    assert.equal((fake.get('RoleBinding', 'tool-carol', 'gatehouse-tenant')?.roleRef as Json).name, 'view');
    t.close();
  });
});
