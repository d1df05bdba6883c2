import { z } from 'zod';
import { secretField } from '../../core/config/secret-field.ts';
import { GatehouseError } from '../../core/errors.ts';
import type { SourceRead } from '../../core/model.ts';
import { redact } from '../../core/redact.ts';
import { defineSource } from '../../plugins.ts';
import { pollForChanges } from '../../core/poll.ts';
import { allowEmptySchema } from '../allow-empty.ts';
import { LinodeClient } from './client.ts';
import { readLke } from './read.ts';

const schema = z
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

/**
 * The addresses of LKE cluster nodes, read from the Linode API: one address set named after the source. See
 * {@link readLke} for what is read, what is left out and how failures surface. The token appears in no message, log
 * line or note.
 */
export const linodeLkeSource = defineSource({
  type: 'linode-lke',
  schema,
  create(name, config, deps) {
    const log = deps.logger.child({ source: name, type: 'linode-lke' });
    const client = new LinodeClient({
      apiUrl: config.apiUrl,
      token: config.token,
      pageSize: config.pageSize,
      timeoutMs: Math.min(config.timeoutMs, deps.requestTimeoutMs),
      deadlineMs: deps.requestTimeoutMs,
      maxAttempts: config.maxAttempts,
      ...(deps.clock ? { clock: deps.clock } : {}),
      origin: `source ${name}`,
      onRetry: (e) => log.warn({ url: e.url, attempt: e.attempt, delayMs: e.delayMs, reason: e.reason }, 'retrying'),
    });
    const scrub = (text: string) => redact(text).split(config.token).join('[redacted]');
    return {
      name,
      type: 'linode-lke',
      allowEmpty: config.allowEmpty,
      watch(signal, notify) {
        return pollForChanges((s) => this.read(s), config.pollInterval, signal, notify);
      },
      async read(signal): Promise<SourceRead> {
        try {
          const read = await readLke(
            {
              name,
              clusters: config.clusters,
              ...(config.pools ? { pools: config.pools } : {}),
              ipv4: config.ipv4,
              ipv6: config.ipv6,
              concurrency: config.concurrency,
              client,
            },
            signal,
          );
          return { ...read, notes: read.notes.map(scrub) };
        } catch (e) {
          // Defence in depth: messages are built without the token, but one must never leave here by accident.
          if (e instanceof GatehouseError && scrub(e.message) !== e.message) {
            throw new GatehouseError(e.code, scrub(e.message), { terminal: e.terminal, details: e.details });
          }
          throw e;
        }
      },
    };
  },
});
