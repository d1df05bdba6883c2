/**
 * The HTTP scaffolding the vendor fakes share: a server on 127.0.0.1 with an ephemeral port, reading a request body
 * with a size cap, validating each request and response against the vendor's OpenAPI description (departures are
 * recorded as violations), and a first-in-first-out queue of injected faults per operation.
 *
 * What a fake answers, which faults it knows and how it serves them stay in the fake.
 */
import { AssertionError } from 'node:assert';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OpenApiValidator } from './openapi/index.ts';

/** Request bodies are read up to this many bytes; the rest is dropped. */
export const MAX_BODY_BYTES = 1 << 20;

/**
 * An HTTP server whose handler's failures are reported to `onCrash` (and answered 500 when nothing was sent yet). It
 * does not listen yet: see {@link listenLocal}.
 */
export function createFakeServer(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  onCrash: (e: unknown) => void,
): Server {
  return createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      onCrash(e);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
}

/** Listens on 127.0.0.1 with an ephemeral port; resolves to the port. */
export async function listenLocal(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Drops every connection (keep-alive ones too) and closes the server; nothing to do for a server never started. */
export async function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The body as UTF-8, at most `maxBytes` of it (reading stops at the chunk that crosses the cap). */
export async function readBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) break;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface ReceivedRequest {
  readonly url: URL;
  /** Upper case. */
  readonly method: string;
  /** The raw body ('' for none). */
  readonly body: string;
  /** The matched operation, if any. */
  readonly operationId: string | undefined;
}

/** Reads a request and validates it, recording each departure from the description in `violations`. */
export async function receiveRequest(
  req: IncomingMessage,
  validator: OpenApiValidator,
  violations: string[],
): Promise<ReceivedRequest> {
  const url = new URL(req.url ?? '/', 'http://fake.invalid');
  const method = (req.method ?? 'GET').toUpperCase();
  const body = await readBody(req);
  const check = validator.validateRequest({
    method,
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body: body === '' ? undefined : body,
  });
  for (const e of check.errors) violations.push(`request ${method} ${url.pathname}${url.search}: ${e.message}`);
  return { url, method, body, operationId: check.operationId };
}

/** The part of a fake's request log entry that {@link sendResponse} reads and completes. */
export interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  status?: number;
}

/** What every fake logs of a request; a fake's own entry may add to it. */
export interface LoggedRequest<FaultKind extends string> extends Exchange {
  /** The matched operation, if any. */
  readonly operationId?: string;
  /** The injected fault that answered it, if any. */
  fault?: FaultKind;
}

/**
 * Validates a response (unless `validate` is false), records its status in `entry`, and writes it unless the client
 * has gone. An empty `text` is validated as no body.
 */
export function sendResponse(
  validator: OpenApiValidator,
  violations: string[],
  http: { readonly req: IncomingMessage; readonly res: ServerResponse },
  entry: Exchange,
  response: { readonly status: number; readonly headers: Record<string, string>; readonly text: string },
  validate = true,
): void {
  const { status, headers, text } = response;
  if (validate) {
    for (const e of validator.validateResponse({
      method: entry.method,
      path: entry.path,
      status,
      headers,
      body: text === '' ? undefined : text,
    })) {
      violations.push(`response ${status} to ${entry.method} ${entry.path}${entry.query}: ${e.message}`);
    }
  }
  entry.status = status;
  if (http.res.destroyed || http.req.socket.destroyed) return;
  http.res.writeHead(status, headers).end(text);
}

/** Fails with every violation (the first `limit` of them) when there is any. `fake` names it, e.g. `Linode fake`. */
export function assertNoViolations(fake: string, violations: readonly string[], limit = Infinity): void {
  if (violations.length > 0) {
    throw new AssertionError({
      message: `${fake} saw ${violations.length} contract violation(s):\n${violations.slice(0, limit).join('\n')}`,
    });
  }
}

/** Faults queued per operation, or for any operation (`*`), first in first out. */
export class FaultQueue<Op extends string, F> {
  readonly #queues = new Map<Op | '*', F[]>();

  /** Appends faults for the next requests to `operation`. */
  push(operation: Op | '*', list: readonly F[]): void {
    this.#queues.set(operation, [...(this.#queues.get(operation) ?? []), ...list]);
  }

  /** The next fault for `operation`: one queued for it, else one queued for any operation. */
  take(operation: Op): F | undefined {
    for (const key of [operation, '*'] as const) {
      const list = this.#queues.get(key);
      if (list && list.length > 0) return list.shift();
    }
    return undefined;
  }

  /** Faults queued but not yet served. */
  get size(): number {
    let n = 0;
    for (const list of this.#queues.values()) n += list.length;
    return n;
  }

  clear(): void {
    this.#queues.clear();
  }
}
