import type { ChangeResult, Target } from '../../core/contracts.ts';
import { registerSecret } from '../../core/redact.ts';
import type { PluginDeps, TargetBody } from '../../plugins.ts';
import { applyGithubChange } from './apply.ts';
import { createGithubClient, type ClientOptions, type GithubClient } from './client.ts';
import type { Telemetry } from '../../plugins.ts';
import { ConditionalReader } from './conditional.ts';
import type { GithubConfig } from './config.ts';
import { desiredState } from './desired.ts';
import { diffGithub } from './diff.ts';
import { findings } from './findings.ts';
import { guardGithub } from './guard.ts';
import { observeGithub } from './observe.ts';
import type { GithubChange, GithubDesired, GithubObserved } from './types.ts';

export type GithubTarget = Target<GithubDesired, GithubObserved, GithubChange> & {
  /** Requests this target's reader made and how many were answered 304 (for logs and the benchmark). */
  readonly stats: ConditionalReader['stats'];
};

/** Knobs for tests and benchmarks; never set from user config. */
export interface GithubTargetOverrides {
  readonly now?: () => Date;
  /** Milliseconds per second of retry-after and of plugin-retry's backoff (default 1000). */
  readonly retryUnitMs?: number;
  readonly retries?: number;
  readonly secondaryRetries?: number;
  readonly client?: GithubClient;
}

/**
 * Builds the GitHub target. Not atomic: changes apply one at a time, a failing one is reported and the others go on.
 * Touches nothing until `observe` or `apply` runs. The credential is registered with the redactor, so it cannot reach
 * any output even if a library put it in a message.
 */
export function createGithubTarget(
  name: string,
  config: GithubConfig,
  deps: PluginDeps,
  overrides: GithubTargetOverrides = {},
): TargetBody<GithubTarget> {
  if ('token' in config.auth) registerSecret(config.auth.token);
  else registerSecret(config.auth.app.privateKey);
  const logger = deps.logger.child({ target: name, type: 'github' });
  const clientOptions: ClientOptions = {
    apiUrl: config.apiUrl,
    auth: config.auth,
    writeSpacingMs: config.writeSpacingMs,
    logger,
    id: `gatehouse:${name}`,
    requestTimeoutMs: deps.requestTimeoutMs,
    ...(overrides.retryUnitMs === undefined ? {} : { retryUnitMs: overrides.retryUnitMs }),
    ...(overrides.retries === undefined ? {} : { retries: overrides.retries }),
    ...(overrides.secondaryRetries === undefined ? {} : { secondaryRetries: overrides.secondaryRetries }),
  };
  // Built on the first request (observe or apply), so planning from an observation never loads Octokit.
  let octokit: GithubClient | undefined;
  const client = (): GithubClient => {
    if (octokit) return octokit;
    octokit = overrides.client ?? createGithubClient(clientOptions);
    if (deps.telemetry) reportRateLimit(octokit, name, deps.telemetry);
    return octokit;
  };
  const reader = new ConditionalReader(client, deps.cache, config.apiUrl);
  const now = overrides.now ?? (() => new Date());
  const teams = Object.keys(config.teams);
  return {
    name,
    type: 'github',
    atomic: false,
    stats: reader.stats,
    desired: (ctx) => desiredState(config, ctx),
    async observe(signal) {
      const before = { ...reader.stats };
      const observed = await observeGithub(
        {
          org: config.org,
          reader,
          teams,
          hasSelf: 'token' in config.auth,
          cache: deps.cache,
          concurrency: config.readConcurrency,
          now,
        },
        signal,
      );
      logger.debug(
        {
          requests: reader.stats.requests - before.requests,
          notModified: reader.stats.notModified - before.notModified,
        },
        'observed',
      );
      return observed;
    },
    diff: diffGithub,
    notes: findings,
    guard: (changes, desired, observed) => guardGithub(changes, desired, observed),
    apply: async (changes, signal) => {
      const ctx = { org: config.org, octokit: client(), reader, cache: deps.cache, teams: new Set(teams), now };
      const results: ChangeResult[] = [];
      for (const change of changes) results.push(await applyGithubChange(ctx, change, signal));
      return results;
    },
  };
}

/** Passes GitHub's `x-ratelimit-remaining` of every answer (a 304 or an error included) to the daemon's metrics. */
function reportRateLimit(octokit: GithubClient, name: string, telemetry: Telemetry): void {
  const report = (headers: Record<string, unknown> | undefined) => {
    const remaining = Number(headers?.['x-ratelimit-remaining']);
    if (Number.isFinite(remaining)) telemetry.rateLimitRemaining(name, remaining);
  };
  octokit.hook.after('request', (response) => report(response.headers));
  octokit.hook.error('request', (error) => {
    report((error as { response?: { headers?: Record<string, unknown> } }).response?.headers);
    throw error;
  });
}
