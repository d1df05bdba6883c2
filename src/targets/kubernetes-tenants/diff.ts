import { parseDuration } from '../../core/duration.ts';
import type { KubernetesTenantsConfig } from './config.ts';
import { DISABLED_LABEL, MANAGED_BY, MANAGED_BY_VALUE, TARGET_LABEL, TENANT_LABEL } from './manifests.ts';
import { sameQuantity } from './quantity.ts';
import type {
  ApplyObject,
  DesiredTenant,
  KubernetesTenantsChange,
  KubernetesTenantsDesired,
  KubernetesTenantsObserved,
  Manifest,
  ObservedKubeconfig,
  ObservedObject,
} from './types.ts';

export interface DiffOptions {
  readonly target: string;
  /** API server URL kubeconfigs must name; read only when `config.credentials` is set. */
  readonly kubeconfigServer: string;
}

/**
 * Pure and deterministic. Per desired tenant, the objects whose applied fields differ from the cluster (absent, or
 * drifted by hand) — namespace first; per tenant no longer desired, first `k8s-disable` (RoleBinding removed at once,
 * namespace labelled disabled, time recorded), and once the grace period has passed since the recorded time,
 * `k8s-delete-namespace`. The policy and its binding when they differ. Kubeconfigs that are missing, unreadable, for
 * another user or server, or past `renewAfter` of their lifetime.
 *
 * An object is written with `force` when config says so or when no other server-side apply manager holds fields of
 * it — then any difference is an imperative edit (`kubectl edit`), which is drift to correct. When another applier
 * holds fields, a conflict is left to the API server to report.
 */
export function diffTenants(
  config: KubernetesTenantsConfig,
  desired: KubernetesTenantsDesired,
  observed: KubernetesTenantsObserved,
  options: DiffOptions,
): KubernetesTenantsChange[] {
  const changes: KubernetesTenantsChange[] = [];
  const objects = new Map(observed.objects.map((o) => [objectKey(o.kind, o.namespace, o.name), o]));
  const namespaces = new Map(observed.namespaces.map((n) => [n.name, n]));
  const now = Date.parse(desired.now);

  const policy = desired.policy.flatMap((m) => drifted(config, m, objects));
  if (policy.length > 0) {
    changes.push({
      kind: 'k8s-policy',
      id: 'policy',
      summary: `apply ${policy.map((o) => `${o.manifest.kind} ${o.manifest.metadata.name}`).join(', ')}`,
      destructive: false,
      objects: policy,
    });
  }

  const kubeconfigs = new Map(observed.kubeconfigs.map((k) => [k.uid, k]));
  const wanted = new Set(desired.tenants.map((t) => t.uid));
  for (const t of desired.tenants) {
    const ns = namespaces.get(t.namespace);
    if (ns?.phase === 'Terminating') continue; // reported in notes; created again once it is gone
    const reenable = observed.disabledAt[t.uid] !== undefined;
    const list: ApplyObject[] = [];
    for (const m of t.objects) {
      if (m.kind === 'Namespace') {
        const fresh =
          !ns ||
          !ns.managed ||
          ns.disabled ||
          !covers(ns.labels ?? {}, m.metadata.labels ?? {}) ||
          !covers(ns.annotations ?? {}, m.metadata.annotations ?? {});
        if (fresh) list.push({ manifest: m, force: config.apply.force });
      } else list.push(...drifted(config, m, objects));
    }
    if (list.length > 0 || reenable) {
      const what = !ns ? `create tenant ${t.uid} (namespace ${t.namespace})` : `correct tenant ${t.uid}`;
      changes.push({
        kind: 'k8s-tenant',
        id: `tenant:${t.uid}`,
        summary: `${what}: ${list.map((o) => o.manifest.kind).join(', ')}${reenable ? ' (re-enabled)' : ''}`,
        destructive: false,
        uid: t.uid,
        namespace: t.namespace,
        objects: list,
        reenable,
        add: list.map((o) => `${o.manifest.kind}/${o.manifest.metadata.name}`),
      });
    }
    if (config.credentials && t.kubeconfigPath) {
      const why = kubeconfigDue(config, t, kubeconfigs.get(t.uid), options.kubeconfigServer, now);
      if (why) {
        changes.push({
          kind: 'k8s-kubeconfig',
          id: `kubeconfig:${t.uid}`,
          summary: `issue a client certificate for ${t.user} and write ${t.kubeconfigPath} (${why})`,
          destructive: false,
          uid: t.uid,
          user: t.user,
          namespace: t.namespace,
          path: t.kubeconfigPath,
          uidNumber: t.uidNumber,
          gidNumber: t.gidNumber,
        });
      }
    }
  }

  if (desired.known) {
    const held = new Set(desired.held);
    const grace = parseDuration(config.disabled.gracePeriod);
    const tenantsWithNamespace = new Set<string>();
    // The RoleBindings of each namespace, in observed order: gathered in one pass once a tenant is to be disabled,
    // instead of a pass over every object (15k for 3k tenants) per tenant disabled.
    let bindings: Map<string, string[]> | undefined;
    const bindingsIn = (namespace: string): string[] => {
      if (!bindings) {
        bindings = new Map();
        for (const o of observed.objects) {
          if (o.kind !== 'RoleBinding' || o.namespace === undefined) continue;
          const names = bindings.get(o.namespace);
          if (names) names.push(o.name);
          else bindings.set(o.namespace, [o.name]);
        }
      }
      return [...(bindings.get(namespace) ?? [])];
    };
    for (const ns of observed.namespaces) {
      if (!ns.managed || !ns.tenant) continue;
      tenantsWithNamespace.add(ns.tenant);
      if (wanted.has(ns.tenant) || held.has(ns.tenant) || ns.phase === 'Terminating') continue;
      const uid = ns.tenant;
      const roleBindings = bindingsIn(ns.name);
      const at = observed.disabledAt[uid];
      if (roleBindings.length > 0 || !ns.disabled || at === undefined) {
        changes.push({
          kind: 'k8s-disable',
          id: `disable:${uid}`,
          summary: `disable tenant ${uid}: remove its RoleBinding, label namespace ${ns.name} disabled${config.disabled.scaleToZero ? ', scale its workloads to zero' : ''} (deleted after ${config.disabled.gracePeriod})`,
          destructive: true,
          uid,
          namespace: ns.name,
          roleBindings,
          namespaceLabels: { ...config.labels, ...managedLabels(options.target, uid), [DISABLED_LABEL]: 'true' },
          scaleToZero: config.disabled.scaleToZero,
          remove: roleBindings.map((n) => `RoleBinding/${n}`),
        });
      } else if (now - Date.parse(at) >= grace) {
        changes.push({
          kind: 'k8s-delete-namespace',
          id: `delete-namespace:${uid}`,
          summary: `delete namespace ${ns.name} of tenant ${uid} (disabled since ${at})`,
          destructive: true,
          uid,
          namespace: ns.name,
          remove: [`Namespace/${ns.name}`],
        });
      }
    }
    for (const uid of Object.keys(observed.disabledAt).sort()) {
      if (wanted.has(uid) || tenantsWithNamespace.has(uid)) continue;
      changes.push({
        kind: 'k8s-forget',
        id: `forget:${uid}`,
        summary: `forget the disabled record of ${uid} (its namespace is gone)`,
        destructive: false,
        uid,
      });
    }
  }
  return changes.sort(byOrder);
}

/** Findings for a human: accounts left out, tenant names taken by unmanaged namespaces, tenants awaiting deletion. */
export function tenantNotes(
  config: KubernetesTenantsConfig,
  desired: KubernetesTenantsDesired,
  observed: KubernetesTenantsObserved,
): string[] {
  const notes = [...desired.problems];
  if (!desired.known) notes.push(`${config.group}: ${desired.why ?? 'unknown'}; no tenant is disabled this run`);
  const namespaces = new Map(observed.namespaces.map((n) => [n.name, n]));
  for (const t of desired.tenants) {
    const ns = namespaces.get(t.namespace);
    if (ns && !ns.managed)
      notes.push(`namespace ${t.namespace} exists without gatehouse's labels; tenant ${t.uid} is not set up in it`);
    if (ns?.phase === 'Terminating')
      notes.push(`namespace ${t.namespace} is terminating; tenant ${t.uid} is set up again once it is gone`);
  }
  return notes;
}

export function managedLabels(target: string, uid: string): Record<string, string> {
  return { [MANAGED_BY]: MANAGED_BY_VALUE, [TARGET_LABEL]: target, [TENANT_LABEL]: uid };
}

export function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

function drifted(
  config: KubernetesTenantsConfig,
  m: Manifest,
  objects: ReadonlyMap<string, ObservedObject>,
): ApplyObject[] {
  const o = objects.get(objectKey(m.kind, m.metadata.namespace, m.metadata.name));
  if (o && matches(o, m)) return [];
  const force = config.apply.force || (o !== undefined && o.otherAppliers.length === 0);
  // roleRef cannot be changed in place: a binding to another role is deleted and created again.
  const recreate = o !== undefined && m.kind === 'RoleBinding' && !covers(o.body.roleRef, m.roleRef);
  return [{ manifest: m, force, ...(recreate ? { recreate } : {}) }];
}

/** The observed object holds every field the manifest applies (quantities by value), and no extra quota or data key. */
export function matches(o: ObservedObject, m: Manifest): boolean {
  const { metadata } = m;
  if (!covers(o.labels, metadata.labels ?? {}) || !covers(o.annotations, metadata.annotations ?? {})) return false;
  // The body is every field but apiVersion, kind and metadata: compared in place, without a copy of it per object.
  const have = o.body as Record<string, unknown>;
  for (const k in m) {
    if (!Object.hasOwn(m, k) || k === 'apiVersion' || k === 'kind' || k === 'metadata') continue;
    if (!covers(have[k], m[k as keyof Manifest])) return false;
  }
  // Maps gatehouse owns whole: a key added by hand is drift too.
  if (m.kind === 'ResourceQuota')
    return sameKeys((o.body.spec as { hard?: unknown } | undefined)?.hard, (m.spec as { hard: unknown }).hard);
  if (m.kind === 'ConfigMap') return sameKeys(o.body.data, m.data);
  return true;
}

/** `have` holds everything in `want`: objects key by key (extra keys allowed), lists element by element, quantities by value. */
export function covers(have: unknown, want: unknown): boolean {
  if (typeof want === 'string' && typeof have === 'string') return sameQuantity(have, want);
  // Loops, not entries and callbacks: called for every field of every object of every tenant (15k objects for 3k);
  // `for…in` over own keys, not Object.keys, which copies each object's keys into a new array.
  if (Array.isArray(want)) {
    if (!Array.isArray(have) || have.length !== want.length) return false;
    for (let i = 0; i < want.length; i++) if (!covers(have[i], want[i])) return false;
    return true;
  }
  if (typeof want === 'object' && want !== null) {
    if (typeof have !== 'object' || have === null || Array.isArray(have)) return false;
    const h = have as Record<string, unknown>;
    const w = want as Record<string, unknown>;
    for (const k in w) if (Object.hasOwn(w, k) && !covers(h[k], w[k])) return false;
    return true;
  }
  return have === want;
}

/** The same own keys: as many of them, and each of `b`'s one of `a`'s (keys of one object are distinct; no sort). */
function sameKeys(a: unknown, b: unknown): boolean {
  const ha = a ?? {};
  const hb = b ?? {};
  let na = 0;
  for (const k in ha) if (Object.hasOwn(ha, k)) na++;
  let nb = 0;
  for (const k in hb) {
    if (!Object.hasOwn(hb, k)) continue;
    if (!Object.hasOwn(ha, k) || !Object.prototype.propertyIsEnumerable.call(ha, k)) return false;
    nb++;
  }
  return na === nb;
}

function kubeconfigDue(
  config: KubernetesTenantsConfig,
  t: DesiredTenant,
  k: ObservedKubeconfig | undefined,
  server: string,
  now: number,
): string | undefined {
  if (!k || k.path !== t.kubeconfigPath) return 'no kubeconfig written yet';
  if (k.state !== 'ok') return `kubeconfig ${k.state}`;
  if (k.user !== t.user) return `certificate is for ${k.user ?? 'nobody'}`;
  if (k.server !== server) return `kubeconfig names server ${k.server ?? '?'}`;
  const from = Date.parse(k.notBefore!);
  const to = Date.parse(k.notAfter!);
  if (now >= from + (to - from) * config.credentials!.renewAfter)
    return `certificate expires ${k.notAfter}: renewal due`;
  return undefined;
}

const ORDER: Record<KubernetesTenantsChange['kind'], number> = {
  'k8s-policy': 0,
  'k8s-tenant': 1,
  'k8s-kubeconfig': 2,
  'k8s-disable': 3,
  'k8s-delete-namespace': 4,
  'k8s-forget': 5,
};

function byOrder(a: KubernetesTenantsChange, b: KubernetesTenantsChange): number {
  return ORDER[a.kind] - ORDER[b.kind] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
