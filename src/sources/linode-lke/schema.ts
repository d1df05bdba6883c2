import * as z from 'zod';
import { secretField } from '../../core/config/secret-field.ts';
import { allowEmptySchema } from '../allow-empty.ts';

export const linodeLkeSchema = z
  .object({
    type: z.literal('linode-lke'),
    description: z.string().optional(),
    token: secretField(
      z
        .string()
        .min(1)
        .describe(
          'Linode API token with lke:read_only and linodes:read_only. Write ${env:LINODE_TOKEN} or ${file:path}; never inline.',
        ),
    ),
    clusters: z.array(z.number().int().positive()).min(1).describe('LKE cluster ids whose node addresses to read.'),
    pools: z
      .array(z.number().int().positive())
      .min(1)
      .optional()
      .describe('Only these node pools (by id). Each must exist in one of the clusters, or the read is incomplete.'),
    ipv4: z.boolean().default(true).describe("Include each node's public IPv4 addresses."),
    ipv6: z.boolean().default(true).describe("Include each node's SLAAC IPv6 address (as /128)."),
    apiUrl: z
      .url({ protocol: /^https?$/ })
      .default('https://api.linode.com/v4')
      .describe('Linode API base URL including the version.'),
    pageSize: z.number().int().min(25).max(500).default(500).describe('Page size for listing pools (25..500).'),
    timeoutMs: z.number().int().min(100).max(300_000).default(10_000).describe('Timeout of each HTTP attempt.'),
    maxAttempts: z.number().int().min(1).max(10).default(4).describe('HTTP attempts per request, including the first.'),
    concurrency: z.number().int().min(1).max(32).default(4).describe('Instance lookups in flight at once.'),
    allowEmpty: allowEmptySchema,
    pollInterval: z
      .number()
      .int()
      .min(0)
      .max(86_400_000)
      .default(60_000)
      .describe(
        'serve: milliseconds between polls of the LKE API; a changed answer reconciles the targets drawing on it at once. 0 disables (the periodic full pass still runs).',
      ),
  })
  .strict()
  .refine((c) => c.ipv4 || c.ipv6, { message: 'at least one of ipv4 and ipv6 must be true', path: ['ipv4'] })
  .describe('Public addresses of the nodes of Linode Kubernetes Engine clusters, from the Linode API.');
