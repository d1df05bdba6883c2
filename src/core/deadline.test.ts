import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGatehouseError } from './errors.ts';
import { withDeadline } from './deadline.ts';

/** Settles when `signal` aborts, with its reason; never otherwise (a server that never answers). */
const never = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
}

describe('withDeadline', () => {
  it('aborts the call at the deadline and fails with TIMEOUT naming what', async () => {
    const t0 = performance.now();
    const e = await rejection(withDeadline('GET example.test/x', 100, undefined, never));
    assert.ok(isGatehouseError(e));
    assert.equal(e.code, 'TIMEOUT');
    assert.equal(e.message, 'GET example.test/x: no complete answer within 100 ms');
    assert.ok(performance.now() - t0 < 2000);
  });

  it("leaves the caller's abort alone: that is not a timeout", async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('interrupted')), 20);
    const e = await rejection(withDeadline('x', 5000, ac.signal, never));
    assert.ok(e instanceof Error && !isGatehouseError(e));
    assert.equal(e.message, 'interrupted');
  });

  it('rejects a result produced after the deadline fired (a client that swallowed the aborted body)', async () => {
    const e = await rejection(
      withDeadline('x', 50, undefined, async (signal) => {
        await new Promise((r) => signal.addEventListener('abort', r));
        return '';
      }),
    );
    assert.ok(isGatehouseError(e));
    assert.equal(e.code, 'TIMEOUT');
  });

  it('returns what the call returns in time, and passes its errors through', async () => {
    assert.equal(await withDeadline('x', 1000, undefined, () => Promise.resolve(42)), 42);
    const e = await rejection(withDeadline('x', 1000, undefined, () => Promise.reject(new Error('boom'))));
    assert.equal((e as Error).message, 'boom');
  });
});
