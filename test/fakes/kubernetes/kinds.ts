import { ValidatingAdmissionPolicy } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy';
import { ValidatingAdmissionPolicyBinding } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding';
import { SelfSubjectReview } from 'kubernetes-models/authentication.k8s.io/v1/SelfSubjectReview';
import { CertificateSigningRequest } from 'kubernetes-models/certificates.k8s.io/v1/CertificateSigningRequest';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { LimitRange } from 'kubernetes-models/v1/LimitRange';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Node } from 'kubernetes-models/v1/Node';
import { ResourceQuota } from 'kubernetes-models/v1/ResourceQuota';
import { Status } from '@kubernetes-models/apimachinery/apis/meta/v1/Status';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Scale } from 'kubernetes-models/autoscaling/v1/Scale';

/** A schema-backed model of `kubernetes-models`: constructing one and calling `validate()` throws on a violation. */
type Model = new (data: never) => { validate(): void };

/** One resource the fake serves. */
export interface KindInfo {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** The kubernetes-models class whose schema validates it. */
  readonly model: Model;
  /** The `@kubernetes/client-node` model name whose attribute map lists its fields (for the unknown-field check). */
  readonly clientType: string;
  /** Verbs the fake serves for it (as in APIResourceList). */
  readonly verbs: readonly string[];
}

const CRUD = ['create', 'delete', 'get', 'list', 'patch', 'update'];

export const KINDS: readonly KindInfo[] = [
  k('', 'v1', 'Namespace', 'namespaces', false, Namespace, 'V1Namespace'),
  k('', 'v1', 'ResourceQuota', 'resourcequotas', true, ResourceQuota, 'V1ResourceQuota'),
  k('', 'v1', 'LimitRange', 'limitranges', true, LimitRange, 'V1LimitRange'),
  k('', 'v1', 'ConfigMap', 'configmaps', true, ConfigMap, 'V1ConfigMap'),
  k('', 'v1', 'Node', 'nodes', false, Node, 'V1Node'),
  k('apps', 'v1', 'Deployment', 'deployments', true, Deployment, 'V1Deployment'),
  k('apps', 'v1', 'StatefulSet', 'statefulsets', true, StatefulSet, 'V1StatefulSet'),
  k('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true, RoleBinding, 'V1RoleBinding'),
  k('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, NetworkPolicy, 'V1NetworkPolicy'),
  k(
    'admissionregistration.k8s.io',
    'v1',
    'ValidatingAdmissionPolicy',
    'validatingadmissionpolicies',
    false,
    ValidatingAdmissionPolicy,
    'V1ValidatingAdmissionPolicy',
  ),
  k(
    'admissionregistration.k8s.io',
    'v1',
    'ValidatingAdmissionPolicyBinding',
    'validatingadmissionpolicybindings',
    false,
    ValidatingAdmissionPolicyBinding,
    'V1ValidatingAdmissionPolicyBinding',
  ),
  k(
    'certificates.k8s.io',
    'v1',
    'CertificateSigningRequest',
    'certificatesigningrequests',
    false,
    CertificateSigningRequest,
    'V1CertificateSigningRequest',
  ),
  {
    ...k('authentication.k8s.io', 'v1', 'SelfSubjectReview', 'selfsubjectreviews', false, SelfSubjectReview, ''),
    clientType: 'V1SelfSubjectReview',
    verbs: ['create'],
  },
];

/** The `scale` subresource of deployments and stateful sets. */
export const SCALE_KIND: KindInfo = { ...k('autoscaling', 'v1', 'Scale', '', true, Scale, 'V1Scale'), verbs: [] };

/** `Status`, the body of errors and of most deletes. */
export const STATUS_KIND: KindInfo = { ...k('', 'v1', 'Status', '', false, Status, 'V1Status'), verbs: [] };

function k(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  model: unknown,
  clientType: string,
): KindInfo {
  return { group, version, kind, plural, namespaced, model: model as Model, clientType, verbs: CRUD };
}

export function apiVersionOf(info: KindInfo): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}

/** The kind served at `/api/v1/<plural>` or `/apis/<group>/<version>/<plural>`. */
export function kindByPath(group: string, version: string, plural: string): KindInfo | undefined {
  return KINDS.find((x) => x.group === group && x.version === version && x.plural === plural);
}

export function kindByName(kind: string): KindInfo {
  const info = KINDS.find((x) => x.kind === kind);
  if (!info) throw new Error(`the fake does not serve kind ${kind}`);
  return info;
}
