import * as z from 'zod';
import { GatehouseError } from '../../core/errors.ts';
import type { Clock } from '../../core/clock.ts';
import { httpRequest, safeUrl, type RetryEvent } from '../../adapters/http.ts';

/*
 * Why not the official @linode/api-v4 SDK: it configures one module-global axios instance and one module-global token
 * (two sources with different tokens in one process would share them), it has no retry, backoff or 429 handling, it is
 * built for the browser-side Cloud Manager, and we need two GET endpoints. This client is those two GETs, strict about
 * what it accepts, over the shared fetch helper.
 */

export interface LinodeClientOptions {
  /** Base URL including the version, e.g. `https://api.linode.com/v4`. */
  readonly apiUrl: string;
  readonly token: string;
  /** 25..500. */
  readonly pageSize: number;
  /** Per attempt. */
  readonly timeoutMs: number;
  /** Per request, across attempts and waits: past it the request fails with TIMEOUT (or at once, if a wait would). */
  readonly deadlineMs?: number;
  readonly maxAttempts: number;
  readonly clock?: Clock;
  readonly onRetry?: (event: RetryEvent) => void;
  /** Head of the origin in SOURCE_INVALID_DATA messages, e.g. `source lke-nodes`. */
  readonly origin?: string;
}

export interface LkeNode {
  readonly id: string;
  /** Null while the Linode is being provisioned. */
  readonly instanceId: number | null;
}

export interface LkePool {
  readonly id: number;
  readonly nodes: readonly LkeNode[];
}

/**
 * The parts of `GET /linode/instances/{id}/ips` the source reads, unchecked (the reader checks them, naming the node
 * they belong to); absent parts are `undefined`.
 */
export interface InstanceIps {
  readonly ipv4Public: unknown;
  readonly slaac: unknown;
}

/** More pages than this is not a cluster but a bug or an attack; stop rather than loop. */
const MAX_PAGES = 100;

const envelopeSchema = z.object({
  data: z.array(z.unknown()),
  page: z.number().int().min(1),
  pages: z.number().int().min(0),
  results: z.number().int().min(0),
});

const poolSchema = z.object({
  id: z.number().int().positive(),
  nodes: z.array(
    z.object({
      id: z.string().min(1),
      // Linode documents an integer or null; the published description says string, so accept a decimal string too.
      instance_id: z.union([
        z.number().int().positive(),
        z
          .string()
          .regex(/^[1-9]\d{0,15}$/)
          .transform(Number),
        z.null(),
      ]),
    }),
  ),
});

/**
 * A read-only client for the two Linode API v4 operations the LKE source needs.
 *
 * Errors (all GatehouseError, messages free of the token and of query strings):
 * - SOURCE_INCOMPLETE, terminal: 401/403 — the token is wrong or lacks a scope; retrying cannot help.
 * - TIMEOUT: no complete answer within the attempt timeout (last attempt) or the request deadline.
 * - SOURCE_INCOMPLETE: 404, other HTTP errors, network errors and 429/5xx after retries, bodies that are not JSON,
 *   pagination that does not add up (the list changed while being read).
 * - SOURCE_INVALID_DATA, terminal: a pool list that does not have the documented shape, naming where it was found.
 *   (Instance networking is returned unchecked: the reader checks it with the node's full origin.)
 */
export class LinodeClient {
  readonly #options: LinodeClientOptions;
  readonly #base: string;

  constructor(options: LinodeClientOptions) {
    this.#options = options;
    this.#base = options.apiUrl.replace(/\/+$/, '');
  }

  /** Every pool of the cluster, all pages, checked for consistency across pages. */
  async listPools(clusterId: number, signal: AbortSignal): Promise<LkePool[]> {
    const what = `cluster ${clusterId}`;
    const path = `/lke/clusters/${clusterId}/pools`;
    const raw: { value: unknown; origin: string }[] = [];
    let first: z.infer<typeof envelopeSchema> | undefined;
    let perPage = 0;
    for (let page = 1; page <= (first?.pages ?? 1); page++) {
      const origin = `${what} pools page ${page}`;
      const body = await this.#getJson(
        path,
        { page: String(page), page_size: String(this.#options.pageSize) },
        what,
        signal,
      );
      const env = envelopeSchema.safeParse(body);
      if (!env.success) throw this.#invalid(origin, env.error);
      const e = env.data;
      if (first === undefined) {
        first = e;
        perPage = e.data.length;
        if (e.page !== 1 || e.pages > MAX_PAGES || (e.results > 0 && (e.pages < 1 || perPage === 0))) {
          throw inconsistent(
            what,
            `page 1 reports page=${e.page} pages=${e.pages} results=${e.results} with ${perPage} items`,
          );
        }
      } else if (e.page !== page || e.pages !== first.pages || e.results !== first.results) {
        throw inconsistent(
          what,
          `page ${page} reports page=${e.page} pages=${e.pages} results=${e.results}, ` +
            `page 1 reported pages=${first.pages} results=${first.results}`,
        );
      } else if (page < first.pages && e.data.length !== perPage) {
        throw inconsistent(what, `page ${page} has ${e.data.length} items, page 1 had ${perPage}`);
      }
      e.data.forEach((value, i) => raw.push({ value, origin: `${origin} data[${i}]` }));
    }
    if (raw.length !== first?.results) {
      throw inconsistent(what, `read ${raw.length} pools but the API reported results=${first?.results}`);
    }
    const pools = raw.map(({ value, origin }) => {
      const p = poolSchema.safeParse(value);
      if (!p.success) throw this.#invalid(origin, p.error);
      return { id: p.data.id, nodes: p.data.nodes.map((n) => ({ id: n.id, instanceId: n.instance_id })) };
    });
    const ids = new Set(pools.map((p) => p.id));
    if (ids.size !== pools.length) throw inconsistent(what, 'a pool id appears on two pages');
    return pools;
  }

  async getIps(instanceId: number, signal: AbortSignal): Promise<InstanceIps> {
    const what = `instance ${instanceId}`;
    const body = await this.#getJson(`/linode/instances/${instanceId}/ips`, {}, what, signal);
    return { ipv4Public: field(field(body, 'ipv4'), 'public'), slaac: field(field(body, 'ipv6'), 'slaac') };
  }

  async #getJson(path: string, query: Record<string, string>, what: string, signal: AbortSignal): Promise<unknown> {
    const url = new URL(`${this.#base}${path}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const where = `GET ${safeUrl(url)}`;
    let res;
    try {
      res = await httpRequest({
        url,
        headers: {
          authorization: `Bearer ${this.#options.token}`,
          accept: 'application/json',
          'user-agent': 'gatehouse (linode-lke source)',
        },
        timeoutMs: this.#options.timeoutMs,
        maxAttempts: this.#options.maxAttempts,
        ...(this.#options.deadlineMs === undefined ? {} : { deadlineMs: this.#options.deadlineMs }),
        ...(this.#options.clock ? { clock: this.#options.clock } : {}),
        signal,
        ...(this.#options.onRetry ? { onRetry: this.#options.onRetry } : {}),
      });
    } catch (e) {
      if (e instanceof GatehouseError && e.code === 'SOURCE_INCOMPLETE') {
        throw new GatehouseError('SOURCE_INCOMPLETE', `${what}: ${e.message}`, { cause: e, details: e.details });
      }
      throw e;
    }
    const reason = this.#scrub(errorReason(res.body));
    if (res.status === 401 || res.status === 403) {
      throw new GatehouseError(
        'SOURCE_INCOMPLETE',
        `${what}: ${where}: HTTP ${res.status}${reason}: Linode refused the token (check that it is current and has ` +
          `the lke:read_only and linodes:read_only scopes)`,
        { terminal: true, details: { status: res.status } },
      );
    }
    if (res.status === 404) {
      throw new GatehouseError('SOURCE_INCOMPLETE', `${what} not found: ${where}: HTTP 404${reason}`, {
        details: { status: 404 },
      });
    }
    if (res.status !== 200) {
      throw new GatehouseError('SOURCE_INCOMPLETE', `${what}: ${where}: HTTP ${res.status}${reason}`, {
        details: { status: res.status },
      });
    }
    try {
      return JSON.parse(res.body) as unknown;
    } catch (e) {
      throw new GatehouseError('SOURCE_INCOMPLETE', `${what}: ${where}: response is not valid JSON`, { cause: e });
    }
  }

  #invalid(origin: string, error: z.ZodError): GatehouseError {
    return invalid(this.#options.origin ? `${this.#options.origin}: ${origin}` : origin, error);
  }

  /** Server text is quoted in messages; a server that echoes the token must not get it into logs. */
  #scrub(text: string): string {
    return this.#options.token === '' ? text : text.split(this.#options.token).join('[redacted]');
  }
}

/** `: <reason>` from Linode's `{ errors: [{ reason }] }`, bounded; empty when there is none. */
function errorReason(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: { reason?: unknown }[] };
    const reason = parsed.errors?.[0]?.reason;
    return typeof reason === 'string' && reason !== '' ? ` (${reason.slice(0, 200)})` : '';
  } catch {
    return '';
  }
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function invalid(origin: string, error: z.ZodError): GatehouseError {
  const issue = error.issues[0];
  const at = issue && issue.path.length > 0 ? ` at ${issue.path.map(String).join('.')}` : '';
  return new GatehouseError(
    'SOURCE_INVALID_DATA',
    `${origin}: unexpected response shape${at}: ${issue?.message ?? 'invalid'}`,
    {
      // No `cause`: the first issue is in the message; the full ZodError would flood one-line reports.
      terminal: true,
      details: { origin },
    },
  );
}

function inconsistent(what: string, why: string): GatehouseError {
  return new GatehouseError(
    'SOURCE_INCOMPLETE',
    `${what}: pagination inconsistent (the pool list changed while it was read?): ${why}`,
  );
}
