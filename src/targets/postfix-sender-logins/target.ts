import { resolve } from 'node:path';
import type { Target } from '../../core/contracts.ts';
import type { PluginDeps, TargetBody } from '../../plugins.ts';
import { applySenderLogins } from './apply.ts';
import type { PostfixSenderLoginsConfig } from './config.ts';
import { desiredState } from './desired.ts';
import { diffSenderLogins } from './diff.ts';
import { guardSenderLogins } from './guard.ts';
import { observeSenderLogins } from './observe.ts';
import type { PostfixTools } from './postmap.ts';
import type { SenderDesired, SenderObserved, TableChange } from './types.ts';

export type PostfixSenderLoginsTarget = Target<SenderDesired, SenderObserved, TableChange>;

/**
 * Builds the postfix-sender-logins target. Atomic: its one change is the whole table. Touches nothing until `observe`
 * or `apply` run.
 */
export function createPostfixSenderLoginsTarget(
  name: string,
  config: PostfixSenderLoginsConfig,
  deps: PluginDeps,
): TargetBody<PostfixSenderLoginsTarget> {
  const path = resolve(deps.baseDir, config.table);
  const tools: PostfixTools = {
    postmap: config.postfix.postmap,
    ...(config.postfix.configDir ? { configDir: resolve(deps.baseDir, config.postfix.configDir) } : {}),
    timeoutMs: config.postfix.timeoutMs,
  };
  const options = { path, mapType: config.mapType };
  return {
    name,
    type: 'postfix-sender-logins',
    atomic: true,
    desired: (ctx) => desiredState(config, ctx),
    observe: (signal) => observeSenderLogins(path, config.mapType, tools, signal),
    diff: (desired, observed) => diffSenderLogins(options, desired, observed),
    notes: (desired) => [...desired.problems],
    guard: (changes, desired, observed) => guardSenderLogins(config, changes, desired, observed),
    apply: (changes, signal) =>
      applySenderLogins(
        { target: name, path, tools, ...(config.postfix.reload ? { reload: config.postfix.reload } : {}) },
        changes,
        signal,
      ),
  };
}
