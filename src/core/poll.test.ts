import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrefix } from './address.ts';
import type { SourceRead } from './model.ts';
import { pollForChanges } from './poll.ts';

const read = (prefixes: string[], complete = true): SourceRead => ({
  complete,
  facts: { addressSets: [{ name: 's', prefixes: prefixes.map((p) => parsePrefix(p, 'test')) }] },
  notes: [],
});

describe('pollForChanges', () => {
  it('notifies once per change of complete reads, ignoring failed and incomplete ones', async () => {
    const script: (SourceRead | Error)[] = [
      read(['1.2.3.4/32']),
      read(['1.2.3.4/32']),
      new Error('down'),
      read([], false),
      read(['1.2.3.4/32', '5.6.7.8/32']),
      read(['1.2.3.4/32', '5.6.7.8/32']),
      read(['5.6.7.8/32']),
    ];
    const ac = new AbortController();
    const reasons: string[] = [];
    let i = 0;
    await pollForChanges(
      () => {
        const next = script[i++];
        if (i >= script.length) ac.abort();
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next as SourceRead);
      },
      1,
      ac.signal,
      (r) => reasons.push(r),
      () => Promise.resolve(),
    );
    assert.equal(i, script.length);
    assert.deepEqual(reasons, ['poll-changed', 'poll-changed']);
  });

  it('an interval of 0 disables polling', async () => {
    let reads = 0;
    await pollForChanges(
      () => (reads++, Promise.resolve(read([]))),
      0,
      new AbortController().signal,
      () => {},
    );
    assert.equal(reads, 0);
  });
});
