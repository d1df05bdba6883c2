import { realClock, type Clock } from '../core/clock.ts';
import { GatehouseError, type ErrorCode } from '../core/errors.ts';

/** One HTTP exchange with bounded retries. */
export interface HttpRequest {
  readonly url: string | URL;
  /** Default GET. */
  readonly method?: string;
  /** Sent as given and never echoed into errors, logs or retry events (they may carry credentials). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Per attempt, from sending until the whole body is read. Default 10 s. */
  readonly timeoutMs?: number;
  /** Attempts including the first. Default 4. */
  readonly maxAttempts?: number;
  /** Across all attempts and waits. Default 60 s. */
  readonly deadlineMs?: number;
  /** First backoff step; doubles per retry, capped by `maxDelayMs`, with jitter. Default 250 ms. */
  readonly baseDelayMs?: number;
  /** Default 10 s. */
  readonly maxDelayMs?: number;
  /** A response body larger than this fails the request (not retried). Default 32 MiB; at most 1 GiB. */
  readonly maxBodyBytes?: number;
  /** Retry non-idempotent methods (POST, PATCH) after errors that may have reached the server. Default false. */
  readonly retryUnsafe?: boolean;
  /** Code of the errors thrown. Default SOURCE_INCOMPLETE. */
  readonly errorCode?: ErrorCode;
  readonly signal?: AbortSignal;
  /** Called before each wait, for logging. */
  readonly onRetry?: (event: RetryEvent) => void;
  /** Time source for the deadline and the waits between attempts; tests pass one that does not really wait. */
  readonly clock?: Clock;
}

export interface RetryEvent {
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  readonly delayMs: number;
  /** `HTTP 503`, `network error (ECONNRESET)`, `timed out after 10000 ms`. */
  readonly reason: string;
  /** The URL without credentials or query, as in errors. */
  readonly url: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  /** Attempts it took, from 1. */
  readonly attempts: number;
}

/** A failed exchange. `status` is set when the last attempt got an HTTP response. */
export class HttpError extends GatehouseError {
  readonly status: number | undefined;
  readonly attempts: number;
  constructor(
    code: ErrorCode,
    message: string,
    info: { status?: number; attempts: number; cause?: unknown; terminal?: boolean },
  ) {
    super(code, message, {
      cause: info.cause,
      terminal: info.terminal ?? false,
      details: { status: info.status, attempts: info.attempts },
    });
    this.status = info.status;
    this.attempts = info.attempts;
  }
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/**
 * Performs one request with per-attempt timeout, a total deadline and bounded retries.
 *
 * Retried: network errors and per-attempt timeouts (idempotent methods only, unless `retryUnsafe`), 408, 429 and 5xx
 * other than 501/505 (except 429, those only for idempotent methods, unless `retryUnsafe`). The wait is exponential
 * backoff with jitter, except that a `Retry-After` (seconds or HTTP date) on 429/503 is honoured as given; if that wait
 * would pass the deadline the request fails at once rather than retrying early. A retryable status that is not retried
 * or still fails on the last attempt throws. Other statuses (2xx, 3xx after redirects, other 4xx) resolve:
 * interpreting them is the caller's job.
 *
 * Errors name the method and the URL without userinfo or query string, and never the request headers.
 *
 * @throws HttpError TIMEOUT when the server did not answer (headers and whole body) in time on the last attempt, or the
 *   deadline ran out; HttpError (`errorCode`, default SOURCE_INCOMPLETE) when attempts are exhausted otherwise, a
 *   retry would pass the deadline, or the body is too large; GatehouseError ABORTED when `signal` aborts.
 */
export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const method = (req.method ?? 'GET').toUpperCase();
  const where = `${method} ${safeUrl(req.url)}`;
  const timeoutMs = req.timeoutMs ?? 10_000;
  const maxAttempts = Math.max(1, Math.min(req.maxAttempts ?? 4, 20));
  const clock = req.clock ?? realClock;
  const deadline = clock.now() + (req.deadlineMs ?? 60_000);
  const code = req.errorCode ?? 'SOURCE_INCOMPLETE';
  const canRetryErrors = IDEMPOTENT.has(method) || req.retryUnsafe === true;
  checkUrl(req.url, where, code);

  for (let attempt = 1; ; attempt++) {
    throwIfAborted(req.signal, where);
    const remaining = deadline - clock.now();
    if (remaining <= 0) throw new HttpError('TIMEOUT', `${where}: deadline exceeded`, { attempts: attempt - 1 });
    const attemptTimeout = Math.min(timeoutMs, remaining);
    let outcome: {
      retryable: boolean;
      reason: string;
      status?: number;
      wait?: number | undefined;
      timedOut?: boolean;
    };
    try {
      const response = await attemptOnce(
        req,
        method,
        attemptTimeout,
        attempt,
        req.maxBodyBytes ?? 32 << 20,
        where,
        code,
      );
      if (!isRetryableStatus(response.status)) return response;
      // A 429 was refused before processing; another error may have been applied, which is only safe to repeat for
      // idempotent methods.
      const retryable = canRetryErrors || response.status === 429;
      outcome = {
        retryable,
        reason: `HTTP ${response.status}${retryable ? '' : ` (not retried: ${method} is not idempotent)`}`,
        status: response.status,
        wait:
          response.status === 429 || response.status === 503
            ? parseRetryAfter(response.headers.get('retry-after'), Date.now())
            : undefined,
      };
    } catch (e) {
      if (e instanceof HttpError) throw e;
      throwIfAborted(req.signal, where, e);
      const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
      outcome = {
        retryable: canRetryErrors,
        reason: timedOut ? `timed out after ${Math.round(attemptTimeout)} ms` : `network error (${networkCode(e)})`,
        timedOut,
        // No `cause`: fetch's own messages can quote the full URL, and causes end up in logs and plans.
      };
    }

    // A server that never answered is a timeout whatever the caller's code: callers and the CLI tell it apart.
    const fail = (why: string) =>
      new HttpError(outcome.timedOut === true ? 'TIMEOUT' : code, `${where}: ${outcome.reason}${why}`, {
        attempts: attempt,
        ...(outcome.status === undefined ? {} : { status: outcome.status }),
      });
    if (!outcome.retryable) throw fail('');
    if (attempt >= maxAttempts) throw fail(` after ${attempt} attempt${attempt === 1 ? '' : 's'}`);
    const delay = outcome.wait ?? backoff(attempt, req.baseDelayMs ?? 250, req.maxDelayMs ?? 10_000);
    if (clock.now() + delay >= deadline) {
      const asked = outcome.wait === undefined ? '' : ` (server asked to wait ${Math.ceil(delay / 1000)} s)`;
      throw fail(`; next retry would pass the deadline${asked}`);
    }
    req.onRetry?.({ attempt, delayMs: delay, reason: outcome.reason, url: safeUrl(req.url) });
    try {
      await clock.sleep(delay, req.signal);
    } catch (e) {
      throwIfAborted(req.signal, where, e);
      throw e;
    }
  }
}

async function attemptOnce(
  req: HttpRequest,
  method: string,
  timeoutMs: number,
  attempt: number,
  maxBodyBytes: number,
  where: string,
  code: ErrorCode,
): Promise<HttpResponse> {
  const timeout = AbortSignal.timeout(Math.max(1, Math.round(timeoutMs)));
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  const res = await fetch(req.url, {
    method,
    ...(req.headers ? { headers: req.headers } : {}),
    ...(req.body === undefined ? {} : { body: req.body }),
    signal,
  });
  if (isRetryableStatus(res.status)) {
    // The body of a response we are going to retry is never read; release the connection.
    await res.body?.cancel().catch(() => undefined);
    return { status: res.status, headers: res.headers, body: '', attempts: attempt };
  }
  const body = await readCapped(res, maxBodyBytes, where, code, attempt);
  return { status: res.status, headers: res.headers, body, attempts: attempt };
}

/** ES2024's resizable `ArrayBuffer` (Node ≥ 20), which the project's TypeScript lib does not declare yet. */
interface ResizableArrayBuffer extends ArrayBuffer {
  resize(byteLength: number): void;
}
const ResizableArrayBuffer = ArrayBuffer as unknown as new (
  byteLength: number,
  options: { maxByteLength: number },
) => ResizableArrayBuffer;

/** Above this no body can become a string anyway (V8 strings hold at most about 2^29 characters). */
const MAX_BODY_BYTES = 1 << 30;

/**
 * The body as text, holding at most one whole copy of its bytes at a time: they go into one growable buffer (sized by
 * `Content-Length` when the server sends one), which is decoded once and released at once rather than at the next
 * garbage collection. A body that would pass `max` is refused before its bytes are buffered: when `Content-Length` says
 * so, before reading any; otherwise at the chunk that would pass it.
 */
async function readCapped(
  res: Response,
  max: number,
  where: string,
  code: ErrorCode,
  attempts: number,
): Promise<string> {
  if (!res.body) return '';
  const limit = Math.max(0, Math.min(max, MAX_BODY_BYTES));
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const tooLarge = async () => {
    await reader.cancel().catch(() => undefined);
    return new HttpError(code, `${where}: response body larger than ${limit} bytes`, {
      status: res.status,
      attempts,
      terminal: true,
    });
  };
  // A declared length is only a size hint: a compressed body decodes to more bytes than it declares.
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (res.headers.get('content-encoding') === null && declared > limit) throw await tooLarge();
  // Reserved up to the limit, committed only as it grows.
  const buffer = new ResizableArrayBuffer(Number.isSafeInteger(declared) && declared <= limit ? declared : 0, {
    maxByteLength: limit,
  });
  try {
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const next = size + value.byteLength;
      if (next > limit) throw await tooLarge();
      if (next > buffer.byteLength) buffer.resize(Math.min(limit, Math.max(next, buffer.byteLength * 2, 64 << 10)));
      new Uint8Array(buffer, size, value.byteLength).set(value);
      size = next;
    }
    return new TextDecoder().decode(new Uint8Array(buffer, 0, size));
  } finally {
    buffer.resize(0);
  }
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/** Exponential backoff with "equal jitter": half fixed, half random, so waits never collapse to zero. */
export function backoff(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/** `Retry-After` in milliseconds from now: delta-seconds or an HTTP date; undefined when absent or unparseable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** The URL as it may appear in messages: scheme, host, port and path; never userinfo, query or fragment. */
export function safeUrl(url: string | URL): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function throwIfAborted(signal: AbortSignal | undefined, where: string, cause?: unknown): void {
  if (signal?.aborted) {
    throw new GatehouseError('ABORTED', `${where}: aborted`, { cause: cause ?? signal.reason });
  }
}

function networkCode(e: unknown): string {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur instanceof Error; i++) {
    const c = (cur as NodeJS.ErrnoException).code;
    if (typeof c === 'string') return c;
    cur = cur.cause;
  }
  return e instanceof Error ? e.name : 'unknown';
}

function checkUrl(url: string | URL, where: string, code: ErrorCode): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new HttpError(code, `${where}: invalid URL`, { attempts: 0, terminal: true });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new HttpError(code, `${where}: only http and https URLs are supported`, { attempts: 0, terminal: true });
  }
  if (u.username !== '' || u.password !== '') {
    // fetch refuses them anyway, with a message that quotes the credentials.
    throw new HttpError(code, `${where}: credentials in the URL are not supported`, { attempts: 0, terminal: true });
  }
}
