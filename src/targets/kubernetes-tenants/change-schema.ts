import * as z from 'zod';
import { changeOf } from '../../core/change-schema.ts';

const name = z.string().min(1);
const labels = z.record(z.string(), z.string());
/** A manifest as the target writes it: the envelope is checked, the body is the API server's to judge. */
const manifest = z.looseObject({
  apiVersion: name,
  kind: name,
  metadata: z.looseObject({
    name,
    namespace: name.optional(),
    labels: labels.optional(),
    annotations: labels.optional(),
  }),
});
const objects = z.array(z.strictObject({ manifest, force: z.boolean(), recreate: z.boolean().optional() }));
const idNumber = z.number().int().nonnegative();

/** Every change the kubernetes-tenants target plans (`KubernetesTenantsChange`), for reading a saved plan back. */
export const tenantsChangeSchema = z.discriminatedUnion('kind', [
  changeOf('k8s-tenant', { uid: name, namespace: name, objects, reenable: z.boolean() }),
  changeOf('k8s-policy', { objects }),
  changeOf('k8s-disable', {
    uid: name,
    namespace: name,
    roleBindings: z.array(name),
    namespaceLabels: labels,
    scaleToZero: z.boolean(),
  }),
  changeOf('k8s-delete-namespace', { uid: name, namespace: name }),
  changeOf('k8s-forget', { uid: name }),
  changeOf('k8s-kubeconfig', {
    uid: name,
    user: name,
    namespace: name,
    path: z.string().min(1),
    uidNumber: idNumber,
    gidNumber: idNumber,
  }),
]);
