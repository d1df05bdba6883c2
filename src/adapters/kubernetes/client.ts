import { readFileSync } from 'node:fs';
import { Agent, request, type RequestOptions } from 'node:https';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type * as KubernetesClient from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { GatehouseError } from '../../core/errors.ts';
import type { ConnectionConfig } from './connection.ts';

/** An answer of the API server that is not a success, with what its Status body says. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  readonly status: number;
  readonly reason: string;
  /** Fields in conflict (`.spec.hard.cpu`) and their managers, for a server-side apply conflict. */
  readonly causes: readonly { readonly field?: string; readonly message?: string }[];
  constructor(status: number, reason: string, message: string, causes: KubeApiError['causes']) {
    super(`${status} ${reason}: ${message}`);
    this.status = status;
    this.reason = reason;
    this.causes = causes;
  }
}

/**
 * A client-side rate limit: a token bucket of `burst` requests refilled at `qps` per second. Requests wait for a
 * token, so a run of 4,000 tenants never floods the API server, whatever the concurrency.
 */
export class RateLimiter {
  readonly #interval: number;
  readonly #burst: number;
  #tokens: number;
  #last = Date.now();
  #queue: Promise<void> = Promise.resolve();
  constructor(qps: number, burst: number) {
    this.#interval = 1000 / qps;
    this.#burst = burst;
    this.#tokens = burst;
  }
  take(signal: AbortSignal): Promise<void> {
    const turn = this.#queue.then(async () => {
      const now = Date.now();
      this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) / this.#interval);
      this.#last = now;
      if (this.#tokens < 1) {
        const wait = (1 - this.#tokens) * this.#interval;
        await new Promise<void>((res, rej) => {
          const t = setTimeout(res, wait);
          signal.addEventListener('abort', () => (clearTimeout(t), rej(new GatehouseError('ABORTED', 'aborted'))), {
            once: true,
          });
        });
        this.#tokens = 1;
        this.#last = Date.now();
      }
      this.#tokens -= 1;
    });
    this.#queue = turn.catch(() => undefined);
    return turn;
  }
}

export interface KubeRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  readonly contentType?: string;
}

/**
 * Requests to one API server. Configuration and authentication come from `@kubernetes/client-node`'s KubeConfig
 * (kubeconfig file and context, in-cluster service account, or server + token), applied to each request with
 * `applyToHTTPSOptions`. Bodies are sent and read as the API's own JSON: the client library's typed models rename
 * fields (`default` becomes `_default`) and silently drop fields they do not know, so manifests would not be sent as
 * the plan shows them.
 */
export class KubeClient {
  readonly server: string;
  readonly caPem: string | undefined;
  /** Requests sent so far. */
  requests = 0;
  readonly #kc: KubeConfig;
  readonly #limiter: RateLimiter;
  readonly #agent: Agent;
  readonly #timeoutMs: number;

  /** @param timeoutMs bound of each request, rate-limit wait included (`run.requestTimeout`). */
  constructor(kc: KubeConfig, limiter: RateLimiter, concurrency: number, timeoutMs = 30_000) {
    const cluster = kc.getCurrentCluster();
    if (!cluster)
      throw new GatehouseError('CONFIG_INVALID', 'the kubeconfig has no current cluster', { terminal: true });
    this.#kc = kc;
    this.server = cluster.server.replace(/\/+$/, '');
    // Kept so that kubeconfigs written for accounts trust the same CA.
    this.caPem = cluster.caData
      ? Buffer.from(cluster.caData, 'base64').toString('utf8')
      : cluster.caFile
        ? readFileSync(cluster.caFile, 'utf8')
        : undefined;
    this.#limiter = limiter;
    this.#timeoutMs = timeoutMs;
    this.#agent = new Agent({ keepAlive: true, maxSockets: concurrency + 2 });
  }

  /**
   * Sends one request and reads its JSON answer.
   * @throws GatehouseError TIMEOUT when no full answer came within the request timeout (the wait for the rate limiter
   *   included), ABORTED, TARGET_FAILED (connection); KubeApiError for a non-2xx answer.
   */
  async send<T = Record<string, unknown>>(r: KubeRequest, outer: AbortSignal): Promise<T> {
    const deadline = AbortSignal.timeout(this.#timeoutMs);
    const signal = AbortSignal.any([outer, deadline]);
    const timedOut = () =>
      new GatehouseError(
        'TIMEOUT',
        `${r.method} ${this.server}${r.path}: no answer within ${this.#timeoutMs} ms (run.requestTimeout)`,
      );
    try {
      await this.#limiter.take(signal);
    } catch (e) {
      if (deadline.aborted && !outer.aborted) throw timedOut();
      throw e;
    }
    const url = new URL(this.server + r.path);
    for (const [k, v] of Object.entries(r.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const opts: RequestOptions = { method: r.method, headers: { accept: 'application/json' }, agent: this.#agent };
    await this.#kc.applyToHTTPSOptions(opts);
    const body = r.body === undefined ? undefined : JSON.stringify(r.body);
    if (body !== undefined) {
      opts.headers = { ...opts.headers, 'content-type': r.contentType ?? 'application/json' };
    }
    opts.agent = this.#agent;
    this.requests++;
    const { status, text } = await new Promise<{ status: number; text: string }>((res, rej) => {
      const req = request(url, { ...opts, signal }, (resp) => {
        const chunks: Buffer[] = [];
        resp.on('data', (c: Buffer) => chunks.push(c));
        resp.on('end', () => res({ status: resp.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        resp.on('error', rej);
      });
      req.on('error', rej);
      req.end(body);
    }).catch((e: unknown) => {
      if (deadline.aborted && !outer.aborted) throw timedOut();
      throw new GatehouseError('TARGET_FAILED', `${r.method} ${r.path}: ${(e as Error).message}`, { cause: e });
    });
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      parsed = {};
    }
    if (status < 200 || status > 299) {
      const s = parsed as { reason?: string; message?: string; details?: { causes?: KubeApiError['causes'] } };
      throw new KubeApiError(status, s.reason ?? 'Error', s.message ?? `HTTP ${status}`, s.details?.causes ?? []);
    }
    return parsed as T;
  }

  close(): void {
    this.#agent.destroy();
  }
}

const require = createRequire(import.meta.url);

/**
 * `@kubernetes/client-node`, loaded on first use. Importing it costs ~95 MB of RSS and ~0.4 s, which planning from a
 * given observation (desired, diff, notes, guards) never needs; only a client does. Loaded with `require` (Node
 * loads ES modules synchronously that way) because a kubeconfig is loaded synchronously, the diff included (the
 * server a tenant's kubeconfig names).
 */
function kubeClientNode(): typeof KubernetesClient {
  return require('@kubernetes/client-node') as typeof KubernetesClient;
}

/** Loads the connection's KubeConfig: a kubeconfig file (and context), the in-cluster service account, or server + token. */
export function loadKubeConfig(c: ConnectionConfig, baseDir: string): KubeConfig {
  const kc = new (kubeClientNode().KubeConfig)();
  try {
    if (c.kubeconfig !== undefined) {
      kc.loadFromFile(resolve(baseDir, c.kubeconfig));
      if (c.context !== undefined) kc.setCurrentContext(c.context);
    } else if (c.inCluster) {
      kc.loadFromCluster();
    } else {
      kc.loadFromOptions({
        clusters: [
          {
            name: 'cluster',
            server: c.server!,
            skipTLSVerify: false,
            ...(c.caFile ? { caFile: resolve(baseDir, c.caFile) } : {}),
          },
        ],
        users: [{ name: 'gatehouse', token: c.token! }],
        contexts: [{ name: 'gatehouse', cluster: 'cluster', user: 'gatehouse' }],
        currentContext: 'gatehouse',
      });
    }
  } catch (e) {
    throw new GatehouseError('CONFIG_INVALID', `kubernetes connection: ${(e as Error).message}`, {
      terminal: true,
      cause: e,
    });
  }
  return kc;
}
