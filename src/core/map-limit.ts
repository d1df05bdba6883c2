import { GatehouseError } from './errors.ts';

/**
 * Runs `fn` over `items` with at most `limit` calls in flight and returns results in input order.
 *
 * Fail-fast: the first error aborts the signal passed to the other calls, no new call starts, and that first error is
 * thrown once the calls in flight have settled (so nothing keeps running after the caller moved on). An abort of
 * `signal` propagates the same way.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal,
  fn: (item: T, signal: AbortSignal) => Promise<R>,
): Promise<R[]> {
  const inner = new AbortController();
  const onAbort = () => inner.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && !inner.signal.aborted && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T, inner.signal);
      } catch (error) {
        if (failure === undefined) {
          failure = { error };
          inner.abort(error);
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) throw failure.error;
  if (signal.aborted) throw new GatehouseError('ABORTED', 'aborted', { cause: signal.reason });
  return results;
}
