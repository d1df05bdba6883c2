import * as z from 'zod';
import { connectionSchema } from '../../adapters/kubernetes/connection.ts';

export const kubernetesNodesSchema = z
  .object({
    type: z.literal('kubernetes-nodes'),
    description: z.string().optional(),
    connection: connectionSchema,
    addressTypes: z
      .array(z.enum(['InternalIP', 'ExternalIP']))
      .min(1)
      .default(['ExternalIP'])
      .describe('Which node addresses (status.addresses[].type) to include.'),
    labelSelector: z.string().min(1).optional().describe('Only nodes matching this label selector (e.g. a node pool).'),
    pageSize: z.number().int().min(1).default(500).describe('`limit` of each list page.'),
  })
  .strict()
  .describe("A cluster's node addresses as an address set, from the Kubernetes API (any cluster, not only LKE).");

export type KubernetesNodesConfig = z.output<typeof kubernetesNodesSchema>;
