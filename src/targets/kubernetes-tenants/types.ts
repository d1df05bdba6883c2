import type { Change } from '../../core/contracts.ts';

/** A Kubernetes object as sent on the wire (JSON field names, not a client library's). */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

export interface DesiredTenant {
  readonly uid: string;
  readonly namespace: string;
  readonly user: string;
  readonly uidNumber: number;
  readonly gidNumber: number;
  readonly home: string;
  /** Kubeconfig path, when credentials are configured. */
  readonly kubeconfigPath?: string;
  /** Namespace first, then the namespace's contents. */
  readonly objects: readonly Manifest[];
}

export interface KubernetesTenantsDesired {
  /** False when the group could not be resolved (source unreadable, no such group): nobody is disabled then. */
  readonly known: boolean;
  readonly why?: string;
  /** The clock reading the plan is made at (ISO 8601): grace periods and certificate renewal are judged against it. */
  readonly now: string;
  readonly tenants: readonly DesiredTenant[];
  /** The ValidatingAdmissionPolicy and its binding, shared by all tenants. */
  readonly policy: readonly Manifest[];
  /** Accounts left out (invalid names, missing attributes), for the plan's notes. */
  readonly problems: readonly string[];
  /** uids of group members left out for a data problem: their existing tenants are kept as they are, not disabled. */
  readonly held: readonly string[];
}

/** What a diff compares of an observed object: its labels and annotations, and everything but metadata and status. */
export interface ObservedObject {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly tenant?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly body: Readonly<Record<string, unknown>>;
  /** Other server-side apply managers (operation Apply) owning fields of it: their fields are not ours to force. */
  readonly otherAppliers: readonly string[];
}

export interface ObservedNamespace {
  readonly name: string;
  /** Carries gatehouse's managed-by label for this target. */
  readonly managed: boolean;
  readonly tenant?: string;
  readonly phase: string;
  readonly disabled: boolean;
  /** Labels and annotations, of managed namespaces only (the others are never compared). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The kubeconfig file gatehouse wrote for a tenant, as found on disk. */
export interface ObservedKubeconfig {
  readonly uid: string;
  readonly path: string;
  /** `missing`: no file; `unreadable`: not a kubeconfig with a client certificate gatehouse can read. */
  readonly state: 'ok' | 'missing' | 'unreadable';
  readonly user?: string;
  readonly server?: string;
  readonly notBefore?: string;
  readonly notAfter?: string;
}

export interface KubernetesTenantsObserved {
  /** Every namespace of the cluster (managed or not), so a tenant's name taken by someone else is seen. Sorted. */
  readonly namespaces: readonly ObservedNamespace[];
  /** Managed objects other than namespaces, sorted by kind, namespace, name. */
  readonly objects: readonly ObservedObject[];
  /** When each disabled tenant was disabled (from the store), by uid. */
  readonly disabledAt: Readonly<Record<string, string>>;
  readonly kubeconfigs: readonly ObservedKubeconfig[];
}

/** One object to write with server-side apply. */
export interface ApplyObject {
  readonly manifest: Manifest;
  /** Take over fields other managers hold: set by config, or when only imperative edits (drift) hold them. */
  readonly force: boolean;
  /** Delete the object first: a field the API server never changes differs (a RoleBinding's roleRef). */
  readonly recreate?: boolean;
}

/** Creates or corrects a tenant: the objects that differ, namespace first. */
export interface TenantChange extends Change {
  readonly kind: 'k8s-tenant';
  readonly uid: string;
  readonly namespace: string;
  readonly objects: readonly ApplyObject[];
  /** The tenant was disabled and is back: its disabled record is cleared. */
  readonly reenable: boolean;
}

export interface PolicyChange extends Change {
  readonly kind: 'k8s-policy';
  readonly objects: readonly ApplyObject[];
}

/** Revokes access at once: deletes the RoleBinding(s), labels the namespace disabled, records when. */
export interface DisableChange extends Change {
  readonly kind: 'k8s-disable';
  readonly uid: string;
  readonly namespace: string;
  readonly roleBindings: readonly string[];
  readonly namespaceLabels: Readonly<Record<string, string>>;
  /** Scale the namespace's Deployments and StatefulSets to zero (config `disabled.scaleToZero`). */
  readonly scaleToZero: boolean;
}

/** Deletes the namespace of a tenant disabled for longer than the grace period. */
export interface DeleteNamespaceChange extends Change {
  readonly kind: 'k8s-delete-namespace';
  readonly uid: string;
  readonly namespace: string;
}

/** Forgets the disabled record of a tenant whose namespace is gone. */
export interface ForgetChange extends Change {
  readonly kind: 'k8s-forget';
  readonly uid: string;
}

/** Issues a client certificate through the CSR API and writes the account's kubeconfig. No key material in it. */
export interface KubeconfigChange extends Change {
  readonly kind: 'k8s-kubeconfig';
  readonly uid: string;
  readonly user: string;
  readonly namespace: string;
  readonly path: string;
  readonly uidNumber: number;
  readonly gidNumber: number;
}

export type KubernetesTenantsChange =
  TenantChange | PolicyChange | DisableChange | DeleteNamespaceChange | ForgetChange | KubeconfigChange;
