import type { Prefix } from '../../core/address.ts';
import type { DesiredContext } from '../../core/contracts.ts';
import { managedSets, type NftablesConfig } from './config.ts';
import { normalize } from './set-math.ts';
import type { NftDesired } from './types.ts';

/**
 * Desired contents of every managed set: the union of every address set the allowlist's `from` sources emitted,
 * aggregated, split by family. A source that is missing contributes nothing (the completeness guard then keeps
 * removals from happening). Addresses of a family the allowlist has no set name for are ignored. Pure.
 *
 * @param includeFile absolute path of the include file, or null.
 */
export function desiredState(
  target: string,
  config: NftablesConfig,
  includeFile: string | null,
  ctx: DesiredContext,
): NftDesired {
  const byName = new Map(config.sets.map((s) => [s.name, s]));
  const merged = new Map<string, Prefix[]>();
  const sets = managedSets(config).map((m) => {
    let all = merged.get(m.name);
    if (!all) {
      const from = byName.get(m.name)?.from ?? [];
      all = normalize(
        from.flatMap((src) => (ctx.sources.get(src)?.facts.addressSets ?? []).flatMap((a) => a.prefixes)),
      );
      merged.set(m.name, all);
    }
    return { ...m, prefixes: all.filter((p) => p.family === m.family) };
  });
  return { target, table: { family: config.table.family, name: config.table.name }, includeFile, sets };
}
