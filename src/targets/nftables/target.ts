import { resolve } from 'node:path';
import type { Target } from '../../core/contracts.ts';
import type { PluginDeps, TargetBody } from '../../plugins.ts';
import { applyNftables } from './apply.ts';
import { managedSets, widthPolicy, type NftablesConfig } from './config.ts';
import { desiredState } from './desired.ts';
import { diffNftables } from './diff.ts';
import { guardNftables } from './guard.ts';
import { commandRunner, type NftRunner } from './nft.ts';
import { observeNftables } from './observe.ts';
import type { NftChange, NftDesired, NftObserved } from './types.ts';
import { withholdNftables } from './withhold.ts';
import { NftWatch } from './watch.ts';

export type NftablesTarget = Target<NftDesired, NftObserved, NftChange>;

/**
 * Builds the nftables target. Touches nothing until `observe` / `apply` run.
 * @param runner how to run nft; defaults to `config.nft.command`. Unit tests pass a fake.
 */
export function createNftablesTarget(
  name: string,
  config: NftablesConfig,
  deps: PluginDeps,
  runner: NftRunner = commandRunner(config.nft.command),
): TargetBody<NftablesTarget> {
  const includeFile = config.includeFile === undefined ? null : resolve(deps.baseDir, config.includeFile);
  const table = { family: config.table.family, name: config.table.name };
  const sets = managedSets(config);
  // The daemon's watch lets observe skip sets provably unchanged; without one (plan, apply, `watch: false`), every set
  // is listed.
  const nftWatch =
    config.kernel && config.watch
      ? new NftWatch(
          runner,
          table,
          sets.map((s) => s.set),
        )
      : undefined;
  const options = {
    target: name,
    table,
    sets,
    kernel: config.kernel,
    includeFile,
    runner,
    width: widthPolicy(config),
    ...(nftWatch ? { watch: nftWatch } : {}),
  };
  return {
    name,
    type: 'nftables',
    atomic: true,
    desired: (ctx) => desiredState(name, config, includeFile, ctx),
    observe: (signal) => observeNftables(options, signal),
    diff: diffNftables,
    guard: (changes, desired, observed) => guardNftables(changes, desired, observed),
    withhold: withholdNftables,
    ...(nftWatch?.supported ? { watch: (signal, notify) => nftWatch.watch(signal, notify) } : {}),
    // Set changes are deltas against the observation the plan was verified against; a caller without it (a test, a
    // benchmark) gets a fresh one.
    apply: async (changes, signal, observed) =>
      applyNftables(
        { ...options, logger: deps.logger.child({ target: name }) },
        changes,
        observed ?? (await observeNftables(options, signal)),
        signal,
      ),
  };
}
