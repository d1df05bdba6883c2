import { aggregate, parsePrefix, type Prefix } from '../../core/address.ts';
import { GatehouseError, describeError } from '../../core/errors.ts';
import type { SourceRead } from '../../core/model.ts';
import { redact } from '../../core/redact.ts';
import { defineSource } from '../../plugins.ts';
import { KubeClient, RateLimiter, loadKubeConfig } from '../../adapters/kubernetes/client.ts';
import { kubernetesNodesSchema, type KubernetesNodesConfig } from './schema.ts';

export { kubernetesNodesSchema, type KubernetesNodesConfig } from './schema.ts';

interface NodeItem {
  metadata?: { name?: string };
  status?: { addresses?: { type?: string; address?: string }[] };
}

/**
 * Reads every node (one paginated list, optionally label-selected) and emits one address set named after the source:
 * each node address of the configured types, as a host prefix, aggregated. An address that does not parse is left out
 * with a note. A failed request makes the read incomplete (so an allowlist keeps its last-known-good addresses); an
 * empty node list is a complete read of nothing, which the target's never-empty guard catches.
 */
export async function readNodes(
  name: string,
  config: KubernetesNodesConfig,
  client: KubeClient,
  signal: AbortSignal,
): Promise<SourceRead> {
  const wanted = new Set<string>(config.addressTypes);
  const prefixes: Prefix[] = [];
  const notes: string[] = [];
  let token: string | undefined;
  let nodes = 0;
  for (let page = 0; page < 10_000; page++) {
    const list = await client.send<{ items?: NodeItem[]; metadata?: { continue?: string } }>(
      {
        method: 'GET',
        path: '/api/v1/nodes',
        query: { labelSelector: config.labelSelector, limit: String(config.pageSize), continue: token },
      },
      signal,
    );
    for (const n of list.items ?? []) {
      nodes++;
      for (const a of n.status?.addresses ?? []) {
        if (!a.type || !wanted.has(a.type) || !a.address) continue;
        try {
          prefixes.push(parsePrefix(a.address, `source ${name}, node ${n.metadata?.name ?? '?'}`));
        } catch (e) {
          notes.push(describeError(e));
        }
      }
    }
    token = list.metadata?.continue || undefined;
    if (!token) {
      notes.push(`${nodes} node(s), ${prefixes.length} address(es) of type ${config.addressTypes.join(', ')}`);
      return { complete: true, facts: { addressSets: [{ name, prefixes: aggregate(prefixes) }] }, notes };
    }
  }
  throw new GatehouseError('SOURCE_INCOMPLETE', 'more than 10,000 pages of nodes');
}

/** The `kubernetes-nodes` source. See {@link readNodes}. The connection's token appears in no note or message. */
export const kubernetesNodesSource = defineSource({
  type: 'kubernetes-nodes',
  schema: kubernetesNodesSchema,
  create(name, config, deps) {
    let client: KubeClient | undefined;
    return {
      name,
      type: 'kubernetes-nodes',
      async read(signal): Promise<SourceRead> {
        try {
          client ??= new KubeClient(
            loadKubeConfig(config.connection, deps.baseDir),
            new RateLimiter(10, 10),
            2,
            deps.requestTimeoutMs,
          );
          return await readNodes(name, config, client, signal);
        } catch (e) {
          if (e instanceof GatehouseError && e.terminal) throw e;
          const text = redact(describeError(e));
          const scrubbed = config.connection.token ? text.split(config.connection.token).join('[redacted]') : text;
          return { complete: false, facts: {}, notes: [`reading nodes failed: ${scrubbed}`] };
        }
      },
    };
  },
});
