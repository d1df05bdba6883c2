import { GatehouseError } from './errors.ts';

/**
 * The TIMEOUT error of one outbound request. `what` names the operation and the host (e.g. `GET api.github.com/user`);
 * it must never carry a token, a password or a full URL with its query string.
 */
export function requestTimeout(what: string, ms: number): GatehouseError {
  return new GatehouseError('TIMEOUT', `${what}: no complete answer within ${ms} ms`, { details: { timeoutMs: ms } });
}

/**
 * Runs one outbound request under a deadline of `ms`, retries included: `fn` gets a signal that aborts when either
 * `signal` (the run's) or the deadline does, and must pass it to the client it calls.
 *
 * When the deadline fired and the run's signal did not, the result is a TIMEOUT error ({@link requestTimeout}) — even
 * when `fn` resolved: a client that swallows an aborted body read (Octokit turns it into an empty body) must not hand
 * back a truncated answer as if it were whole.
 *
 * @throws GatehouseError TIMEOUT; otherwise whatever `fn` throws.
 */
export async function withDeadline<T>(
  what: string,
  ms: number,
  signal: AbortSignal | undefined,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadline = new AbortController();
  // An AbortError (not a TimeoutError) so that clients treat it as a cancellation, not as a network failure to retry.
  const timer = setTimeout(() => deadline.abort(new DOMException(`no answer within ${ms} ms`, 'AbortError')), ms);
  timer.unref();
  const combined = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
  const timedOut = () => deadline.signal.aborted && signal?.aborted !== true;
  try {
    const result = await fn(combined);
    if (timedOut()) throw requestTimeout(what, ms);
    return result;
  } catch (e) {
    if (timedOut()) throw requestTimeout(what, ms);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
