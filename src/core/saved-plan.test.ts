import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as z from 'zod';
import { applyPlan } from './apply.ts';
import { changeOf } from './change-schema.ts';
import { GatehouseError, type ErrorCode } from './errors.ts';
import { buildPlan } from './pipeline.ts';
import { sealPlan, type Plan } from './plan.ts';
import { replanSaved } from './saved-plan.ts';
import { ListTarget, ScriptedSource } from './testing/list-world.ts';
import { MemoryStore } from './testing/memory-store.ts';

/** One installation: a store, a source, a list target, a clock the test moves, and plan → save → apply as the CLI does. */
function world() {
  const store = new MemoryStore();
  const src = new ScriptedSource('nodes');
  const target = new ListTarget('allow', ['nodes']);
  let now = Date.UTC(2026, 0, 1);
  const clock = {
    now: () => new Date(now),
    advance: (ms: number) => (now += ms),
  };
  const common = {
    configDigest: 'cfg',
    sources: [src],
    targets: [target],
    snapshots: store,
    signal: AbortSignal.timeout(5000),
    now: clock.now,
  };
  /** `gatehouse plan --out`: computes, records (id, made at), returns the value that would be saved. */
  const plan = async (): Promise<Plan> => {
    const { plan: p } = await buildPlan(common);
    await store.recordPlan(p.id, clock.now());
    return structuredClone(p);
  };
  /** `gatehouse apply FILE`. */
  const applySaved = async (saved: Plan) => {
    const fresh = await replanSaved({ ...common, saved, records: store, maxAge: '24h', audit: store, actor: 'test' });
    return applyPlan({ ...common, plan: fresh.plan, observed: fresh.observed, audit: store, actor: 'test' });
  };
  return { store, src, target, clock, plan, applySaved };
}

function refusedWith(code: ErrorCode, pattern: RegExp) {
  return (e: unknown) => e instanceof GatehouseError && e.code === code && pattern.test(e.message);
}

/** What an attacker with write access to the plan file can do: edit it and recompute its id. */
function reseal(plan: Plan, edit: (p: { -readonly [K in keyof Plan]: Plan[K] }) => void): Plan {
  const { id: _id, ...body } = structuredClone(plan);
  edit(body as Plan);
  return sealPlan(body);
}

describe('saved plans are decided from the world', () => {
  it('applies a saved plan the world still agrees with', async () => {
    const { src, target, plan, applySaved, store } = world();
    src.serve(['10.0.0.1', '10.0.0.2']);
    const reports = await applySaved(await plan());
    assert.equal(reports[0]?.results[0]?.status, 'applied');
    assert.deepEqual(target.state, ['10.0.0.1', '10.0.0.2']);
    assert.deepEqual(
      store.records.map((r) => r.status),
      ['started', 'applied'],
    );
  });

  it('refuses an edited and re-sealed plan with its guards cleared, and changes nothing', async () => {
    const { src, target, plan, applySaved, store } = world();
    target.state = ['10.0.0.1', '10.0.0.2'];
    src.serve([]);
    const saved = await plan();
    assert.deepEqual(saved.targets[0]?.blocked, ['list']);
    const forged = reseal(saved, (p) => {
      p.targets = p.targets.map((t) => ({ ...t, verdicts: [], blocked: [] }));
    });
    await assert.rejects(applySaved(forged), refusedWith('PLAN_INVALID', /never made it/));
    assert.deepEqual(target.state, ['10.0.0.1', '10.0.0.2']);
    assert.equal(store.records.at(-1)?.action, 'plan-refused');
  });

  it('refuses a re-sealed plan whose elements were replaced, and changes nothing', async () => {
    const { src, target, plan, applySaved } = world();
    src.serve(['10.0.0.1']);
    const saved = await plan();
    const forged = reseal(saved, (p) => {
      p.targets = p.targets.map((t) => ({
        ...t,
        changes: t.changes.map((c) => ({ ...c, add: ['0.0.0.0/0'], elements: ['0.0.0.0/0'] })),
      }));
    });
    await assert.rejects(applySaved(forged), refusedWith('PLAN_INVALID', /never made it/));
    assert.deepEqual(target.state, []);
  });

  it('refuses a change that does not fit its target’s change schema (PLAN_INVALID naming target and change id), audited', async () => {
    const { src, target, plan, applySaved, store } = world();
    Object.assign(target, {
      changeSchema: changeOf('replace', { elements: z.array(z.string()) }),
    });
    src.serve(['10.0.0.1']);
    const saved = await plan();
    // Fits: the plan as made is applied.
    const fits = await plan();
    assert.equal((await applySaved(fits))[0]?.results[0]?.status, 'applied');
    const forged = reseal(saved, (p) => {
      p.targets = p.targets.map((t) => ({ ...t, changes: t.changes.map((c) => ({ ...c, elements: 'everything' })) }));
    });
    await store.recordPlan(forged.id, new Date(Date.UTC(2026, 0, 1)));
    await assert.rejects(
      applySaved(forged),
      refusedWith('PLAN_INVALID', /target allow: change list is not a list change at elements/),
    );
    assert.ok((await store.list()).some((r) => r.action === 'plan-refused' && r.planId === forged.id));
  });

  it('applies what the world says, never what the file says, even under a recorded id', async () => {
    const { src, target, plan, applySaved } = world();
    src.serve(['10.0.0.1']);
    const saved = await plan();
    // Content changed but the recorded id kept: the recomputed plan is the recorded one, and only it is applied.
    const tampered = structuredClone(saved) as { targets: { changes: { elements: string[] }[] }[] } & Plan;
    const change = tampered.targets[0]?.changes[0];
    if (change) change.elements = ['0.0.0.0/0'];
    await assert.rejects(applySaved(tampered), refusedWith('PLAN_STALE', /change list is different now/));
    assert.deepEqual(target.state, []);
  });

  it('refuses a plan made before a source revoked an address; the address is not re-granted', async () => {
    const { src, target, plan, applySaved, store } = world();
    src.serve(['10.0.0.1', '10.0.0.66']);
    const saved = await plan();
    src.serve(['10.0.0.1']);
    await assert.rejects(applySaved(saved), refusedWith('PLAN_STALE', /source nodes's data changed/));
    assert.deepEqual(target.state, []);
    const refusal = store.records.at(-1);
    assert.equal(refusal?.status, 'refused');
    assert.match(refusal?.message ?? '', /source nodes's data changed.*change list is different now; plan again/);
  });

  it('refuses a plan when the target changed since it was made', async () => {
    const { src, target, plan, applySaved } = world();
    src.serve(['10.0.0.1']);
    const saved = await plan();
    target.state = ['10.0.0.9'];
    await assert.rejects(applySaved(saved), refusedWith('PLAN_STALE', /target allow changed since the plan was made/));
    assert.deepEqual(target.state, ['10.0.0.9']);
  });

  it('names a source whose read went differently (another failure) as what differs', async () => {
    const { src, target, plan, applySaved } = world();
    src.serve(['10.0.0.1']);
    await applySaved(await plan());
    src.next = () => ({ complete: false, facts: {}, notes: ['page 2 timed out'] });
    const saved = await plan();
    assert.equal(saved.sources[0]?.status, 'snapshot');
    src.next = () => ({ complete: false, facts: {}, notes: ['page 3 timed out'] });
    await assert.rejects(
      applySaved(saved),
      refusedWith('PLAN_STALE', /source nodes reads differently now \(page 3 timed out; read incomplete;/),
    );
    assert.deepEqual(target.state, ['10.0.0.1']);
  });

  it('refuses a plan older than plan.maxAge (PLAN_EXPIRED); planning again renews it', async () => {
    const { src, target, plan, applySaved, clock } = world();
    src.serve(['10.0.0.1']);
    const saved = await plan();
    clock.advance(24 * 3_600_000 + 1);
    await assert.rejects(applySaved(saved), refusedWith('PLAN_EXPIRED', /more than 24h ago \(plan\.maxAge\)/));
    assert.deepEqual(target.state, []);
    const again = await plan();
    assert.equal(again.id, saved.id);
    await applySaved(saved);
    assert.deepEqual(target.state, ['10.0.0.1']);
  });

  it('applying does not renew a plan: the recomputation is not recorded', async () => {
    const { src, target, plan, applySaved, clock } = world();
    src.serve(['10.0.0.1']);
    target.state = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
    const saved = await plan();
    clock.advance(20 * 3_600_000);
    await applySaved(saved); // nothing runnable (max-shrink blocks it): checks the world, must not renew
    clock.advance(5 * 3_600_000);
    await assert.rejects(applySaved(saved), refusedWith('PLAN_EXPIRED', /made at 2026-01-01T00:00:00\.000Z/));
  });

  it('refuses a plan id this installation never recorded', async () => {
    const here = world();
    const elsewhere = world();
    here.src.serve(['10.0.0.1']);
    elsewhere.src.serve(['10.0.0.1']);
    const saved = await elsewhere.plan();
    await assert.rejects(here.applySaved(saved), refusedWith('PLAN_INVALID', /never made it/));
    assert.deepEqual(here.target.state, []);
  });

  it('audits each guard verdict that blocked something when the plan is applied', async () => {
    const { src, target, plan, applySaved, store } = world();
    target.state = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
    src.serve(['10.0.0.1']);
    const reports = await applySaved(await plan());
    assert.deepEqual(reports, []);
    const decided = store.records.filter((r) => r.action === 'guard-rejected');
    assert.equal(decided.length, 1);
    assert.equal(decided[0]?.target, 'allow');
    assert.equal(decided[0]?.changeId, 'list');
    assert.equal(decided[0]?.status, 'skipped');
    assert.match(decided[0]?.summary ?? '', /guard max-shrink blocked list/);
    assert.match(decided[0]?.message ?? '', /would lose 3 of 4 entries \(75 %\)/);
    assert.deepEqual(target.state, ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
  });
});
