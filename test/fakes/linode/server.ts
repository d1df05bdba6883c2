import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import {
  assertNoViolations,
  closeServer,
  createFakeServer,
  FaultQueue,
  listenLocal,
  type LoggedRequest,
  receiveRequest,
  sendResponse,
} from '../http-fake.ts';
import { createValidator, loadSpec, specPath, type OpenApiValidator } from '../openapi/index.ts';
import { applyErrata } from './errata.ts';
import { ipsJson, poolJson, type FakeCluster, type FakeInstance, type FakeNode, type LinodeState } from './state.ts';

/** The operations the fake models, by the description's operationId. */
export type LinodeOperation = 'get-lke-cluster-pools' | 'get-linode-ips';

/** A deliberate misbehaviour for the next matching request. */
export type Fault =
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: number }
  /** 200 with a truncated JSON body. Off-description on purpose, so exempt from response validation. */
  | { readonly kind: 'malformed' }
  /** The connection is destroyed without a response (a network error for the client). */
  | { readonly kind: 'reset' }
  /** The normal response, after `ms` (for client timeouts). */
  | { readonly kind: 'delay'; readonly ms: number };

export const faults = {
  rateLimited: (retryAfterSeconds: number): Fault => ({ kind: 'status', status: 429, retryAfter: retryAfterSeconds }),
  serverError: (status: 500 | 502 | 503 | 504 = 500): Fault => ({ kind: 'status', status }),
  malformed: (): Fault => ({ kind: 'malformed' }),
  reset: (): Fault => ({ kind: 'reset' }),
  delay: (ms: number): Fault => ({ kind: 'delay', ms }),
};

export interface RequestLogEntry extends LoggedRequest<Fault['kind']> {
  /** Milliseconds since the fake started (monotonic), when the request arrived. */
  readonly at: number;
}

export interface LinodeFakeOptions {
  /** The one bearer token accepted; anything else gets 401. */
  readonly token?: string;
}

const MAX_DELAY_MS = 30_000;

let shared: OpenApiValidator | undefined;

function linodeValidator(): OpenApiValidator {
  shared ??= createValidator(applyErrata(loadSpec(specPath('linode-openapi.yaml'))), {
    // Linode's own format for "an IPv4 or IPv6 address"; without this it would be accepted unchecked.
    formats: { ip: (s: string) => isIP(s) !== 0 },
  });
  return shared;
}

/**
 * A stateful fake of the two Linode API v4 operations the LKE source uses, on 127.0.0.1 with an ephemeral port.
 *
 * Every request and every response is validated against Linode's published OpenAPI description (with the documented
 * {@link applyErrata}); anything off-description is recorded in `violations`, and `assertClean()` fails the test. The
 * fake answers like Linode: bearer token or 401, 404 for unknown clusters/instances, 400 for out-of-range `page` /
 * `page_size` (25–500, default 100), `{ errors: [{ reason }] }` bodies, real pagination (`page`, `pages`, `results`).
 *
 * Does NOT model: any other operation (a request to one is a violation and gets 501), rate limiting on its own (inject
 * it), `X-Filter`, OAuth scopes, the exact reply for a page beyond the last (it serves an empty page), response
 * headers such as `X-RateLimit-*`.
 */
export class LinodeFake {
  readonly token: string;
  readonly state: LinodeState = { clusters: new Map(), instances: new Map() };
  readonly requests: RequestLogEntry[] = [];
  readonly violations: string[] = [];
  /** Called for each request before it is answered: lets a test change the state in the middle of a read. */
  onRequest: ((entry: RequestLogEntry) => void) | undefined;
  #server: Server | undefined;
  #url = '';
  readonly #faults = new FaultQueue<LinodeOperation, Fault>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #t0 = performance.now();
  readonly #validator = linodeValidator();

  constructor(options: LinodeFakeOptions = {}) {
    this.token = options.token ?? 'fake-linode-token-0123456789';
  }

  /** Base URL including `/v4`, e.g. `http://127.0.0.1:41234/v4`. */
  get url(): string {
    return this.#url;
  }

  async start(): Promise<this> {
    const server = createFakeServer(
      (req, res) => this.#handle(req, res),
      (e) => this.violations.push(`fake crashed: ${String(e)}`),
    );
    const port = await listenLocal(server);
    this.#server = server;
    this.#url = `http://127.0.0.1:${port}/v4`;
    return this;
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await closeServer(this.#server);
  }

  addCluster(id: number): FakeCluster {
    const cluster: FakeCluster = { id, pools: [] };
    this.state.clusters.set(id, cluster);
    return cluster;
  }

  /** Adds a pool; `nodes` give instance ids (null = provisioning). Node ids are derived like Linode's. */
  addPool(clusterId: number, poolId: number, nodes: readonly (number | null)[], type = 'g6-standard-2'): void {
    const cluster = this.state.clusters.get(clusterId) ?? this.addCluster(clusterId);
    const fakeNodes: FakeNode[] = nodes.map((instance, i) => ({
      id: `${poolId}-${(i + 1).toString(16).padStart(8, '0')}`,
      instance_id: instance,
      status: instance === null ? 'not_ready' : 'ready',
    }));
    cluster.pools.push({ id: poolId, type, nodes: fakeNodes, tags: [] });
  }

  /** Adds (or replaces) an instance's networking. Addresses are served verbatim, valid or not. */
  addInstance(
    id: number,
    ips: { public?: string[]; private?: string[]; slaac?: string | null; region?: string } = {},
  ): FakeInstance {
    const instance: FakeInstance = {
      id,
      region: ips.region ?? 'us-east',
      ipv4: { public: ips.public ?? [], private: ips.private ?? [] },
      // Every Linode has a SLAAC address; `slaac: null` models a response without one.
      slaac: ips.slaac === undefined ? `2001:db8:0:1::${id.toString(16)}` : ips.slaac,
      linkLocal: `fe80::${(id & 0xffff).toString(16)}`,
    };
    this.state.instances.set(id, instance);
    return instance;
  }

  /** Queues faults for the next requests to `operation` (or to any modelled operation, `*`), first in first out. */
  inject(operation: LinodeOperation | '*', ...list: Fault[]): void {
    this.#faults.push(operation, list);
  }

  /** Faults queued but not yet served. */
  pendingFaults(): number {
    return this.#faults.size;
  }

  clearViolations(): void {
    this.violations.length = 0;
  }

  /** Fails when any request or response departed from Linode's description. */
  assertClean(): void {
    assertNoViolations('Linode fake', this.violations);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { url, method, operationId } = await receiveRequest(req, this.#validator, this.violations);
    const entry: RequestLogEntry = {
      at: performance.now() - this.#t0,
      method,
      path: url.pathname,
      query: url.search,
      ...(operationId === undefined ? {} : { operationId }),
    };
    this.requests.push(entry);
    this.onRequest?.(entry);

    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) =>
      this.#send(req, res, entry, status, payload, headers);
    const modelled = this.#route(method, url.pathname);
    if (!modelled) {
      if (operationId !== undefined) {
        this.violations.push(`request ${method} ${url.pathname}: ${operationId} is not modelled by the fake`);
        return reply(501, { errors: [{ reason: 'Not implemented by the fake' }] });
      }
      return reply(404, { errors: [{ reason: 'Not found' }] });
    }

    const fault = this.#faults.take(modelled.operation);
    if (fault) {
      entry.fault = fault.kind;
      if (fault.kind === 'reset') {
        entry.status = 0;
        req.socket.destroy();
        return;
      }
      if (fault.kind === 'malformed') {
        entry.status = 200;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"data": [{"id": 1, "nod');
        return;
      }
      if (fault.kind === 'status') {
        const headers: Record<string, string> =
          fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
        const reason = fault.status === 429 ? 'Too Many Requests' : 'Internal Server Error';
        return reply(fault.status, { errors: [{ reason }] }, headers);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(
          () => {
            this.#timers.delete(t);
            resolve();
          },
          Math.min(fault.ms, MAX_DELAY_MS),
        );
        this.#timers.add(t);
      });
      if (res.destroyed || req.socket.destroyed) return;
    }

    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return reply(401, { errors: [{ reason: 'Invalid Token' }] });
    }
    if (modelled.operation === 'get-linode-ips') {
      const instance = this.state.instances.get(modelled.id);
      if (!instance) return reply(404, { errors: [{ reason: 'Not found' }] });
      return reply(200, ipsJson(instance));
    }
    const cluster = this.state.clusters.get(modelled.id);
    if (!cluster) return reply(404, { errors: [{ reason: 'Not found' }] });
    const page = intParam(url.searchParams.get('page'), 1);
    const pageSize = intParam(url.searchParams.get('page_size'), 100);
    if (page === undefined || page < 1) return reply(400, { errors: [{ field: 'page', reason: 'Invalid page' }] });
    if (pageSize === undefined || pageSize < 25 || pageSize > 500) {
      return reply(400, { errors: [{ field: 'page_size', reason: 'Must be between 25 and 500' }] });
    }
    const all = cluster.pools;
    const pages = Math.max(1, Math.ceil(all.length / pageSize));
    const data = all.slice((page - 1) * pageSize, page * pageSize).map(poolJson);
    return reply(200, { data, page, pages, results: all.length });
  }

  #route(method: string, path: string): { operation: LinodeOperation; id: number } | undefined {
    if (method !== 'GET') return undefined;
    let m = /^\/v4\/lke\/clusters\/(\d+)\/pools$/.exec(path);
    if (m) return { operation: 'get-lke-cluster-pools', id: Number(m[1]) };
    m = /^\/v4\/linode\/instances\/(\d+)\/ips$/.exec(path);
    if (m) return { operation: 'get-linode-ips', id: Number(m[1]) };
    return undefined;
  }

  #send(
    req: IncomingMessage,
    res: ServerResponse,
    entry: RequestLogEntry,
    status: number,
    payload: unknown,
    headers: Record<string, string>,
  ): void {
    const all = { 'content-type': 'application/json', ...headers };
    sendResponse(this.#validator, this.violations, { req, res }, entry, {
      status,
      headers: all,
      text: JSON.stringify(payload),
    });
  }
}

/** Starts a fake; close it with `await fake.close()`. */
export async function startLinodeFake(options: LinodeFakeOptions = {}): Promise<LinodeFake> {
  return new LinodeFake(options).start();
}

function intParam(raw: string | null, fallback: number): number | undefined {
  if (raw === null) return fallback;
  return /^\d+$/.test(raw) ? Number(raw) : undefined;
}
