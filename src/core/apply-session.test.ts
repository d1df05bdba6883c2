import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPlan } from './apply.ts';
import { digest } from './canonical-json.ts';
import type { Change, ChangeResult, Target } from './contracts.ts';
import { GatehouseError } from './errors.ts';
import { sealPlan } from './plan.ts';
import { MemoryStore } from './testing/memory-store.ts';

const change = (id: string, kind = 'k'): Change => ({ kind, id, summary: `change ${id}`, destructive: false });

/** Applies `changes` to `target` as the pipeline would, with an optional before-write check. */
async function run(target: Target, changes: Change[], beforeWrite?: () => Promise<void>) {
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
    observed: new Map([['t', { v: 1 }]]),
    ...(beforeWrite ? { beforeWrite } : {}),
  });
  const audited = (await audit.list()).map((r) => `${r.changeId}:${r.status}`);
  return { results: report?.results ?? [], audited };
}

/** A target that records what happens to it: calls of apply (direct or through a session), opens and closes. */
function sessionTarget(options: { atomic?: boolean; openFails?: boolean } = {}) {
  const events: string[] = [];
  const applied = (cs: readonly Change[]): ChangeResult[] => cs.map((c) => ({ id: c.id, status: 'applied' }));
  const target: Target = {
    name: 't',
    type: 'fake',
    atomic: options.atomic ?? false,
    sources: [],
    desired: () => null,
    observe: () => Promise.resolve({ v: 1 }),
    diff: () => [],
    apply(cs) {
      events.push(`direct ${cs.map((c) => c.id).join(',')}`);
      return Promise.resolve(applied(cs));
    },
    openSession() {
      events.push('open');
      if (options.openFails) return Promise.reject(new GatehouseError('TARGET_FORBIDDEN', 'bind refused'));
      return Promise.resolve({
        apply(cs: readonly Change[]) {
          events.push(`session ${cs.map((c) => c.id).join(',')}`);
          return Promise.resolve(applied(cs));
        },
        close() {
          events.push('close');
          return Promise.resolve();
        },
      });
    },
  };
  return { target, events };
}

describe('apply: one form, with an optional session per run', () => {
  it('a non-atomic target: one session for the run, one change per call, each audited started then applied', async () => {
    const { target, events } = sessionTarget();
    const { results, audited } = await run(target, [change('a'), change('b'), change('c')]);
    assert.deepEqual(events, ['open', 'session a', 'session b', 'session c', 'close']);
    assert.deepEqual(
      results.map((r) => r.status),
      ['applied', 'applied', 'applied'],
    );
    assert.deepEqual(audited, ['a:started', 'a:applied', 'b:started', 'b:applied', 'c:started', 'c:applied']);
  });

  it('an atomic target: every change in one call, through the session', async () => {
    const { target, events } = sessionTarget({ atomic: true });
    const { audited } = await run(target, [change('a'), change('b')]);
    assert.deepEqual(events, ['open', 'session a,b', 'close']);
    assert.deepEqual(audited, ['a:started', 'b:started', 'a:applied', 'b:applied']);
  });

  it('no session is opened when no change may be written', async () => {
    const { target, events } = sessionTarget();
    const { results } = await run(target, [change('a'), change('b')], () =>
      Promise.reject(new GatehouseError('STORE_LOCKED', 'not the leader')),
    );
    assert.deepEqual(events, []);
    assert.deepEqual(
      results.map((r) => [r.status, r.errorCode]),
      [
        ['skipped', 'STORE_LOCKED'],
        ['skipped', 'STORE_LOCKED'],
      ],
    );
  });

  it('a session that cannot be opened fails each change with its error, audited, and is not closed', async () => {
    const { target, events } = sessionTarget({ openFails: true });
    const { results, audited } = await run(target, [change('a'), change('b')]);
    assert.deepEqual(events, ['open']);
    assert.deepEqual(
      results.map((r) => [r.status, r.errorCode]),
      [
        ['failed', 'TARGET_FORBIDDEN'],
        ['failed', 'TARGET_FORBIDDEN'],
      ],
    );
    assert.deepEqual(audited, ['a:started', 'a:failed', 'b:started', 'b:failed']);
  });

  it('applyConcurrency: changes of one kind overlap up to the limit; the next kind starts after the previous ended', async () => {
    let inFlight = 0;
    const log: string[] = [];
    let peak = 0;
    const target: Target = {
      name: 't',
      type: 'fake',
      applyConcurrency: 2,
      sources: [],
      desired: () => null,
      observe: () => Promise.resolve({ v: 1 }),
      diff: () => [],
      async apply(cs) {
        inFlight++;
        peak = Math.max(peak, inFlight);
        log.push(`start ${cs[0]?.id}`);
        await new Promise((r) => setTimeout(r, 10));
        log.push(`end ${cs[0]?.id}`);
        inFlight--;
        return cs.map((c) => ({ id: c.id, status: 'applied' as const }));
      },
    };
    const { results } = await run(target, [
      change('p1', 'policy'),
      change('p2', 'policy'),
      change('p3', 'policy'),
      change('t1', 'tenant'),
    ]);
    assert.equal(peak, 2);
    assert.ok(log.indexOf('start t1') > Math.max(log.indexOf('end p1'), log.indexOf('end p2'), log.indexOf('end p3')));
    assert.deepEqual(
      results.map((r) => r.id),
      ['p1', 'p2', 'p3', 't1'],
    );
  });
});
