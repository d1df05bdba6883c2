import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPlan } from './apply.ts';
import { digest } from './canonical-json.ts';
import type { Change, ChangeResult, Target } from './contracts.ts';
import { sealPlan } from './plan.ts';
import { MemoryStore } from './testing/memory-store.ts';

const changes: Change[] = ['a', 'b', 'c'].map((id) => ({ kind: 'k', id, summary: `change ${id}`, destructive: false }));

/** A target whose first change takes long enough for the run's deadline to pass while it is in flight. */
function slowTarget(deadline: AbortController) {
  const seen: { id: string; signalAborted: boolean }[] = [];
  const target: Target = {
    name: 't',
    type: 'fake',
    sources: [],
    desired: () => null,
    observe: () => Promise.resolve({ v: 1 }),
    diff: () => changes,
    async apply(cs, signal): Promise<ChangeResult[]> {
      const results: ChangeResult[] = [];
      for (const c of cs) {
        if (c.id === 'a') {
          deadline.abort(new Error('deadline'));
          await new Promise((r) => setTimeout(r, 20));
        }
        seen.push({ id: c.id, signalAborted: signal.aborted });
        results.push({ id: c.id, status: 'applied' });
      }
      return results;
    },
  };
  return { target, seen };
}

describe('applyPlan with a run deadline', () => {
  it('completes the change in flight, skips and audits the rest, and never aborts a target with it', async () => {
    const deadline = new AbortController();
    const { target, seen } = slowTarget(deadline);
    const plan = sealPlan({
      format: 1,
      configDigest: 'c',
      sources: [],
      targets: [{ name: 't', type: 'fake', observedDigest: digest({ v: 1 }), changes, verdicts: [], blocked: [] }],
    });
    const audit = new MemoryStore();
    const [report] = await applyPlan({
      plan,
      configDigest: 'c',
      targets: [target],
      audit,
      actor: 'test',
      signal: new AbortController().signal,
      deadline: deadline.signal,
      observed: new Map([['t', { v: 1 }]]),
    });
    assert.deepEqual(seen, [{ id: 'a', signalAborted: false }]);
    assert.deepEqual(
      report?.results.map((r) => [r.id, r.status]),
      [
        ['a', 'applied'],
        ['b', 'skipped'],
        ['c', 'skipped'],
      ],
    );
    assert.deepEqual(
      audit.records.map((r) => [r.changeId, r.status]),
      [
        ['a', 'started'],
        ['a', 'applied'],
        ['b', 'skipped'],
        ['c', 'skipped'],
      ],
    );
  });
});

describe('applyPlan with a run deadline, atomic target', () => {
  it('does not start a batch once the deadline passed, and audits it as skipped', async () => {
    const calls: string[] = [];
    const target: Target = {
      name: 'atomic',
      type: 'fake',
      atomic: true,
      sources: [],
      desired: () => null,
      observe: () => Promise.resolve({ v: 1 }),
      diff: () => changes,
      apply(cs): Promise<ChangeResult[]> {
        calls.push(...cs.map((c) => c.id));
        return Promise.resolve(cs.map((c) => ({ id: c.id, status: 'applied' as const })));
      },
    };
    const plan = sealPlan({
      format: 1,
      configDigest: 'c',
      sources: [],
      targets: [{ name: 'atomic', type: 'fake', observedDigest: digest({ v: 1 }), changes, verdicts: [], blocked: [] }],
    });
    const audit = new MemoryStore();
    const deadline = new AbortController();
    deadline.abort(new Error('deadline'));
    const [report] = await applyPlan({
      plan,
      configDigest: 'c',
      targets: [target],
      audit,
      actor: 'test',
      signal: new AbortController().signal,
      deadline: deadline.signal,
      observed: new Map([['atomic', { v: 1 }]]),
    });
    assert.deepEqual(calls, []);
    assert.deepEqual(
      report?.results.map((r) => r.status),
      ['skipped', 'skipped', 'skipped'],
    );
    assert.deepEqual(
      audit.records.map((r) => r.status),
      ['skipped', 'skipped', 'skipped'],
    );
  });
});
