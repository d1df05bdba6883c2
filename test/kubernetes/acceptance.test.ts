import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { applyPlan } from '../../src/core/apply.ts';
import type { Source } from '../../src/core/contracts.ts';
import { buildPlan } from '../../src/core/pipeline.ts';
import { ldapSource } from '../../src/sources/ldap/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import {
  createKubernetesTenantsTarget,
  kubernetesTenantsSchema,
  kubernetesTenantsTarget,
  type KubernetesTenantsTarget,
} from '../../src/targets/kubernetes-tenants/index.ts';
import { completeTarget } from '../../src/plugins.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';
import { fakeKubeConfigYaml, startKubeFake, type KubeFake } from '../fakes/kubernetes/index.ts';
import { BIND_DN, BIND_PASSWORD, GROUPS, PEOPLE, skipUnlessSlapd, startSlapd, type Slapd } from '../harness/slapd.ts';

const DAY = 86_400_000;
const TOOLS = `cn=tools,${GROUPS}`;
const dnOf = (uid: string) => `uid=${uid},${PEOPLE}`;
type Json = Record<string, unknown>;

/**
 * End to end: a real slapd (accounts with uidNumber, gidNumber, homeDirectory; group `tools`) → ldap source → core
 * pipeline with the real store (PGlite) → kubernetes-tenants → the validated fake API server. The clock is injected,
 * so the grace period and certificate renewal are tested without waiting.
 */
describe('directory accounts → Kubernetes tenants, end to end with slapd', { skip: skipUnlessSlapd() }, () => {
  let s: Slapd;
  let fake: KubeFake;
  let dir: string;
  let store: Store;
  let source: Source;
  let clock = new Date();
  const home = (uid: string) => join(dir, 'home', uid);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8s-e2e-'));
    const account = (uid: string, n: number) =>
      `dn: ${dnOf(uid)}\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: gatehouseLockable\nuid: ${uid}\ncn: ${uid}\nsn: ${uid}\nuidNumber: ${n}\ngidNumber: ${n}\nhomeDirectory: ${home(uid)}\n\n`;
    s = await startSlapd({
      bindUnlimited: true,
      ldif:
        account('tool1', 52001) +
        account('tool2', 52002) +
        `dn: ${TOOLS}\nobjectClass: groupOfNames\ncn: tools\nmember: ${dnOf('tool1')}\n\n`,
    });
    fake = await startKubeFake();
    await writeFile(join(dir, 'admin.kubeconfig'), fakeKubeConfigYaml(fake, { token: fake.adminToken }));
    store = await openStore({ stateDir: join(dir, 'state') });
    source = ldapSource.create(
      'directory',
      ldapSource.schema.parse({
        type: 'ldap',
        connection: { url: s.url, bindDn: BIND_DN, bindPassword: BIND_PASSWORD },
        people: {
          base: PEOPLE,
          filter: '(objectClass=posixAccount)',
          attributes: { extra: ['uidNumber', 'gidNumber', 'homeDirectory'] },
        },
        groups: { base: GROUPS },
      }),
      testDeps(),
    );
  });
  after(async () => {
    fake?.assertNoViolations();
    await fake?.close();
    await store?.close();
    await s?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function target(): KubernetesTenantsTarget {
    const config = kubernetesTenantsSchema.parse({
      type: 'kubernetes-tenants',
      connection: { kubeconfig: 'admin.kubeconfig' },
      group: 'directory/tools',
      quota: { 'limits.cpu': '2', 'limits.memory': '4Gi' },
      credentials: { path: '{home}/.kube/config', expiration: '1d', renewAfter: 0.66 },
      disabled: { gracePeriod: '30d' },
      apply: { qps: 200, burst: 50 },
    });
    return completeTarget(
      kubernetesTenantsTarget,
      config,
      createKubernetesTenantsTarget('cluster', config, testDeps({ baseDir: dir, state: store.state }), {
        now: () => clock,
      }),
    );
  }

  async function run() {
    const t = target();
    const signal = AbortSignal.timeout(60_000);
    try {
      const { plan, observed } = await buildPlan({
        configDigest: 'c',
        sources: [source],
        targets: [t],
        snapshots: store.snapshots,
        signal,
        now: () => clock,
      });
      const reports = await applyPlan({
        plan,
        configDigest: 'c',
        targets: [t],
        audit: store.audit,
        actor: 'test',
        signal,
        observed,
        now: () => clock,
      });
      const results = reports[0]?.results ?? [];
      assert.ok(
        results.every((r) => r.status === 'applied'),
        JSON.stringify(results),
      );
      return { tp: plan.targets[0]!, results, ids: plan.targets[0]!.changes.map((c) => c.id) };
    } finally {
      t.close();
    }
  }

  /** A client for the account, from the kubeconfig gatehouse wrote into its home directory. */
  function asAccount(uid: string) {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(join(home(uid), '.kube', 'config'));
    return kc;
  }
  const whoami = async (uid: string) => {
    const review = await asAccount(uid)
      .makeApiClient(k8s.AuthenticationV1Api)
      .createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    return review.status?.userInfo?.username;
  };
  const canList = async (uid: string) =>
    asAccount(uid)
      .makeApiClient(k8s.CoreV1Api)
      .listNamespacedConfigMap({ namespace: `tool-${uid}` })
      .then(
        () => true,
        (e: unknown) => {
          if ((e as { code?: number }).code === 403) return false;
          throw e;
        },
      );

  it('an account in the group → namespace, binding, quota, limits, network policy, params, and a kubeconfig the API server accepts for it', async () => {
    const { ids } = await run();
    assert.deepEqual(ids, ['policy', 'tenant:tool1', 'kubeconfig:tool1']);
    for (const [kind, name] of [
      ['RoleBinding', 'gatehouse-tenant'],
      ['ResourceQuota', 'gatehouse-tenant'],
      ['LimitRange', 'gatehouse-tenant'],
      ['NetworkPolicy', 'gatehouse-default'],
      ['ConfigMap', 'gatehouse-pod-security'],
    ] as const) {
      assert.ok(fake.get(kind, 'tool-tool1', name), `${kind} ${name}`);
    }
    assert.equal((fake.get('ConfigMap', 'tool-tool1', 'gatehouse-pod-security')?.data as Json).runAsUser, '52001');
    const file = join(home('tool1'), '.kube', 'config');
    const st = await stat(file);
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(st.uid, 52001);
    assert.equal(st.gid, 52001);
    assert.equal(await whoami('tool1'), 'tool1');
    assert.equal(await canList('tool1'), true);
    // The key never left the host: no CSR, plan or audit record holds it.
    const users = (parseYaml(await readFile(file, 'utf8')) as { users: { user: Record<string, string> }[] }).users;
    const keyData = users[0]!.user['client-key-data']!;
    const audit = JSON.stringify(await store.audit.list({}));
    assert.ok(!audit.includes(keyData) && !JSON.stringify(fake.all('CertificateSigningRequest')).includes(keyData));
  });

  it('a second account added to the group gets its tenant; the first is left alone (kubeconfig not rewritten)', async () => {
    const before = (await stat(join(home('tool1'), '.kube', 'config'))).mtimeMs;
    await s.ldapmodify(`dn: ${TOOLS}\nchangetype: modify\nadd: member\nmember: ${dnOf('tool2')}\n`);
    const { ids } = await run();
    assert.deepEqual(ids, ['tenant:tool2', 'kubeconfig:tool2']);
    assert.equal((await stat(join(home('tool1'), '.kube', 'config'))).mtimeMs, before);
    assert.equal(await whoami('tool2'), 'tool2');
    fake.resetCounts();
    assert.deepEqual((await run()).ids, []);
    assert.equal(fake.writes, 0);
  });

  it('a quota edited by hand is restored', async () => {
    fake.edit('ResourceQuota', 'tool-tool1', 'gatehouse-tenant', (o) => {
      (o.spec as { hard: Record<string, string> }).hard['limits.cpu'] = '100';
    });
    const { ids } = await run();
    assert.deepEqual(ids, ['tenant:tool1']);
    assert.deepEqual((fake.get('ResourceQuota', 'tool-tool1', 'gatehouse-tenant')?.spec as Json).hard, {
      'limits.cpu': '2',
      'limits.memory': '4Gi',
    });
  });

  it('certificates are renewed once the configured fraction of their lifetime has passed', async () => {
    clock = new Date(clock.getTime() + 0.7 * DAY);
    const { ids } = await run();
    assert.deepEqual(ids, ['kubeconfig:tool1', 'kubeconfig:tool2']);
    assert.equal(await whoami('tool1'), 'tool1');
  });

  it('account locked → binding removed at once; namespace deleted only after the grace period', async () => {
    await s.ldapmodify(`dn: ${dnOf('tool2')}\nchangetype: modify\nreplace: nsAccountLock\nnsAccountLock: TRUE\n`);
    const disabledAt = clock.toISOString();
    const locked = await run();
    assert.ok(locked.ids.includes('disable:tool2'), String(locked.ids));
    assert.equal(fake.get('RoleBinding', 'tool-tool2', 'gatehouse-tenant'), undefined);
    assert.equal(await canList('tool2'), false, 'access revoked');
    const labels = (fake.get('Namespace', undefined, 'tool-tool2')?.metadata as Json).labels as Record<string, string>;
    assert.equal(labels['gatehouse.dev/disabled'], 'true');
    assert.deepEqual(await store.state.get('kubernetes-tenants/cluster/disabled/tool2'), {
      disabledAt,
      namespace: 'tool-tool2',
    });

    clock = new Date(clock.getTime() + 29 * DAY);
    const waiting = await run();
    assert.ok(!waiting.ids.some((id) => id.startsWith('delete-namespace:')), String(waiting.ids));
    assert.ok(fake.get('Namespace', undefined, 'tool-tool2'));

    clock = new Date(clock.getTime() + 1 * DAY + 1000);
    const due = await run();
    assert.ok(due.ids.includes('delete-namespace:tool2'), String(due.ids));
    assert.equal((fake.get('Namespace', undefined, 'tool-tool2')?.status as Json).phase, 'Terminating');
    assert.equal(await store.state.get('kubernetes-tenants/cluster/disabled/tool2'), undefined);
    assert.deepEqual(fake.finishTerminating(), ['tool-tool2']);
    assert.ok(fake.get('Namespace', undefined, 'tool-tool1'), 'the other tenant stays');
  });
});
