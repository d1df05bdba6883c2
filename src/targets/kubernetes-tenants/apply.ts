import type { ChangeResult } from '../../core/contracts.ts';
import { GatehouseError, describeError } from '../../core/errors.ts';
import { mapLimit } from '../../core/map-limit.ts';
import type { TargetState } from '../../core/target-state.ts';
import { KubeApiError, type KubeClient } from '../../adapters/kubernetes/client.ts';
import type { KubernetesTenantsConfig } from './config.ts';
import { issueKubeconfig } from './credentials.ts';
import { FIELD_MANAGER, disabledPrefix } from './observe.ts';
import type { ApplyObject, KubernetesTenantsChange, Manifest } from './types.ts';

/** Where each managed kind lives in the API. */
const RESOURCES: Record<string, { readonly base: string; readonly plural: string; readonly namespaced: boolean }> = {
  Namespace: { base: '/api/v1', plural: 'namespaces', namespaced: false },
  ResourceQuota: { base: '/api/v1', plural: 'resourcequotas', namespaced: true },
  LimitRange: { base: '/api/v1', plural: 'limitranges', namespaced: true },
  ConfigMap: { base: '/api/v1', plural: 'configmaps', namespaced: true },
  RoleBinding: { base: '/apis/rbac.authorization.k8s.io/v1', plural: 'rolebindings', namespaced: true },
  NetworkPolicy: { base: '/apis/networking.k8s.io/v1', plural: 'networkpolicies', namespaced: true },
  ValidatingAdmissionPolicy: {
    base: '/apis/admissionregistration.k8s.io/v1',
    plural: 'validatingadmissionpolicies',
    namespaced: false,
  },
  ValidatingAdmissionPolicyBinding: {
    base: '/apis/admissionregistration.k8s.io/v1',
    plural: 'validatingadmissionpolicybindings',
    namespaced: false,
  },
};

export function objectPath(kind: string, namespace: string | undefined, name: string): string {
  const r = RESOURCES[kind];
  if (!r) throw new GatehouseError('PLAN_INVALID', `kind ${kind} is not managed by this target`);
  const ns = r.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? '')}` : '';
  return `${r.base}${ns}/${r.plural}/${encodeURIComponent(name)}`;
}

export interface ApplyContext {
  readonly config: KubernetesTenantsConfig;
  readonly target: string;
  readonly client: KubeClient;
  readonly state: TargetState;
  /** API server URL written into kubeconfigs. */
  readonly kubeconfigServer: string;
  readonly now: () => Date;
}

/**
 * Applies changes in order — the policy, then tenants, kubeconfigs, disables, namespace deletions, forgotten records —
 * each group with at most `apply.concurrency` in flight, every request through the client's QPS limit. Each change
 * stands alone: a failure is recorded and the others go on. Objects are written with server-side apply (field manager
 * `gatehouse`, `force` only as the change says), so one request creates or updates; a conflict with another manager
 * fails that change with the fields and managers named.
 */
export async function applyTenants(
  ctx: ApplyContext,
  changes: readonly KubernetesTenantsChange[],
  signal: AbortSignal,
): Promise<ChangeResult[]> {
  const results = new Map<string, ChangeResult>();
  const order: KubernetesTenantsChange['kind'][] = [
    'k8s-policy',
    'k8s-tenant',
    'k8s-kubeconfig',
    'k8s-disable',
    'k8s-delete-namespace',
    'k8s-forget',
  ];
  for (const kind of order) {
    const group = changes.filter((c) => c.kind === kind);
    await mapLimit(group, ctx.config.apply.concurrency, signal, async (c, s) => {
      results.set(c.id, await applyIsolated(ctx, c, s));
    }).catch(() => undefined);
  }
  return changes.map((c) => results.get(c.id) ?? { id: c.id, status: 'skipped', message: 'aborted' });
}

async function applyIsolated(
  ctx: ApplyContext,
  c: KubernetesTenantsChange,
  signal: AbortSignal,
): Promise<ChangeResult> {
  if (signal.aborted) return { id: c.id, status: 'skipped', message: 'aborted' };
  try {
    return { id: c.id, status: 'applied', message: await applyOne(ctx, c, signal) };
  } catch (e) {
    const err = e instanceof GatehouseError ? e : new GatehouseError('TARGET_FAILED', c.id, { cause: e });
    return { id: c.id, status: 'failed', message: describeError(err), errorCode: err.code };
  }
}

async function applyOne(ctx: ApplyContext, c: KubernetesTenantsChange, signal: AbortSignal): Promise<string> {
  const { client, state, target } = ctx;
  switch (c.kind) {
    case 'k8s-policy': {
      for (const o of c.objects) await serverSideApply(client, o, signal);
      return `applied ${c.objects.length} object(s)`;
    }
    case 'k8s-tenant': {
      for (const o of c.objects) {
        const out = await serverSideApply(client, o, signal);
        if (o.manifest.kind === 'Namespace') {
          const phase = (out as { status?: { phase?: string } }).status?.phase;
          if (phase !== 'Active') {
            throw new GatehouseError(
              'TARGET_FAILED',
              `${c.id}: namespace ${c.namespace} is ${phase ?? 'not active'}; its contents are not applied`,
            );
          }
        }
      }
      if (c.reenable) await state.delete(disabledPrefix(target) + c.uid);
      return `applied ${c.objects.map((o) => o.manifest.kind).join(', ') || 'nothing'}${c.reenable ? '; re-enabled' : ''}`;
    }
    case 'k8s-kubeconfig':
      return issueKubeconfig(ctx.config, client, ctx.kubeconfigServer, c, signal);
    case 'k8s-disable': {
      // Access first: the RoleBinding goes before anything else can fail.
      for (const name of c.roleBindings)
        await deleteIgnoringAbsent(client, objectPath('RoleBinding', c.namespace, name), signal);
      const ns: Manifest = {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: c.namespace, labels: c.namespaceLabels },
      };
      await serverSideApply(client, { manifest: ns, force: ctx.config.apply.force }, signal);
      const scaled = c.scaleToZero ? await scaleToZero(client, c.namespace, signal) : 0;
      const key = disabledPrefix(target) + c.uid;
      if ((await state.get(key)) === undefined) {
        await state.set(key, { disabledAt: ctx.now().toISOString(), namespace: c.namespace });
      }
      return `RoleBinding removed, namespace ${c.namespace} labelled disabled${c.scaleToZero ? `, ${scaled} workload(s) scaled to zero` : ''}`;
    }
    case 'k8s-delete-namespace': {
      await deleteIgnoringAbsent(client, objectPath('Namespace', undefined, c.namespace), signal);
      await state.delete(disabledPrefix(target) + c.uid);
      return `namespace ${c.namespace} deleted`;
    }
    case 'k8s-forget': {
      await state.delete(disabledPrefix(target) + c.uid);
      return 'record forgotten';
    }
    default: {
      const { id, kind } = c as { id?: unknown; kind?: unknown };
      throw new GatehouseError('PLAN_INVALID', `${String(id)}: unknown change kind ${String(kind)}`);
    }
  }
}

async function serverSideApply(client: KubeClient, o: ApplyObject, signal: AbortSignal): Promise<unknown> {
  const m = o.manifest;
  if (o.recreate) await deleteIgnoringAbsent(client, objectPath(m.kind, m.metadata.namespace, m.metadata.name), signal);
  try {
    return await client.send(
      {
        method: 'PATCH',
        path: objectPath(m.kind, m.metadata.namespace, m.metadata.name),
        query: { fieldManager: FIELD_MANAGER, ...(o.force ? { force: 'true' } : {}) },
        body: m,
        contentType: 'application/apply-patch+yaml',
      },
      signal,
    );
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 409) {
      const fields = e.causes.map((x) => `${x.field ?? '?'} (${x.message ?? 'another manager'})`).join(', ');
      throw new GatehouseError(
        'TARGET_FAILED',
        `${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata.name}: conflict on ${fields}; not overwritten (apply.force: true takes such fields over)`,
        { cause: e },
      );
    }
    throw e;
  }
}

/**
 * Scales every Deployment and StatefulSet of the namespace that has replicas to zero through the `scale` subresource
 * (a merge patch of `spec.replicas`, as `kubectl scale` does), so no field of their owners' manifests changes hands
 * beyond the replica count. Returns how many were scaled.
 */
async function scaleToZero(client: KubeClient, namespace: string, signal: AbortSignal): Promise<number> {
  let scaled = 0;
  for (const plural of ['deployments', 'statefulsets']) {
    const base = `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/${plural}`;
    const list = await client.send<{ items?: { metadata: { name: string }; spec?: { replicas?: number } }[] }>(
      { method: 'GET', path: base },
      signal,
    );
    for (const w of list.items ?? []) {
      if ((w.spec?.replicas ?? 1) === 0) continue;
      await client.send(
        {
          method: 'PATCH',
          path: `${base}/${encodeURIComponent(w.metadata.name)}/scale`,
          query: { fieldManager: FIELD_MANAGER },
          body: { spec: { replicas: 0 } },
          contentType: 'application/merge-patch+json',
        },
        signal,
      );
      scaled++;
    }
  }
  return scaled;
}

async function deleteIgnoringAbsent(client: KubeClient, path: string, signal: AbortSignal): Promise<void> {
  try {
    await client.send({ method: 'DELETE', path }, signal);
  } catch (e) {
    if (!(e instanceof KubeApiError && e.status === 404)) throw e;
  }
}
