import { GatehouseError } from '../../core/errors.ts';
import type { SourceRead } from '../../core/model.ts';
import { redact } from '../../core/redact.ts';
import { defineSource } from '../../plugins.ts';
import { pollForChanges } from '../../core/poll.ts';
import { LinodeClient } from './client.ts';
import { readLke } from './read.ts';
import { linodeLkeSchema } from './schema.ts';

/**
 * The addresses of LKE cluster nodes, read from the Linode API: one address set named after the source. See
 * {@link readLke} for what is read, what is left out and how failures surface. The token appears in no message, log
 * line or note.
 */
export const linodeLkeSource = defineSource({
  type: 'linode-lke',
  schema: linodeLkeSchema,
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
