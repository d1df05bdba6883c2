import { defineTarget } from '../../plugins.ts';
import { tenantsChangeSchema } from './change-schema.ts';
import { kubernetesTenantsSchema, kubernetesTenantsSourceRefs } from './config.ts';
import { createKubernetesTenantsTarget } from './target.ts';

/**
 * The `kubernetes-tenants` target: a Kubernetes tenant per member of a group (namespace, RoleBinding to a ClusterRole,
 * ResourceQuota, LimitRange, NetworkPolicy, pod-security params for one shared ValidatingAdmissionPolicy), observed in
 * a fixed number of list requests and written with server-side apply; optional client certificates and kubeconfigs;
 * disabled tenants lose their RoleBinding at once and their namespace after a grace period.
 */
export const kubernetesTenantsTarget = defineTarget({
  type: 'kubernetes-tenants',
  schema: kubernetesTenantsSchema,
  changeSchema: tenantsChangeSchema,
  sourceRefs: kubernetesTenantsSourceRefs,
  create: (name, config, deps) => createKubernetesTenantsTarget(name, config, deps),
});

export { kubernetesTenantsSchema, type KubernetesTenantsConfig } from './config.ts';
export { createKubernetesTenantsTarget, type KubernetesTenantsTarget, type TargetOptions } from './target.ts';
export { desiredState } from './desired.ts';
export { diffTenants, tenantNotes, covers, matches } from './diff.ts';
export { guardTenants } from './guard.ts';
export { makeCsr } from './csr.ts';
export * from './manifests.ts';
export type * from './types.ts';
export { tenantsChangeSchema } from './change-schema.ts';
