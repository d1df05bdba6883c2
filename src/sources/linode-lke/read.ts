import { aggregate, parsePrefix, type Family, type Prefix } from '../../core/address.ts';
import { GatehouseError } from '../../core/errors.ts';
import type { SourceRead } from '../../core/model.ts';
import { nonPublicReason } from './addresses.ts';
import type { InstanceIps, LinodeClient } from './client.ts';
import { mapLimit } from '../../core/map-limit.ts';

export interface LkeReadInput {
  /** Source name: the address set's name and the head of every origin. */
  readonly name: string;
  readonly clusters: readonly number[];
  /** Only these pools (ids are unique across clusters); each must be found in one of the clusters. */
  readonly pools?: readonly number[];
  readonly ipv4: boolean;
  readonly ipv6: boolean;
  /** Per-instance requests in flight at once. */
  readonly concurrency: number;
  readonly client: Pick<LinodeClient, 'listPools' | 'getIps'>;
}

/**
 * Reads clusters → pools (all pages) → nodes → each node's instance networking, and returns one address set named
 * after the source: the public IPv4 addresses and the SLAAC IPv6 address (as /128) of every node, aggregated.
 *
 * - A node without a Linode yet (`instance_id: null`) is skipped with a note; the read stays complete, since the node
 *   has no address to allow.
 * - A non-public address (e.g. 192.168.x listed among public ones) is left out with a note.
 * - Transient failures (HTTP/network errors after retries, 404 cluster or instance, malformed JSON, inconsistent
 *   pagination, a configured pool not found) → `complete: false`, empty facts and a note saying why. Never a shorter
 *   list presented as complete.
 * - A request with no complete answer within `run.requestTimeout` throws TIMEOUT; the pipeline counts the read as
 *   incomplete, like any failed read.
 * - Terminal failures are thrown: SOURCE_INCOMPLETE for a refused token, SOURCE_INVALID_DATA for data of the wrong
 *   shape or an invalid address, naming cluster, pool, node, instance and field.
 */
export async function readLke(input: LkeReadInput, signal: AbortSignal): Promise<SourceRead> {
  const notes: string[] = [];
  try {
    const prefixes = await collect(input, signal, notes);
    if (prefixes.length === 0) notes.push('no addresses found');
    return { complete: true, facts: { addressSets: [{ name: input.name, prefixes: aggregate(prefixes) }] }, notes };
  } catch (e) {
    if (e instanceof GatehouseError && e.code === 'SOURCE_INCOMPLETE' && !e.terminal) {
      return { complete: false, facts: {}, notes: [...notes, e.message] };
    }
    throw e;
  }
}

async function collect(input: LkeReadInput, signal: AbortSignal, notes: string[]): Promise<Prefix[]> {
  const filter = input.pools ? new Set(input.pools) : undefined;
  const seenPools = new Set<number>();
  /** Instance id → where it was found; Map keeps discovery order, so results and notes are deterministic. */
  const instances = new Map<number, string>();
  for (const clusterId of input.clusters) {
    for (const pool of await input.client.listPools(clusterId, signal)) {
      if (filter && !filter.has(pool.id)) continue;
      seenPools.add(pool.id);
      for (const node of pool.nodes) {
        const where = `cluster ${clusterId} pool ${pool.id} node ${node.id}`;
        if (node.instanceId === null) {
          notes.push(`${where}: no Linode yet (instance_id null while provisioning); skipped`);
        } else if (!instances.has(node.instanceId)) {
          instances.set(node.instanceId, `${where} instance ${node.instanceId}`);
        }
      }
    }
  }
  const missing = filter ? [...filter].filter((p) => !seenPools.has(p)) : [];
  if (missing.length > 0) {
    throw new GatehouseError(
      'SOURCE_INCOMPLETE',
      `configured pool(s) ${missing.join(', ')} not found in cluster(s) ${input.clusters.join(', ')}`,
    );
  }
  const results = await mapLimit([...instances], input.concurrency, signal, async ([id, where], s) =>
    extract(await input.client.getIps(id, s), `source ${input.name}: ${where}`, input),
  );
  for (const r of results) notes.push(...r.notes);
  return results.flatMap((r) => r.prefixes);
}

function extract(ips: InstanceIps, origin: string, input: LkeReadInput): { prefixes: Prefix[]; notes: string[] } {
  const prefixes: Prefix[] = [];
  const notes: string[] = [];
  const take = (value: unknown, field: string, family: Family) => {
    const where = `${origin} ${field}`;
    if (typeof value !== 'string') throw invalidData(where, 'missing');
    const p = parsePrefix(value, where);
    if (p.family !== family || p.length !== (family === 4 ? 32 : 128)) {
      throw invalidData(where, `expected one IPv${family} address, got ${JSON.stringify(value)}`);
    }
    const why = nonPublicReason(p);
    if (why) notes.push(`${where}: ${p.address} left out: ${why}`);
    else prefixes.push(p);
  };
  if (input.ipv4) {
    if (!Array.isArray(ips.ipv4Public)) throw invalidData(`${origin} ipv4.public`, 'missing or not a list');
    if (ips.ipv4Public.length === 0) notes.push(`${origin}: no public IPv4 address`);
    ips.ipv4Public.forEach((entry, k) => take(addressOf(entry), `ipv4.public[${k}].address`, 4));
  }
  if (input.ipv6) take(addressOf(ips.slaac), 'ipv6.slaac.address', 6);
  return { prefixes, notes };
}

function addressOf(entry: unknown): unknown {
  return typeof entry === 'object' && entry !== null ? (entry as { address?: unknown }).address : undefined;
}

function invalidData(where: string, why: string): GatehouseError {
  return new GatehouseError('SOURCE_INVALID_DATA', `${where}: ${why}`, { terminal: true, details: { origin: where } });
}
