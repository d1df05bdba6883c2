import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Change, DesiredContext } from '../../core/contracts.ts';
import { kubernetesTenantsSchema } from './config.ts';
import { desiredState } from './desired.ts';
import { covers, matches, diffTenants as uncheckedDiffTenants } from './diff.ts';
import { tenantsChangeSchema } from './change-schema.ts';
import { acceptedForgeries, schemaChecked } from '../../core/testing/schema-checked.ts';
import { guardTenants } from './guard.ts';
import type { KubernetesTenantsDesired, KubernetesTenantsObserved, Manifest, ObservedObject } from './types.ts';

/** Every change these tests make must fit the target's change schema (a saved plan holding it reads back). */
const samples = new Map<string, Change>();
const diffTenants = schemaChecked(tenantsChangeSchema, uncheckedDiffTenants, samples);

const config = (extra: Record<string, unknown> = {}) =>
  kubernetesTenantsSchema.parse({
    type: 'kubernetes-tenants',
    connection: { server: 'https://k8s.example:6443', token: 't' },
    group: 'dir/tools',
    quota: { 'limits.memory': '1024Mi', pods: '10' },
    credentials: { path: '{home}/.kube/config', expiration: '10d', renewAfter: 0.5 },
    ...extra,
  });
const NOW = new Date('2026-06-01T00:00:00Z');
const SERVER = 'https://k8s.example:6443';

function desired(uids: string[], c = config(), known = true): KubernetesTenantsDesired {
  const people = uids.map((uid, i) => ({
    id: `ldap:${uid}`,
    accounts: { ldap: uid },
    attributes: { uidNumber: String(5000 + i), gidNumber: String(5000 + i), homeDirectory: `/home/${uid}` },
  }));
  const ctx: DesiredContext = {
    sources: new Map([
      [
        'dir',
        {
          name: 'dir',
          type: 'ldap',
          status: 'live',
          facts: { people, groups: known ? [{ name: 'tools', members: people.map((p) => p.id) }] : [] },
          notes: [],
        },
      ],
    ]),
  };
  return desiredState(c, 'k', ctx, NOW);
}

/** What a server returns after applying the desired state, with quantities in canonical form. */
function converged(d: KubernetesTenantsDesired, kubeconfigAge = 0): KubernetesTenantsObserved {
  const objects: ObservedObject[] = [];
  const toObserved = (m: Manifest): ObservedObject => {
    const { apiVersion: _a, kind, metadata, ...body } = structuredClone<Manifest>(m);
    const hard = (body.spec as { hard?: Record<string, string> } | undefined)?.hard;
    if (hard?.['limits.memory'] === '1024Mi') hard['limits.memory'] = '1Gi';
    return {
      kind,
      ...(metadata.namespace ? { namespace: metadata.namespace } : {}),
      name: metadata.name,
      ...(metadata.labels?.['gatehouse.dev/tenant'] ? { tenant: metadata.labels['gatehouse.dev/tenant'] } : {}),
      labels: { ...metadata.labels },
      annotations: { ...metadata.annotations },
      body,
      otherAppliers: [],
    };
  };
  for (const m of d.policy) objects.push(toObserved(m));
  for (const t of d.tenants) for (const m of t.objects.slice(1)) objects.push(toObserved(m));
  return {
    namespaces: d.tenants.map((t) => ({
      name: t.namespace,
      managed: true,
      tenant: t.uid,
      phase: 'Active',
      disabled: false,
      labels: { ...t.objects[0]!.metadata.labels, 'kubernetes.io/metadata.name': t.namespace },
      annotations: { ...t.objects[0]!.metadata.annotations },
    })),
    objects,
    disabledAt: {},
    kubeconfigs: d.tenants.map((t) => ({
      uid: t.uid,
      path: t.kubeconfigPath!,
      state: 'ok' as const,
      user: t.uid,
      server: SERVER,
      notBefore: new Date(NOW.getTime() - kubeconfigAge * 86_400_000).toISOString(),
      notAfter: new Date(NOW.getTime() + (10 - kubeconfigAge) * 86_400_000).toISOString(),
    })),
  };
}

const ids = (c = config(), d: KubernetesTenantsDesired, o: KubernetesTenantsObserved) =>
  diffTenants(c, d, o, { target: 'k', kubeconfigServer: SERVER }).map((x) => x.id);

function edit(o: KubernetesTenantsObserved, kind: string, ns: string, f: (x: ObservedObject) => ObservedObject) {
  return { ...o, objects: o.objects.map((x) => (x.kind === kind && x.namespace === ns ? f(x) : x)) };
}
const withHard = (x: ObservedObject, hard: Record<string, string>): ObservedObject => ({
  ...x,
  body: { spec: { hard } },
});

describe('kubernetes-tenants diff (pure)', () => {
  const d = desired(['ann', 'ben']);
  const cases: { name: string; observed: KubernetesTenantsObserved; want: string[]; c?: ReturnType<typeof config> }[] =
    [
      { name: 'converged (quantities compared by value: 1024Mi = 1Gi)', observed: converged(d), want: [] },
      {
        name: 'empty cluster: policy, both tenants, both kubeconfigs',
        observed: { namespaces: [], objects: [], disabledAt: {}, kubeconfigs: [] },
        want: ['policy', 'tenant:ann', 'tenant:ben', 'kubeconfig:ann', 'kubeconfig:ben'],
      },
      {
        name: 'quota value drifted',
        observed: edit(converged(d), 'ResourceQuota', 'tool-ben', (x) =>
          withHard(x, { 'limits.memory': '2Gi', pods: '10' }),
        ),
        want: ['tenant:ben'],
      },
      {
        name: 'quota key added by hand',
        observed: edit(converged(d), 'ResourceQuota', 'tool-ann', (x) =>
          withHard(x, { 'limits.memory': '1Gi', pods: '10', services: '99' }),
        ),
        want: ['tenant:ann'],
      },
      {
        name: 'binding subject changed by hand',
        observed: edit(converged(d), 'RoleBinding', 'tool-ann', (x) => ({
          ...x,
          body: { ...x.body, subjects: [{ kind: 'User', name: 'mallory', apiGroup: 'rbac.authorization.k8s.io' }] },
        })),
        want: ['tenant:ann'],
      },
      {
        name: 'kubeconfig past renewAfter of its lifetime',
        observed: converged(d, 6),
        want: ['kubeconfig:ann', 'kubeconfig:ben'],
      },
      { name: 'kubeconfig within its renewal window', observed: converged(d, 4), want: [] },
    ];
  for (const tc of cases) {
    it(tc.name, () => assert.deepEqual(ids(tc.c, d, tc.observed), tc.want));
  }

  it('force: by config, or when only imperative edits hold fields; not when another applier does', () => {
    const drift = (appliers: string[]) =>
      edit(converged(d), 'ResourceQuota', 'tool-ben', (x) => ({
        ...withHard(x, { pods: '1' }),
        otherAppliers: appliers,
      }));
    const force = (c: ReturnType<typeof config>, o: KubernetesTenantsObserved) => {
      const ch = diffTenants(c, d, o, { target: 'k', kubeconfigServer: SERVER })[0];
      return ch?.kind === 'k8s-tenant' ? ch.objects.map((x) => x.force) : undefined;
    };
    assert.deepEqual(force(config(), drift([])), [true]);
    assert.deepEqual(force(config(), drift(['platform'])), [false]);
    assert.deepEqual(force(config({ apply: { force: true } }), drift(['platform'])), [true]);
  });

  it('an account gone: disabled first, deleted only once the grace period has passed since the recorded time', () => {
    const full = converged(d);
    const onlyAnn = desired(['ann']);
    assert.deepEqual(ids(undefined, onlyAnn, full), ['disable:ben']);
    const disabled: KubernetesTenantsObserved = {
      ...full,
      namespaces: full.namespaces.map((n) => (n.tenant === 'ben' ? { ...n, disabled: true } : n)),
      objects: full.objects.filter((o) => !(o.kind === 'RoleBinding' && o.namespace === 'tool-ben')),
      disabledAt: { ben: new Date(NOW.getTime() - 29 * 86_400_000).toISOString() },
    };
    assert.deepEqual(ids(undefined, onlyAnn, disabled), []);
    const due = { ...disabled, disabledAt: { ben: new Date(NOW.getTime() - 30 * 86_400_000).toISOString() } };
    assert.deepEqual(ids(undefined, onlyAnn, due), ['delete-namespace:ben']);
    // Back before deletion: re-enabled (namespace relabelled, binding restored, record cleared).
    const back = diffTenants(config(), d, disabled, { target: 'k', kubeconfigServer: SERVER }).find(
      (c) => c.id === 'tenant:ben',
    );
    assert.ok(back?.kind === 'k8s-tenant' && back.reenable);
    assert.deepEqual(
      back.objects.map((o) => o.manifest.kind),
      ['Namespace', 'RoleBinding'],
    );
  });

  it('each tenant disabled loses the RoleBindings of its own namespace, in observed order, and no other (table)', () => {
    const all = desired(['ann', 'ben', 'cat']);
    const full = converged(all);
    const binding = (ns: string, name: string): ObservedObject => ({
      kind: 'RoleBinding',
      namespace: ns,
      name,
      labels: {},
      annotations: {},
      body: {},
      otherAppliers: [],
    });
    const more: KubernetesTenantsObserved = {
      ...full,
      // A binding added by hand in ben's namespace, and a ConfigMap named like a binding in cat's.
      objects: [
        binding('tool-ben', 'by-hand'),
        ...full.objects,
        { ...binding('tool-cat', 'not-a-binding'), kind: 'ConfigMap' },
      ],
    };
    const cases: [string, string[], KubernetesTenantsObserved, [string, string[]][]][] = [
      // case, tenants wanted, observation, disables with the bindings they remove
      ['ben leaves', ['ann', 'cat'], full, [['disable:ben', ['RoleBinding/gatehouse-tenant']]]],
      [
        'ben and cat leave',
        ['ann'],
        full,
        [
          ['disable:ben', ['RoleBinding/gatehouse-tenant']],
          ['disable:cat', ['RoleBinding/gatehouse-tenant']],
        ],
      ],
      [
        'ben and cat leave, ben has a binding by hand',
        ['ann'],
        more,
        [
          ['disable:ben', ['RoleBinding/by-hand', 'RoleBinding/gatehouse-tenant']],
          ['disable:cat', ['RoleBinding/gatehouse-tenant']],
        ],
      ],
      ['nobody leaves', ['ann', 'ben', 'cat'], more, []],
    ];
    for (const [name, uids, o, want] of cases) {
      const got = diffTenants(config(), desired(uids), o, { target: 'k', kubeconfigServer: SERVER })
        .filter((c) => c.kind === 'k8s-disable')
        .map((c) => [c.id, c.remove ?? []]);
      assert.deepEqual(got, want, name);
    }
  });

  it('the disabled record of an account whose namespace is gone is forgotten; a wanted account is re-enabled instead', () => {
    const d = desired(['a1']);
    const o = { ...converged(d), disabledAt: { gone: '2026-01-01T00:00:00Z', a1: '2026-01-01T00:00:00Z' } };
    assert.deepEqual(ids(config(), d, o), ['tenant:a1', 'forget:gone']);
  });

  it('an unknown group or a member with a data problem disables nobody', () => {
    assert.deepEqual(ids(undefined, desired(['ann', 'ben'], config(), false), converged(d)), []);
    const held = desired(['ann', 'ben']);
    const benBroken = { ...held, tenants: held.tenants.filter((t) => t.uid !== 'ben'), held: ['ben'] };
    assert.deepEqual(ids(undefined, benBroken, converged(d)), []);
  });

  it('guards: disables over the count are refused together; one removal never trips the fraction', () => {
    const many = desired(['a1', 'a2', 'a3', 'a4']);
    const o = converged(many);
    const changes = diffTenants(config({ guards: { maxRoleBindingRemovals: 2 } }), desired(['a1']), o, {
      target: 'k',
      kubeconfigServer: SERVER,
    });
    const v = guardTenants(config({ guards: { maxRoleBindingRemovals: 2 } }), changes, o);
    assert.deepEqual(
      v.map((x) => [x.guard, x.changeIds]),
      [['max-rolebinding-removals', ['disable:a2', 'disable:a3', 'disable:a4']]],
    );
    const one = diffTenants(config(), desired(['a1', 'a2', 'a3']), o, { target: 'k', kubeconfigServer: SERVER });
    assert.deepEqual(guardTenants(config(), one, o), []);
  });

  it('guards: namespace deletions over the count are refused together', () => {
    const many = desired(['a1', 'a2', 'a3', 'a4']);
    const full = converged(many);
    const long = new Date(NOW.getTime() - 40 * 86_400_000).toISOString();
    const o: KubernetesTenantsObserved = {
      ...full,
      namespaces: full.namespaces.map((n) => (n.tenant === 'a1' ? n : { ...n, disabled: true })),
      objects: full.objects.filter((x) => !(x.kind === 'RoleBinding' && x.namespace !== 'tool-a1')),
      disabledAt: { a2: long, a3: long, a4: long },
    };
    const c = config({ guards: { maxNamespaceDeletions: 2, maxNamespaceDeletionFraction: 1 } });
    const changes = diffTenants(c, desired(['a1']), o, { target: 'k', kubeconfigServer: SERVER });
    assert.deepEqual(
      changes.map((x) => x.id),
      ['delete-namespace:a2', 'delete-namespace:a3', 'delete-namespace:a4'],
    );
    const v = guardTenants(c, changes, o);
    assert.deepEqual(
      v.map((x) => [x.guard, x.changeIds.length]),
      [['max-namespace-deletions', 3]],
    );
    assert.match(v[0]!.message, /3 namespaces deleted of 4 managed tenants/);
  });

  it('quota overrides from a directory attribute, under the per-uid config overrides; a bad value is a note', () => {
    const c = config({
      attributes: { quota: 'gatehouseQuota' },
      overrides: { ben: { quota: { pods: '99' } } },
    });
    const ctx = (values: Record<string, string>): DesiredContext => ({
      sources: new Map([
        [
          'dir',
          {
            name: 'dir',
            type: 'ldap',
            status: 'live',
            facts: {
              people: Object.entries(values).map(([uid, q], i) => ({
                id: `ldap:${uid}`,
                accounts: { ldap: uid },
                attributes: {
                  uidNumber: String(7000 + i),
                  gidNumber: '7000',
                  homeDirectory: `/h/${uid}`,
                  gatehouseQuota: q,
                },
              })),
              groups: [{ name: 'tools', members: Object.keys(values).map((u) => `ldap:${u}`) }],
            },
            notes: [],
          },
        ],
      ]),
    });
    const d = desiredState(
      c,
      'k',
      ctx({ ann: 'limits.memory=8Gi,pods=40', ben: 'pods=5', cid: 'lots of memory' }),
      NOW,
    );
    const hardOf = (uid: string) =>
      (d.tenants.find((t) => t.uid === uid)!.objects.find((m) => m.kind === 'ResourceQuota')!.spec as { hard: unknown })
        .hard;
    assert.deepEqual(hardOf('ann'), { 'limits.memory': '8Gi', pods: '40' });
    assert.deepEqual(hardOf('ben'), { 'limits.memory': '1024Mi', pods: '99' });
    assert.deepEqual(hardOf('cid'), { 'limits.memory': '1024Mi', pods: '10' });
    assert.deepEqual(d.problems, ['cid: gatehouseQuota is not name=quantity,…; the default quota applies']);
  });
});

// Runs after every test above: they are what produced the samples.
describe('kubernetes-tenants change schema (saved plans are read back by the target that made them)', () => {
  it('every kind of change appeared in the tests above, and each fitted the schema', () => {
    assert.deepEqual([...samples.keys()].sort(), tenantsChangeSchema.options.map((o) => o.shape.kind.value).sort());
  });

  it('refuses forged changes of every kind', () => {
    for (const [kind, change] of samples)
      assert.deepEqual(acceptedForgeries(tenantsChangeSchema, change, 'postfix-sender-logins'), [], kind);
  });
});

// Every object of every tenant (15k for 3k tenants) is compared with its manifest on each plan.
describe('kubernetes-tenants drift of one object', () => {
  it('covers: objects key by key with extra keys allowed, lists element by element, quantities by value (table)', () => {
    const cases: [string, unknown, unknown, boolean][] = [
      // case, have, want, covered
      ['equal text', 'a', 'a', true],
      ['one quantity two ways', '1Gi', '1024Mi', true],
      ['other quantities', '1Gi', '1000Mi', false],
      ['text that is no quantity', 'abc', 'abd', false],
      ['a number for text', 1, '1', false],
      ['equal numbers', 3, 3, true],
      ['true for true', true, true, true],
      ['null for null', null, null, true],
      ['missing for null', undefined, null, false],
      ['an extra key', { a: '1', b: '2' }, { a: '1' }, true],
      ['a missing key', { a: '1' }, { a: '1', b: '2' }, false],
      ['a key holding undefined for one wanted undefined', {}, { a: undefined }, true],
      ['nested', { s: { hard: { pods: '10', cpu: '1' } } }, { s: { hard: { pods: '10' } } }, true],
      ['nested, differing', { s: { hard: { pods: '11' } } }, { s: { hard: { pods: '10' } } }, false],
      ['a list for an object', [], {}, false],
      ['null for an object', null, {}, false],
      ['text for an object', 'x', {}, false],
      ['an empty object for an empty one', {}, {}, true],
      ['lists alike', [{ a: '1', x: 'y' }, 'b'], [{ a: '1' }, 'b'], true],
      ['a longer list', ['a', 'b'], ['a'], false],
      ['a shorter list', ['a'], ['a', 'b'], false],
      ['an object for a list', { 0: 'a', length: 1 }, ['a'], false],
      ['lists differing in one element', ['a', 'c'], ['a', 'b'], false],
    ];
    for (const [name, have, want, expected] of cases) assert.equal(covers(have, want), expected, name);
  });

  it('matches: labels, annotations and body covered; quota hard limits and ConfigMap data exactly keyed (table)', () => {
    const object = (
      kind: string,
      body: Record<string, unknown>,
      labels: Record<string, string> = { a: '1' },
    ): ObservedObject => ({
      kind,
      namespace: 'n',
      name: 'x',
      labels,
      annotations: { note: 'n' },
      body,
      otherAppliers: [],
    });
    const manifest = (kind: string, rest: Record<string, unknown>, labels: Record<string, string> = { a: '1' }) =>
      ({ apiVersion: 'v1', kind, metadata: { name: 'x', namespace: 'n', labels }, ...rest }) as Manifest;
    const quota = (hard: Record<string, string>) => ({ spec: { hard } });
    const cases: [string, ObservedObject, Manifest, boolean][] = [
      // case, observed, manifest, matches
      [
        'a quota as applied',
        object('ResourceQuota', quota({ pods: '10' })),
        manifest('ResourceQuota', quota({ pods: '10' })),
        true,
      ],
      [
        'a quota by value',
        object('ResourceQuota', quota({ m: '1Gi' })),
        manifest('ResourceQuota', quota({ m: '1024Mi' })),
        true,
      ],
      [
        'a quota with a limit added by hand',
        object('ResourceQuota', quota({ pods: '10', cpu: '1' })),
        manifest('ResourceQuota', quota({ pods: '10' })),
        false,
      ],
      [
        'a quota missing a limit',
        object('ResourceQuota', quota({})),
        manifest('ResourceQuota', quota({ pods: '10' })),
        false,
      ],
      [
        'a ConfigMap as applied',
        object('ConfigMap', { data: { k: 'v' } }),
        manifest('ConfigMap', { data: { k: 'v' } }),
        true,
      ],
      [
        'a ConfigMap with a key added by hand',
        object('ConfigMap', { data: { k: 'v', j: 'w' } }),
        manifest('ConfigMap', { data: { k: 'v' } }),
        false,
      ],
      [
        'a ConfigMap value edited',
        object('ConfigMap', { data: { k: 'w' } }),
        manifest('ConfigMap', { data: { k: 'v' } }),
        false,
      ],
      [
        'a binding with fields the server added',
        object('RoleBinding', { roleRef: { name: 'r', apiGroup: 'g' }, extra: 1 }),
        manifest('RoleBinding', { roleRef: { name: 'r' } }),
        true,
      ],
      [
        'a binding to another role',
        object('RoleBinding', { roleRef: { name: 's' } }),
        manifest('RoleBinding', { roleRef: { name: 'r' } }),
        false,
      ],
      ['a label edited', object('RoleBinding', {}, { a: '2' }), manifest('RoleBinding', {}), false],
      ['a label added by hand', object('RoleBinding', {}, { a: '1', b: '2' }), manifest('RoleBinding', {}), true],
      ['a wanted label missing', object('RoleBinding', {}, {}), manifest('RoleBinding', {}), false],
      ['apiVersion, kind and metadata are not body', object('RoleBinding', {}), manifest('RoleBinding', {}), true],
    ];
    for (const [name, o, m, expected] of cases) assert.equal(matches(o, m), expected, name);
  });
});
