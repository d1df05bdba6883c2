import { aggregate, parsePrefix } from '../../core/address.ts';
import type { DesiredContext } from '../../core/contracts.ts';
import type { ResolvedSource } from '../../core/model.ts';
import type { PluginDeps } from '../../plugins.ts';
import { nftablesSchema, type NftablesConfig } from './config.ts';
import { testDeps } from '../../testing/plugin-deps.ts';

/** Shared fixtures of this folder's unit tests. */

export const deps = (baseDir = '/etc/gatehouse'): PluginDeps => testDeps({ baseDir });

/** A parsed config: `table inet gh`, one allowlist `db` filling allow_v4 / allow_v6 from source `clients`. */
export function config(overrides: Record<string, unknown> = {}): NftablesConfig {
  return nftablesSchema.parse({
    type: 'nftables',
    table: { family: 'inet', name: 'gh' },
    sets: [{ name: 'db', ipv4: 'allow_v4', ipv6: 'allow_v6', from: ['clients'] }],
    ...overrides,
  });
}

/** A DesiredContext whose sources each emit one address set (status `live`). */
export function context(sources: Record<string, readonly string[]>, status: ResolvedSource['status'] = 'live') {
  const map = new Map<string, ResolvedSource>();
  for (const [name, addresses] of Object.entries(sources)) {
    const prefixes = aggregate(addresses.map((a) => parsePrefix(a, name)));
    map.set(name, { name, type: 'static', status, facts: { addressSets: [{ name, prefixes }] }, notes: [] });
  }
  return { sources: map } satisfies DesiredContext;
}

export const prefixes = (...xs: string[]) => xs.map((x) => parsePrefix(x, 'test'));
