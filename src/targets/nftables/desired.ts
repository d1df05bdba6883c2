import { formatPrefix, tooWide, type Prefix } from '../../core/address.ts';
import type { DesiredContext } from '../../core/contracts.ts';
import { GatehouseError } from '../../core/errors.ts';
import { listNames } from '../../core/names.ts';
import { managedSets, widthPolicy, type NftablesConfig } from './config.ts';
import { normalize } from './set-math.ts';
import type { NftDesired } from './types.ts';

/**
 * Desired contents of every managed set: the union of every address set the allowlist's `from` sources emitted,
 * aggregated, split by family. A source that is missing contributes nothing (the completeness guard then keeps
 * removals from happening). Addresses of a family the allowlist has no set name for are ignored. Pure.
 *
 * @param includeFile absolute path of the include file, or null.
 * @throws GatehouseError SOURCE_INVALID_DATA (terminal) when a source offers a prefix wider than the target's
 *   `minPrefixLength` that `allowWide` does not name, naming the allowlist, the source and every such prefix. The
 *   whole target stops (the plan shows it as an error, no change reaches nft) rather than granting, or silently
 *   dropping, an address range nobody reviewed.
 */
export function desiredState(
  target: string,
  config: NftablesConfig,
  includeFile: string | null,
  ctx: DesiredContext,
): NftDesired {
  refuseWide(config, ctx);
  const byName = new Map(config.sets.map((s) => [s.name, s]));
  const merged = new Map<string, readonly Prefix[]>();
  const sets = managedSets(config).map((m) => {
    let all = merged.get(m.name);
    if (!all) {
      const from = byName.get(m.name)?.from ?? [];
      all = normalize(
        from.flatMap((src) => (ctx.sources.get(src)?.facts.addressSets ?? []).flatMap((a) => a.prefixes)),
      );
      merged.set(m.name, all);
    }
    // The aggregated list itself when it is all of this family (the usual case): the set math memoizes by list.
    const own = all.every((p) => p.family === m.family) ? all : all.filter((p) => p.family === m.family);
    return { ...m, prefixes: own };
  });
  return { target, table: { family: config.table.family, name: config.table.name }, includeFile, sets };
}

function refuseWide(config: NftablesConfig, ctx: DesiredContext): void {
  const policy = widthPolicy(config);
  const found: string[] = [];
  for (const s of config.sets) {
    const families = new Set([...(s.ipv4 === undefined ? [] : [4]), ...(s.ipv6 === undefined ? [] : [6])]);
    for (const src of s.from) {
      const bad = (ctx.sources.get(src)?.facts.addressSets ?? [])
        .flatMap((a) => a.prefixes)
        .filter((p: Prefix) => families.has(p.family) && tooWide(p, policy) !== undefined);
      if (bad.length === 0) continue;
      const listed = [...new Set(bad.map(formatPrefix))];
      found.push(`allowlist ${s.name}: source ${src} offers ${listNames(listed, 5)}`);
    }
  }
  if (found.length === 0) return;
  const { ipv4, ipv6 } = config.minPrefixLength;
  throw new GatehouseError(
    'SOURCE_INVALID_DATA',
    `${found.join('; ')}: wider than /${ipv4} (IPv4) or /${ipv6} (IPv6); refusing to open the allowlist that far. ` +
      'Fix the source, or list the exact prefix in allowWide (or lower minPrefixLength) to grant it',
    { terminal: true },
  );
}
