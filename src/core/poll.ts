import { digest } from './canonical-json.ts';
import type { SourceRead } from './model.ts';

/**
 * A `watch` for sources that can only be polled (cloud APIs, feeds): reads every `intervalMs` and notifies when the
 * facts differ from the last complete read. Incomplete or failed reads are ignored (the reconcile they would trigger
 * could not remove anything anyway, and the periodic pass still runs); the first complete read is the baseline. Reads
 * through the source's own conditional requests, so an unchanged feed costs a 304.
 *
 * Resolves when `signal` aborts, or at once when `intervalMs` is 0 (polling disabled).
 */
export async function pollForChanges(
  read: (signal: AbortSignal) => Promise<SourceRead>,
  intervalMs: number,
  signal: AbortSignal,
  notify: (reason: string) => void,
  sleep: (ms: number, signal: AbortSignal) => Promise<void> = abortableSleep,
): Promise<void> {
  if (intervalMs <= 0) return;
  let last: string | undefined;
  while (!signal.aborted) {
    try {
      const r = await read(signal);
      if (r.complete) {
        const now = digest(r.facts);
        if (last !== undefined && now !== last) notify('poll-changed');
        last = now;
      }
    } catch {
      // A failed poll is not a change; the source's next read reports the failure where it matters.
    }
    await sleep(intervalMs, signal);
  }
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
