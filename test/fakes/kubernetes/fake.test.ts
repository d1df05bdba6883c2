import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { fakeKubeConfigYaml, startKubeFake, type KubeFake } from './index.ts';

/** The fake itself, driven by the real client: validation, lists, server-side apply, namespace termination. */
describe('Kubernetes fake', () => {
  let fake: KubeFake;
  let objects: k8s.KubernetesObjectApi;
  let core: k8s.CoreV1Api;
  before(async () => {
    fake = await startKubeFake();
    const kc = new k8s.KubeConfig();
    kc.loadFromString(fakeKubeConfigYaml(fake, { token: fake.adminToken }));
    objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    core = kc.makeApiClient(k8s.CoreV1Api);
  });
  after(async () => {
    await fake?.close();
  });
  const apply = (obj: k8s.KubernetesObject, manager = 'gatehouse', force = false) =>
    objects.patch(obj, undefined, undefined, manager, force, k8s.PatchStrategy.ServerSideApply);
  const ns = (name: string, labels: Record<string, string> = {}) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels },
  });
  const quota = (cpu: string) => ({
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'q', namespace: 'a' },
    spec: { hard: { cpu } },
  });
  const status = (e: unknown) => (e as { code?: number }).code;

  it('server-side apply creates, lists paginate with a label selector', async () => {
    for (const n of ['a', 'b', 'c']) await apply(ns(n, { team: 'x' }));
    await apply(ns('other'));
    const first = await core.listNamespace({ labelSelector: 'team=x', limit: 2 });
    assert.deepEqual(
      first.items.map((n) => n.metadata?.name),
      ['a', 'b'],
    );
    assert.equal(first.items[0]?.status?.phase, 'Active');
    const second = await core.listNamespace({
      labelSelector: 'team=x',
      limit: 2,
      _continue: first.metadata?._continue,
    });
    assert.deepEqual(
      second.items.map((n) => n.metadata?.name),
      ['c'],
    );
    assert.equal(second.metadata?._continue, undefined);
    assert.equal(fake.counts.list, 2);
    fake.assertNoViolations();
  });

  it('an object that breaks the schema is refused (422) and recorded as a violation', async () => {
    await assert.rejects(apply(quota('lots')), (e) => status(e) === 422);
    assert.match(fake.violations.join('\n'), /spec\/hard\/cpu must match format "quantity"/);
    fake.violations.length = 0;
  });

  it('an unknown field is refused, as by a strict server', async () => {
    const body = JSON.stringify({ ...quota('1'), spec: { hard: { cpu: '1' }, hrad: {} } });
    const code = await new Promise<number>((resolve, reject) => {
      const u = new URL(`${fake.url}/api/v1/namespaces/a/resourcequotas/q?fieldManager=t`);
      const req = request(
        u,
        {
          method: 'PATCH',
          ca: fake.ca.caPem,
          headers: { authorization: `Bearer ${fake.adminToken}`, 'content-type': 'application/apply-patch+yaml' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(code, 422);
    assert.match(fake.violations.join('\n'), /ResourceQuota\.spec\.hrad: unknown field "hrad"/);
    fake.violations.length = 0;
  });

  it('a field another manager changed is a conflict; force takes it over', async () => {
    await apply(quota('2'));
    fake.edit('ResourceQuota', 'a', 'q', (o) => ((o.spec as { hard: Record<string, string> }).hard.cpu = '9'));
    await assert.rejects(apply(quota('2')), (e) => {
      assert.equal(status(e), 409);
      assert.match(
        String((e as { body: unknown }).body),
        /Apply failed with 1 conflict\(s\): conflict with \\"kubectl-edit\\": \.spec\.hard\.cpu/,
      );
      return true;
    });
    assert.equal((fake.get('ResourceQuota', 'a', 'q')?.spec as { hard: { cpu: string } }).hard.cpu, '9');
    await apply(quota('2'), 'gatehouse', true);
    assert.equal((fake.get('ResourceQuota', 'a', 'q')?.spec as { hard: { cpu: string } }).hard.cpu, '2');
    fake.assertNoViolations();
  });

  it('a deleted namespace is Terminating and takes no new content until it is gone', async () => {
    await objects.delete(ns('b'));
    assert.equal((fake.get('Namespace', undefined, 'b')?.status as { phase: string }).phase, 'Terminating');
    await assert.rejects(apply({ ...quota('1'), metadata: { name: 'q', namespace: 'b' } }), (e) => status(e) === 403);
    assert.deepEqual(fake.finishTerminating(), ['b']);
    assert.equal(fake.get('Namespace', undefined, 'b'), undefined);
    fake.assertNoViolations();
  });
});
