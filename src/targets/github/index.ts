import { defineTarget } from '../../plugins.ts';
import { githubChangeSchema } from './change-schema.ts';
import { githubSchema, githubSourceRefs } from './config.ts';
import { createGithubTarget } from './target.ts';

/**
 * The `github` target: organisation membership and owners, and the membership of the teams the config lists, from
 * groups of people keyed by numeric GitHub id. Reads with conditional requests (an unchanged org costs no primary
 * quota), applies one change at a time with writes spaced apart, and guards removals (fractions, owner floor, self,
 * protected ids, invitation budget). See README.md in this folder.
 */
export const githubTarget = defineTarget({
  type: 'github',
  schema: githubSchema,
  changeSchema: githubChangeSchema,
  sourceRefs: githubSourceRefs,
  create: (name, config, deps) => createGithubTarget(name, config, deps),
});

export { githubSchema, peopleSources, targetSources, type GithubConfig } from './config.ts';
export { createGithubTarget, type GithubTarget, type GithubTargetOverrides } from './target.ts';
export { createGithubClient, gatehouseOctokit, type GithubClient } from './client.ts';
export { ConditionalReader, type ReadStats } from './conditional.ts';
export { observeGithub, type ObserveOptions } from './observe.ts';
export { desiredState } from './desired.ts';
export { diffGithub } from './diff.ts';
export { guardGithub } from './guard.ts';
export { findings } from './findings.ts';
export { dumpConfig, type DumpOptions } from './dump.ts';
export type * from './types.ts';
export { githubChangeSchema } from './change-schema.ts';
