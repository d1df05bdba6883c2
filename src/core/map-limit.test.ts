// node:test's describe/it return promises that the runner itself awaits.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { mapLimit } from './map-limit.ts';

describe('mapLimit', () => {
  it('keeps input order and never exceeds the limit', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0], 2, new AbortController().signal, async (n) => {
      peak = Math.max(peak, ++inFlight);
      await sleep(n * 3);
      inFlight--;
      return n * 10;
    });
    assert.deepEqual(out, [50, 10, 40, 20, 30, 0]);
    assert.equal(peak, 2);
  });

  it('fails fast: the first error aborts the others and starts nothing new', async () => {
    const started: number[] = [];
    let sawAbort = false;
    await assert.rejects(
      mapLimit([1, 2, 3, 4, 5], 2, new AbortController().signal, async (n, signal) => {
        started.push(n);
        if (n === 1) throw new Error('boom');
        await sleep(50, undefined, { signal }).catch(() => {
          sawAbort = true;
        });
        return n;
      }),
      /boom/,
    );
    assert.deepEqual(started, [1, 2]);
    assert.equal(sawAbort, true);
  });

  it('returns at once for no items and refuses to start when already aborted', async () => {
    assert.deepEqual(await mapLimit([], 3, new AbortController().signal, () => Promise.resolve(1)), []);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(
      mapLimit([1], 3, ac.signal, () => Promise.resolve(1)),
      /aborted/,
    );
  });
});
