import { createRequire } from 'node:module';
import type * as AuthApp from '@octokit/auth-app';
import type * as OctokitCore from '@octokit/core';
import type { Octokit } from '@octokit/core';
import type * as PluginRetry from '@octokit/plugin-retry';
import type { retry } from '@octokit/plugin-retry';
import type * as PluginThrottling from '@octokit/plugin-throttling';
import type { throttling } from '@octokit/plugin-throttling';
import type Bottleneck from 'bottleneck';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { withDeadline } from '../../core/deadline.ts';
import type { GithubConfig } from './config.ts';

/** The Octokit class with the two plugins every gatehouse client carries. */
export type GatehouseOctokitClass = ReturnType<
  typeof Octokit.plugin<typeof Octokit, [typeof throttling, typeof retry]>
>;
export type GithubClient = InstanceType<GatehouseOctokitClass>;

const require = createRequire(import.meta.url);
let octokitClass: GatehouseOctokitClass | undefined;

/**
 * Octokit with the two plugins every gatehouse client carries, loaded on first use: Octokit, its plugins and
 * Bottleneck cost ~11 MB of RSS, which planning from an observation never needs. Loaded with `require` (Node loads ES
 * modules synchronously that way) so that a client is still built synchronously.
 */
export function gatehouseOctokit(): GatehouseOctokitClass {
  if (octokitClass) return octokitClass;
  const { Octokit } = require('@octokit/core') as typeof OctokitCore;
  const { throttling } = require('@octokit/plugin-throttling') as typeof PluginThrottling;
  const { retry } = require('@octokit/plugin-retry') as typeof PluginRetry;
  return (octokitClass = Octokit.plugin(throttling, retry));
}

export interface ClientOptions {
  readonly apiUrl: string;
  readonly auth: GithubConfig['auth'];
  /** Least time between two writes; invitations (which notify) wait three times as long, like the plugin's default. */
  readonly writeSpacingMs: number;
  readonly logger: Pick<Logger, 'warn' | 'debug'>;
  /** Distinguishes rate-limit groups of clients in one process. */
  readonly id: string;
  /** Milliseconds per second of `retry-after` and of plugin-retry's backoff; 1000 except in tests. */
  readonly retryUnitMs?: number;
  /** Retries of a failed request (5xx, network) by plugin-retry. Default 3. */
  readonly retries?: number;
  /** Secondary-limit retries honouring `retry-after`. Default 3. */
  readonly secondaryRetries?: number;
  /** Bound of one request, its retries and rate-limit waits included (`run.requestTimeout`). Default 30 s. */
  readonly requestTimeoutMs?: number;
}

/**
 * The one Octokit a GitHub target uses:
 *
 * - auth: a token, or a GitHub App installation (`@octokit/auth-app` mints and renews installation tokens);
 * - writes serialised, each starting at least `writeSpacingMs` after the previous one ended (GitHub asks for ≥ 1 s
 *   between writes): see {@link spaceWrites};
 * - `@octokit/plugin-throttling`: its write groups carry the same spacing, invitations three times that (they send
 *   notifications); a secondary-limit answer (403/429 "secondary rate limit") is retried after
 *   its `retry-after` up to `secondaryRetries` times; an exhausted primary quota is retried once only when it resets
 *   within a minute, else the request fails and the change is reported;
 * - `@octokit/plugin-retry`: 5xx and network errors retried with quadratic backoff (1, 4, 9 s); GitHub sends no
 *   `retry-after` with those.
 * - every request, retries and waits included, ends within `requestTimeoutMs` or fails with TIMEOUT: see
 *   {@link boundRequests}.
 *
 * The token never reaches a log line: Octokit redacts the authorization header in errors, and handlers here log
 * method and URL only.
 */
export function createGithubClient(o: ClientOptions): GithubClient {
  const unit = o.retryUnitMs ?? 1000;
  const GatehouseOctokit = gatehouseOctokit();
  const { createAppAuth: appAuth } = require('@octokit/auth-app') as typeof AuthApp;
  const Bottleneck_ = require('bottleneck') as typeof Bottleneck;
  const group = (minTime: number) => new Bottleneck_.Group({ maxConcurrent: 1, minTime });
  const secondaryRetries = o.secondaryRetries ?? 3;
  const auth =
    'token' in o.auth
      ? { auth: o.auth.token }
      : {
          authStrategy: appAuth,
          auth: {
            appId: o.auth.app.appId,
            privateKey: o.auth.app.privateKey,
            installationId: o.auth.app.installationId,
          },
        };
  const octokit = new GatehouseOctokit({
    ...auth,
    baseUrl: o.apiUrl.replace(/\/+$/, ''),
    userAgent: 'gatehouse',
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => o.logger.warn(message),
      error: (message: string) => o.logger.warn(message),
    },
    throttle: {
      id: o.id,
      // The plugin's own groups are process-global and fixed at 1 s / 3 s; ours carry the configured spacing.
      write: group(o.writeSpacingMs),
      notifications: group(o.writeSpacingMs * 3),
      retryAfterBaseValue: unit,
      onSecondaryRateLimit: (retryAfter, options, _octokit, retryCount) => {
        o.logger.warn(
          { method: options.method, url: options.url, retryAfter, retryCount },
          'GitHub secondary rate limit; waiting retry-after',
        );
        return retryCount < secondaryRetries;
      },
      onRateLimit: (retryAfter, options, _octokit, retryCount) => {
        o.logger.warn({ method: options.method, url: options.url, retryAfter }, 'GitHub primary rate limit exhausted');
        return retryCount < 1 && retryAfter <= 60;
      },
    },
    // 403 and 429 belong to the throttling plugin (secondary limits, honouring retry-after): retrying them here as well
    // would multiply the attempts. The rest of the list is plugin-retry's default.
    retry: { retryAfterBaseValue: unit, retries: o.retries ?? 3, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
  });
  boundRequests(octokit, o.requestTimeoutMs ?? 30_000, new URL(o.apiUrl).host);
  spaceWrites(octokit, o.writeSpacingMs);
  return octokit;
}

/**
 * Gives every request (installation-token requests, throttling and retries included) a deadline of `timeoutMs`, past
 * which it fails with GatehouseError TIMEOUT naming the API host, method and route (never the query or a token).
 *
 * Octokit has no timeout of its own; its fetch honours `request.signal`, so the deadline travels as that signal,
 * combined with the caller's. The deadline aborts with an `AbortError`, which @octokit/request rethrows as is and
 * plugin-retry does not retry (a `TimeoutError` would become a retried 500). A body cut off by the deadline is
 * parsed by @octokit/request as an empty string without an error; {@link withDeadline} rejects that result too.
 * Registered after the plugins, so it wraps them.
 */
export function boundRequests(octokit: GithubClient, timeoutMs: number, host: string): void {
  octokit.hook.wrap('request', (request, options) => {
    const method = String(options.method ?? 'GET').toUpperCase();
    const route =
      String(options.url)
        .replace(/^https?:\/\/[^/]+/, '')
        .split('?')[0] ?? '';
    const caller = (options.request as { signal?: AbortSignal } | undefined)?.signal;
    return withDeadline(`GitHub ${host}: ${method} ${route}`, timeoutMs, caller, (signal) => {
      // before-after-hook hands every inner hook the options object it was first given (an argument passed to
      // `request` is ignored), so the signal must be set on that object. A new `request` object, not the old one
      // changed: when the caller passed none, it is Octokit's defaults, shared by every request.
      options.request = { ...options.request, signal };
      return Promise.resolve(request(options));
    });
  });
}

/**
 * Serialises writes end-to-start: a write starts only once the previous one finished (retries included) and
 * `spacingMs` more passed. The throttling plugin alone spaces the moments requests are *scheduled*, so jitter before
 * the request leaves (an id lookup, a new connection) could bring two writes closer than GitHub asks; waiting from the
 * previous answer makes the gap hold at GitHub's end. Reads and installation-token requests are not held back.
 */
export function spaceWrites(octokit: GithubClient, spacingMs: number): void {
  let lastEnd = -Infinity;
  let queue: Promise<unknown> = Promise.resolve();
  octokit.hook.wrap('request', (request, options) => {
    const method = String(options.method ?? 'GET').toUpperCase();
    if (
      method === 'GET' ||
      method === 'HEAD' ||
      /\/app\/installations\/[^/]+\/access_tokens$/.test(String(options.url))
    ) {
      return request(options);
    }
    const signal = (options.request as { signal?: AbortSignal } | undefined)?.signal;
    const run = async () => {
      const wait = lastEnd + spacingMs - performance.now();
      if (wait > 0) await sleep(wait, undefined, signal ? { signal } : {});
      try {
        return await request(options);
      } finally {
        lastEnd = performance.now();
      }
    };
    const next = queue.then(run, run);
    queue = next.catch(() => undefined);
    return next;
  });
}

/** The parts of an Octokit `RequestError` gatehouse reads (duck-typed: the class lives in a transitive package). */
export interface HttpFailure {
  readonly status: number;
  readonly message: string;
  readonly response?: { readonly headers: Record<string, string | number | undefined>; readonly data?: unknown };
}

export function isHttpFailure(e: unknown): e is HttpFailure {
  return e instanceof Error && typeof (e as { status?: unknown }).status === 'number';
}
