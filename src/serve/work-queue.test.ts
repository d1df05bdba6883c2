import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkQueue, type Clock } from './work-queue.ts';

/** A clock whose time moves only when the test says so; timers fire in time order. */
function manualClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (h) => void timers.delete(h as number),
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const next = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!next) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = end;
    },
  };
}

/** Drains what is ready right now without waiting. */
async function readyKeys(q: WorkQueue): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const ac = new AbortController();
    const p = q.get(ac.signal);
    await Promise.resolve();
    ac.abort();
    const k = await p;
    if (k === undefined) return out;
    out.push(k);
  }
}

describe('WorkQueue', () => {
  it('collapses duplicate adds of a waiting key', async () => {
    const q = new WorkQueue({ clock: manualClock() });
    q.add('a');
    q.add('a');
    q.add('b');
    q.add('a');
    assert.equal(q.depth, 2);
    assert.deepEqual(await readyKeys(q), ['a', 'b']);
  });

  it('never hands out a key while it runs; adds during the run give exactly one follow-up', async () => {
    const q = new WorkQueue({ clock: manualClock() });
    q.add('a');
    assert.deepEqual(await readyKeys(q), ['a']);
    for (let i = 0; i < 1000; i++) q.add('a');
    assert.deepEqual(await readyKeys(q), [], 'not handed out while running');
    q.done('a', { ok: true });
    assert.deepEqual(await readyKeys(q), ['a'], 'one follow-up');
    q.done('a', { ok: true });
    assert.deepEqual(await readyKeys(q), [], 'nothing more');
  });

  it('keeps the minimum interval between starts of one key, not across keys', async () => {
    const clock = manualClock();
    const q = new WorkQueue({ clock, minIntervalMs: 1_000 });
    q.add('a');
    q.add('b');
    assert.deepEqual(await readyKeys(q), ['a', 'b']);
    q.done('a', { ok: true });
    q.add('a');
    clock.advance(999);
    assert.deepEqual(await readyKeys(q), []);
    clock.advance(1);
    assert.deepEqual(await readyKeys(q), ['a']);
  });

  it('a key may have its own minimum interval', async () => {
    const clock = manualClock();
    const q = new WorkQueue({ clock, minIntervalMs: 0, minIntervalFor: (k) => (k === 'slow' ? 5_000 : undefined) });
    q.add('slow');
    q.add('fast');
    assert.deepEqual(await readyKeys(q), ['slow', 'fast']);
    q.done('slow', { ok: true });
    q.done('fast', { ok: true });
    q.add('slow');
    q.add('fast');
    assert.deepEqual(await readyKeys(q), ['fast']);
    clock.advance(5_000);
    assert.deepEqual(await readyKeys(q), ['slow']);
  });

  it('backs off exponentially after failures up to the cap, and resets on success', async () => {
    const clock = manualClock();
    const q = new WorkQueue({ clock, backoffBaseMs: 100, backoffCapMs: 350 });
    const startsAt: number[] = [];
    q.add('a');
    for (let i = 0; i < 5; i++) {
      let got: string[] = [];
      for (let t = 0; got.length === 0 && t < 10_000; t += 10) {
        got = await readyKeys(q);
        if (got.length === 0) clock.advance(10);
      }
      startsAt.push(clock.now());
      q.done('a', { ok: false });
    }
    const gaps = startsAt.slice(1).map((t, i) => t - (startsAt[i] as number));
    assert.deepEqual(gaps, [100, 200, 350, 350]);
    clock.advance(350);
    assert.deepEqual(await readyKeys(q), ['a']);
    q.done('a', { ok: true });
    q.add('a');
    assert.deepEqual(await readyKeys(q), ['a'], 'success resets the backoff');
  });

  it('an add during backoff does not shorten it', async () => {
    const clock = manualClock();
    const q = new WorkQueue({ clock, backoffBaseMs: 1_000 });
    q.add('a');
    await readyKeys(q);
    q.done('a', { ok: false });
    q.add('a');
    clock.advance(500);
    assert.deepEqual(await readyKeys(q), []);
    clock.advance(500);
    assert.deepEqual(await readyKeys(q), ['a']);
  });

  it('wakes a waiting consumer and reports when the covered adds began', async () => {
    const clock = manualClock();
    const q = new WorkQueue({ clock });
    const pending = q.get();
    clock.advance(5);
    q.add('a');
    assert.equal(await pending, 'a');
    assert.equal(q.startedSince('a'), 5);
  });

  it('close resolves waiting consumers with undefined and drops timers', async () => {
    const clock = manualClock();
    const q = new WorkQueue({ clock, minIntervalMs: 1_000 });
    const pending = q.get();
    q.close();
    assert.equal(await pending, undefined);
    q.add('a');
    assert.equal(await q.get(), undefined);
  });
});
