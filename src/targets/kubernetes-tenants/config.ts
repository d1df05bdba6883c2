import * as z from 'zod';
import type { SourceRef } from '../../plugins.ts';
import { DURATION_PATTERN } from '../../core/duration.ts';
import { parseGroupRef, type GroupRef } from '../../core/people.ts';
import { connectionSchema } from '../../adapters/kubernetes/connection.ts';

/** Same rule as source names in the config schema; a group reference starts with one. */
const SOURCE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const REF_MESSAGE = 'write a group as source/group, e.g. directory/tools';

const groupRef = z
  .string({ error: REF_MESSAGE })
  .refine((s) => {
    const r = parseGroupRef(s);
    return r !== undefined && SOURCE_NAME.test(r.source);
  }, REF_MESSAGE)
  .describe('The group whose members each get a tenant, written source/group (typically an ldap source).');

export function groupRefOf(text: string): GroupRef {
  const r = parseGroupRef(text);
  if (!r) throw new Error(`not a group reference: ${JSON.stringify(text)}`);
  return r;
}

const duration = () => z.string().regex(DURATION_PATTERN, 'a duration such as 30s, 15m, 24h, 30d');
/** A Kubernetes quantity (`500m`, `2`, `4Gi`); the API server checks it too, this catches typos at load time. */
const quantity = z
  .string()
  .regex(
    /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/,
    'a Kubernetes quantity, e.g. 500m, 2, 4Gi',
  );
const resources = z.record(z.string().min(1), quantity);
const attributeName = z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'an attribute name');
const labelMap = z.record(z.string().min(1), z.string());

const limitsSchema = z
  .object({
    default: resources.default({}).describe('Container limits when a pod sets none.'),
    defaultRequest: resources.default({}).describe('Container requests when a pod sets none.'),
    max: resources.default({}).describe('Largest container limits allowed.'),
  })
  .strict();

export const kubernetesTenantsSchema = z
  .object({
    type: z.literal('kubernetes-tenants'),
    description: z.string().optional(),
    connection: connectionSchema,
    group: groupRef,
    namespaceTemplate: z
      .string()
      .includes('{uid}')
      .default('tool-{uid}')
      .describe(
        'Namespace name per account; {uid} is replaced. A result that is not a DNS-1123 label is reported, never altered.',
      ),
    userTemplate: z
      .string()
      .includes('{uid}')
      .default('{uid}')
      .describe('Kubernetes user name of the account: the RoleBinding subject and the client certificate CN.'),
    clusterRole: z.string().min(1).default('edit').describe('ClusterRole the account is bound to in its namespace.'),
    attributes: z
      .object({
        uidNumber: attributeName.default('uidNumber'),
        gidNumber: attributeName.default('gidNumber'),
        home: attributeName.default('homeDirectory'),
        quota: attributeName
          .optional()
          .describe(
            'An attribute holding per-account quota overrides, written name=quantity,… (e.g. limits.memory=8Gi,pods=40).',
          ),
      })
      .strict()
      .default({ uidNumber: 'uidNumber', gidNumber: 'gidNumber', home: 'homeDirectory' })
      .describe('Directory attributes the source carries for each person (ldap: people.attributes.extra).'),
    quota: resources
      .default({ 'limits.cpu': '2', 'limits.memory': '4Gi', pods: '20' })
      .describe('ResourceQuota spec.hard of every tenant.'),
    limits: limitsSchema
      .default({ default: {}, defaultRequest: {}, max: {} })
      .describe('LimitRange (type Container) of every tenant.'),
    overrides: z
      .record(
        z.string().min(1),
        z.object({ quota: resources.optional(), limits: limitsSchema.partial().optional() }).strict(),
      )
      .default({})
      .describe('Per-account quota / limit overrides, by uid; merged over the defaults key by key.'),
    allowedVolumes: z
      .array(z.string().min(1))
      .default(['configMap', 'secret', 'emptyDir', 'projected', 'downwardAPI', 'persistentVolumeClaim'])
      .describe('Pod volume types the tenant pod-security policy allows (its per-namespace params).'),
    policyName: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/)
      .default('gatehouse-tenant-pod-security')
      .describe('Name of the one ValidatingAdmissionPolicy (and its binding) shared by every tenant.'),
    labels: labelMap.default({}).describe('Extra labels on every managed object.'),
    disabled: z
      .object({
        gracePeriod: duration()
          .default('30d')
          .describe(
            "How long a disabled tenant's namespace is kept (labelled disabled, no RoleBinding) before deletion.",
          ),
        scaleToZero: z
          .boolean()
          .default(false)
          .describe('Also scale the Deployments and StatefulSets of a disabled tenant to zero replicas.'),
      })
      .strict()
      .default({ gracePeriod: '30d', scaleToZero: false }),
    guards: z
      .object({
        maxNamespaceDeletions: z.number().int().min(0).default(5).describe('Most namespaces deleted per run.'),
        maxNamespaceDeletionFraction: z
          .number()
          .min(0)
          .max(1)
          .default(0.05)
          .describe('Largest share of managed namespaces deleted per run (1 disables).'),
        maxRoleBindingRemovals: z
          .number()
          .int()
          .min(0)
          .default(50)
          .describe('Most tenants disabled (RoleBinding removed) per run.'),
        maxRoleBindingRemovalFraction: z
          .number()
          .min(0)
          .max(1)
          .default(0.1)
          .describe('Largest share of tenants disabled per run (1 disables). A single removal never trips it.'),
      })
      .strict()
      .default({
        maxNamespaceDeletions: 5,
        maxNamespaceDeletionFraction: 0.05,
        maxRoleBindingRemovals: 50,
        maxRoleBindingRemovalFraction: 0.1,
      }),
    apply: z
      .object({
        force: z
          .boolean()
          .default(false)
          .describe(
            'Take over fields another applier (server-side apply manager) owns. Off: such a conflict is reported.',
          ),
        concurrency: z.number().int().min(1).max(64).default(8).describe('Tenants written in parallel.'),
        qps: z.number().positive().default(20).describe('Client-side limit of API requests per second.'),
        burst: z.number().int().min(1).default(40).describe('Requests allowed at once above the QPS rate.'),
        pageSize: z.number().int().min(1).default(5000).describe('`limit` of each list page.'),
      })
      .strict()
      .default({ force: false, concurrency: 8, qps: 20, burst: 40, pageSize: 5000 }),
    credentials: z
      .object({
        path: z
          .string()
          .includes('{home}')
          .default('{home}/.kube/config')
          .describe("Where each account's kubeconfig is written; {home} and {uid} are replaced."),
        server: z.url().optional().describe("API server URL written into kubeconfigs (default: the connection's)."),
        expiration: duration().default('30d').describe('Requested certificate lifetime (CSR expirationSeconds).'),
        renewAfter: z
          .number()
          .gt(0)
          .lt(1)
          .default(0.66)
          .describe('Renew once this fraction of the lifetime has passed.'),
      })
      .strict()
      .optional()
      .describe('Client certificates through the CSR API and a kubeconfig per account; off when absent.'),
  })
  .strict()
  .describe(
    'A Kubernetes tenant per account of a group: namespace, RoleBinding, quota, limits, network policy, pod-security params.',
  );

export type KubernetesTenantsConfig = z.output<typeof kubernetesTenantsSchema>;
/** The sources this target's config names, with config paths relative to its block (checked at load time). */
export function kubernetesTenantsSourceRefs(config: KubernetesTenantsConfig): SourceRef[] {
  return [{ path: ['group'], source: groupRefOf(config.group).source }];
}
