import { defineTarget } from '../../plugins.ts';
import { nftChangeSchema } from './change-schema.ts';
import { nftablesSchema, nftablesSourceRefs } from './config.ts';
import { createNftablesTarget } from './target.ts';

/**
 * The `nftables` target: keeps nft interval sets equal to the union of address sets from sources, and writes an include
 * file that restores them at boot. The host's nftables.conf declares the table, sets and rules (see
 * `HOST_CONFIG_SNIPPET`); gatehouse only replaces set elements, one kernel transaction per run, and never flushes or
 * reloads the ruleset.
 */
export const nftablesTarget = defineTarget({
  type: 'nftables',
  schema: nftablesSchema,
  changeSchema: nftChangeSchema,
  /** Paths are relative to this target's config block. */
  sourceRefs: nftablesSourceRefs,
  create: (name, config, deps) => createNftablesTarget(name, config, deps),
});

export { nftablesSchema, NFT_IDENTIFIER, managedSets, type NftablesConfig } from './config.ts';
export { createNftablesTarget, type NftablesTarget } from './target.ts';
export { renderBatch, renderInclude, ELEMENTS_PER_LINE } from './render.ts';
export { bootstrapInclude, HOST_CONFIG_SNIPPET, hostConfigSnippet } from './host-config.ts';
export { commandRunner, NftCommandError, type NftRunner } from './nft.ts';
export type * from './types.ts';
export { nftChangeSchema } from './change-schema.ts';
