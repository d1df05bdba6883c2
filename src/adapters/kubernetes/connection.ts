import * as z from 'zod';
import { secretField } from '../../core/config/secret-field.ts';

/** How to reach a Kubernetes API server: a kubeconfig, the pod's service account, or a server URL with a token. */
export const connectionSchema = z
  .object({
    kubeconfig: z.string().min(1).optional().describe('Path of a kubeconfig file (relative to the config file).'),
    context: z.string().min(1).optional().describe('Context of the kubeconfig to use (default: its current context).'),
    inCluster: z.boolean().default(false).describe("Use the pod's service account (in-cluster configuration)."),
    server: z.url().optional().describe('API server URL, with `token` (instead of a kubeconfig).'),
    token: secretField(z.string().min(1))
      .optional()
      .describe('Bearer token for `server`. Write ${env:…} or ${file:…}; never inline.'),
    caFile: z.string().min(1).optional().describe("CA bundle that signs the API server's certificate, for `server`."),
  })
  .strict()
  .refine(
    (c) => [c.kubeconfig !== undefined, c.inCluster, c.server !== undefined].filter(Boolean).length === 1,
    'set exactly one of kubeconfig, inCluster: true, or server (+ token)',
  )
  .refine((c) => c.server === undefined || c.token !== undefined, 'server needs a token');

export type ConnectionConfig = z.output<typeof connectionSchema>;
