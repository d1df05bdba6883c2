import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { TargetState } from '../../core/target-state.ts';
import type { KubeClient } from '../../adapters/kubernetes/client.ts';
import {
  DISABLED_LABEL,
  KUBECONFIG_ANNOTATION,
  MANAGED_BY,
  MANAGED_BY_VALUE,
  TARGET_LABEL,
  TENANT_LABEL,
  managedSelector,
} from './manifests.ts';
import type { KubernetesTenantsObserved, ObservedKubeconfig, ObservedNamespace, ObservedObject } from './types.ts';

/** The field manager gatehouse writes as. */
export const FIELD_MANAGER = 'gatehouse';

interface Item {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: { manager?: string; operation?: string }[];
  };
  status?: { phase?: string };
  [k: string]: unknown;
}

/** The managed kinds besides namespaces: one labelled list each, across all namespaces. */
export const LISTED: readonly { readonly kind: string; readonly path: string }[] = [
  { kind: 'RoleBinding', path: '/apis/rbac.authorization.k8s.io/v1/rolebindings' },
  { kind: 'ResourceQuota', path: '/api/v1/resourcequotas' },
  { kind: 'LimitRange', path: '/api/v1/limitranges' },
  { kind: 'NetworkPolicy', path: '/apis/networking.k8s.io/v1/networkpolicies' },
  { kind: 'ConfigMap', path: '/api/v1/configmaps' },
  { kind: 'ValidatingAdmissionPolicy', path: '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies' },
  {
    kind: 'ValidatingAdmissionPolicyBinding',
    path: '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings',
  },
];

/**
 * Reads the cluster in a fixed number of requests, whatever the number of tenants: one list of namespaces (all of
 * them, so that a tenant's name already taken by an unmanaged namespace is seen) and one labelled list per managed
 * kind across all namespaces, each paginated with `limit` / `continue` — never a read per tenant. Then the disabled
 * records of the store and, for each managed namespace that names one, the kubeconfig file on disk. Reads only.
 */
export async function observeTenants(
  client: KubeClient,
  target: string,
  state: TargetState,
  pageSize: number,
  signal: AbortSignal,
): Promise<KubernetesTenantsObserved> {
  const selector = managedSelector(target);
  const [namespaceItems, ...lists] = await Promise.all([
    listAll(client, '/api/v1/namespaces', undefined, pageSize, signal),
    ...LISTED.map((l) => listAll(client, l.path, selector, pageSize, signal)),
  ]);
  const namespaces: ObservedNamespace[] = [];
  const paths: { uid: string; path: string }[] = [];
  for (const n of namespaceItems) {
    const labels = n.metadata.labels ?? {};
    const managed = labels[MANAGED_BY] === MANAGED_BY_VALUE && labels[TARGET_LABEL] === target;
    const tenant = managed ? labels[TENANT_LABEL] : undefined;
    namespaces.push({
      name: n.metadata.name,
      managed,
      ...(tenant ? { tenant } : {}),
      phase: n.status?.phase ?? 'Active',
      disabled: managed && labels[DISABLED_LABEL] === 'true',
      ...(managed ? { labels, annotations: n.metadata.annotations ?? {} } : {}),
    });
    const path = n.metadata.annotations?.[KUBECONFIG_ANNOTATION];
    if (tenant && path) paths.push({ uid: tenant, path });
  }
  namespaces.sort((a, b) => cmp(a.name, b.name));
  const objects: ObservedObject[] = [];
  lists.forEach((items, i) => {
    const kind = LISTED[i]!.kind;
    for (const it of items) objects.push(toObserved(kind, it));
  });
  objects.sort((a, b) => cmp(a.kind, b.kind) || cmp(a.namespace ?? '', b.namespace ?? '') || cmp(a.name, b.name));
  const disabledAt: Record<string, string> = {};
  for (const [key, value] of await state.list(disabledPrefix(target))) {
    const at = (value as { disabledAt?: unknown } | null)?.disabledAt;
    if (typeof at === 'string') disabledAt[key.slice(disabledPrefix(target).length)] = at;
  }
  const kubeconfigs = await Promise.all(paths.map((p) => readKubeconfig(p.uid, p.path)));
  kubeconfigs.sort((a, b) => cmp(a.uid, b.uid));
  return { namespaces, objects, disabledAt, kubeconfigs };
}

/** Store keys of disabled tenants: `kubernetes-tenants/<target>/disabled/<uid>`. */
export function disabledPrefix(target: string): string {
  return `kubernetes-tenants/${target}/disabled/`;
}

async function listAll(
  client: KubeClient,
  path: string,
  labelSelector: string | undefined,
  pageSize: number,
  signal: AbortSignal,
): Promise<Item[]> {
  const items: Item[] = [];
  let token: string | undefined;
  // Bounded: a server that never stops paging is an error, not a loop.
  for (let page = 0; page < 10_000; page++) {
    const list = await client.send<{ items?: Item[]; metadata?: { continue?: string } }>(
      { method: 'GET', path, query: { labelSelector, limit: String(pageSize), continue: token } },
      signal,
    );
    items.push(...(list.items ?? []));
    token = list.metadata?.continue || undefined;
    if (!token) return items;
  }
  throw new Error(`${path}: more than 10,000 pages`);
}

function toObserved(kind: string, it: Item): ObservedObject {
  const { apiVersion: _a, kind: _k, metadata, status: _s, ...body } = it;
  const md = metadata;
  const otherAppliers = [
    ...new Set(
      (md.managedFields ?? [])
        .filter((f) => f.operation === 'Apply' && f.manager !== FIELD_MANAGER && f.manager !== undefined)
        .map((f) => f.manager as string),
    ),
  ].sort();
  const tenant = md.labels?.[TENANT_LABEL];
  return {
    kind,
    ...(md.namespace !== undefined ? { namespace: md.namespace } : {}),
    name: md.name,
    ...(tenant ? { tenant } : {}),
    labels: md.labels ?? {},
    annotations: md.annotations ?? {},
    body: body,
    otherAppliers,
  };
}

async function readKubeconfig(uid: string, path: string): Promise<ObservedKubeconfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return { uid, path, state: 'missing' };
  }
  try {
    const doc = parseYaml(text) as {
      clusters?: { cluster?: { server?: string } }[];
      users?: { user?: { 'client-certificate-data'?: string } }[];
    };
    const certData = doc.users?.[0]?.user?.['client-certificate-data'];
    const server = doc.clusters?.[0]?.cluster?.server;
    if (!certData || !server) return { uid, path, state: 'unreadable' };
    const cert = new X509Certificate(Buffer.from(certData, 'base64'));
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
    return {
      uid,
      path,
      state: 'ok',
      ...(cn ? { user: cn } : {}),
      server,
      notBefore: new Date(cert.validFrom).toISOString(),
      notAfter: new Date(cert.validTo).toISOString(),
    };
  } catch {
    return { uid, path, state: 'unreadable' };
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
