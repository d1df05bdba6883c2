import type { KubernetesTenantsConfig } from './config.ts';
import type { Manifest } from './types.ts';

/** Marks everything gatehouse manages; lists select on it, and nothing without it is ever touched. */
export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'gatehouse';
/** Which gatehouse target manages the object (two targets may share a cluster). */
export const TARGET_LABEL = 'gatehouse.dev/target';
export const TENANT_LABEL = 'gatehouse.dev/tenant';
/** On the namespace of a disabled tenant, until it is deleted or the account returns. */
export const DISABLED_LABEL = 'gatehouse.dev/disabled';
/** Selects the per-namespace params object of the pod-security policy. */
export const PARAMS_LABEL = 'gatehouse.dev/params';
export const PARAMS_VALUE = 'pod-security';
/** On the namespace: where the tenant's kubeconfig was written, so observe can check it without the directory. */
export const KUBECONFIG_ANNOTATION = 'gatehouse.dev/kubeconfig';

/** Names of the objects in every tenant namespace. */
export const NAMES = {
  roleBinding: 'gatehouse-tenant',
  quota: 'gatehouse-tenant',
  limits: 'gatehouse-tenant',
  networkPolicy: 'gatehouse-default',
  params: 'gatehouse-pod-security',
} as const;

export function managedSelector(target: string): string {
  return `${MANAGED_BY}=${MANAGED_BY_VALUE},${TARGET_LABEL}=${target}`;
}

export interface TenantFacts {
  readonly uid: string;
  readonly namespace: string;
  readonly user: string;
  readonly uidNumber: number;
  readonly gidNumber: number;
  readonly kubeconfigPath?: string;
  /** Quota overrides read from the directory (`attributes.quota`); config `overrides` win over them. */
  readonly quota?: Readonly<Record<string, string>>;
}

/** The objects of one tenant, namespace first. Pure. */
export function tenantManifests(config: KubernetesTenantsConfig, target: string, t: TenantFacts): Manifest[] {
  const labels = { ...config.labels, [MANAGED_BY]: MANAGED_BY_VALUE, [TARGET_LABEL]: target, [TENANT_LABEL]: t.uid };
  const meta = (name: string, extra: Record<string, string> = {}) => ({
    name,
    namespace: t.namespace,
    labels: { ...labels, ...extra },
  });
  const override = config.overrides[t.uid];
  const limitItem: Record<string, unknown> = { type: 'Container' };
  for (const k of ['default', 'defaultRequest', 'max'] as const) {
    const v = { ...config.limits[k], ...override?.limits?.[k] };
    if (Object.keys(v).length > 0) limitItem[k] = v;
  }
  const out: Manifest[] = [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: t.namespace,
        labels,
        ...(t.kubeconfigPath ? { annotations: { [KUBECONFIG_ANNOTATION]: t.kubeconfigPath } } : {}),
      },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(NAMES.roleBinding),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: config.clusterRole },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: t.user }],
    },
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: meta(NAMES.quota),
      spec: { hard: { ...config.quota, ...t.quota, ...override?.quota } },
    },
    {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: meta(NAMES.limits),
      spec: { limits: [limitItem] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(NAMES.networkPolicy),
      // Ingress only from pods of the same namespace; egress is left open.
      spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }] }] },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(NAMES.params, { [PARAMS_LABEL]: PARAMS_VALUE }),
      data: {
        runAsUser: String(t.uidNumber),
        runAsGroup: String(t.gidNumber),
        fsGroup: String(t.gidNumber),
        allowedVolumes: [...config.allowedVolumes].sort().join(','),
      },
    },
  ];
  return out;
}

/**
 * The one ValidatingAdmissionPolicy for every tenant and its binding. The binding selects tenant namespaces by label
 * and takes its parameters from the ConfigMap labelled `gatehouse.dev/params=pod-security` in the namespace of the pod
 * being admitted (a namespaced `paramKind` with a `paramRef.selector`); a namespace without one is denied.
 */
export function policyManifests(config: KubernetesTenantsConfig, target: string): Manifest[] {
  const labels = { ...config.labels, [MANAGED_BY]: MANAGED_BY_VALUE, [TARGET_LABEL]: target };
  const containers = 'object.spec.containers + object.spec.?initContainers.orValue([])';
  const pinned = (field: string, param: string) =>
    `object.spec.?securityContext.?${field}.orValue(-1) == int(params.data.${param}) && (${containers}).all(c, !has(c.securityContext) || !has(c.securityContext.${field}) || c.securityContext.${field} == int(params.data.${param}))`;
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: config.policyName, labels },
      spec: {
        failurePolicy: 'Fail',
        paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
        matchConstraints: {
          resourceRules: [
            { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] },
          ],
        },
        validations: [
          { expression: pinned('runAsUser', 'runAsUser'), message: "pods must run as the tenant's uid" },
          { expression: pinned('runAsGroup', 'runAsGroup'), message: "pods must run as the tenant's gid" },
          {
            expression: 'object.spec.?securityContext.?fsGroup.orValue(-1) == int(params.data.fsGroup)',
            message: "pods must set fsGroup to the tenant's gid",
          },
          {
            expression:
              "object.spec.?volumes.orValue([]).all(v, v.all(k, k == 'name' || k in params.data.allowedVolumes.split(',')))",
            message: 'a volume type the tenant may not use',
          },
        ],
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: config.policyName, labels },
      spec: {
        policyName: config.policyName,
        validationActions: ['Deny'],
        paramRef: {
          selector: { matchLabels: { [PARAMS_LABEL]: PARAMS_VALUE } },
          parameterNotFoundAction: 'Deny',
        },
        matchResources: {
          namespaceSelector: { matchLabels: { [MANAGED_BY]: MANAGED_BY_VALUE, [TARGET_LABEL]: target } },
        },
      },
    },
  ];
}
