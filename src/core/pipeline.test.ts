import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrefix } from './address.ts';
import { applyPlan } from './apply.ts';
import { verifyChain } from './audit.ts';
import { canonicalJson } from './canonical-json.ts';
import { GatehouseError } from './errors.ts';
import { buildPlan } from './pipeline.ts';
import { registerSecret } from './redact.ts';
import { ListTarget, ScriptedSource } from './testing/list-world.ts';
import { MemoryStore } from './testing/memory-store.ts';

/** A source whose next read is scripted by the test. */
function setup() {
  const store = new MemoryStore();
  const src = new ScriptedSource('nodes');
  const target = new ListTarget('allow', ['nodes']);
  let clock = 0;
  const now = () => new Date(Date.UTC(2026, 0, 1, 0, 0, clock++));
  const plan = () =>
    buildPlan({
      configDigest: 'cfg',
      sources: [src],
      targets: [target],
      snapshots: store,
      signal: AbortSignal.timeout(5000),
      now,
    });
  const apply = async () => {
    const { plan: p, observed } = await plan();
    const reports = await applyPlan({
      plan: p,
      configDigest: 'cfg',
      targets: [target],
      audit: store,
      actor: 'test',
      signal: AbortSignal.timeout(5000),
      observed,
      now,
    });
    return { plan: p, reports };
  };
  return { store, src, target, plan, apply };
}

async function snapshotOf(src: ScriptedSource): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.saveSnapshot(
    src.name,
    { addressSets: [{ name: src.name, prefixes: [parsePrefix('10.0.0.1', 't')] }] },
    '2026-01-01T00:00:00.000Z',
  );
  return store;
}

describe('pipeline', () => {
  it('converges: apply, then the plan is empty', async () => {
    const { src, target, plan, apply } = setup();
    src.serve(['10.0.0.1', '10.0.0.2']);
    const first = await apply();
    assert.equal(first.reports[0]?.results[0]?.status, 'applied');
    assert.deepEqual(target.state, ['10.0.0.1', '10.0.0.2']);
    const second = await plan();
    assert.equal(second.plan.targets[0]?.changes.length, 0);
  });

  it('gives byte-identical plans for identical inputs', async () => {
    const { src, plan } = setup();
    src.serve(['192.0.2.1', '2001:db8::1']);
    const a = canonicalJson((await plan()).plan);
    const b = canonicalJson((await plan()).plan);
    assert.equal(a, b);
  });

  it('falls back to the last-known-good snapshot when a source read fails, and says so', async () => {
    const { src, target, plan, apply } = setup();
    src.serve(['10.0.0.1']);
    await apply();
    src.next = () => {
      throw new Error('HTTP 500');
    };
    const { plan: p } = await plan();
    assert.equal(p.sources[0]?.status, 'snapshot');
    assert.match(
      p.sources[0]?.notes.join('\n') ?? '',
      /read failed: HTTP 500[\s\S]*last-known-good snapshot from 2026-01-01T00:00:00/,
    );
    assert.equal(p.targets[0]?.changes.length, 0);
    assert.deepEqual(target.state, ['10.0.0.1']);
  });

  it('source-completeness: an incomplete source with no snapshot removes nothing', async () => {
    const { src, target, plan } = setup();
    target.state = ['10.0.0.9', '10.0.0.1'];
    src.next = () => ({
      complete: false,
      facts: { addressSets: [{ name: 'nodes', prefixes: [parsePrefix('10.0.0.1', 't')] }] },
      notes: ['page 2 failed'],
    });
    const { plan: p } = await plan();
    const t = p.targets[0];
    assert.equal(p.sources[0]?.status, 'missing');
    assert.deepEqual(t?.blocked, ['list']);
    assert.match(
      t?.verdicts.map((v) => `${v.guard}: ${v.message}`).join('\n') ?? '',
      /source-completeness: source nodes \(no last-known-good snapshot\) could not be read completely/,
    );
  });

  it('source-completeness: while a source is served from its snapshot, nothing is removed', async () => {
    const { src, target } = setup();
    const other = new ScriptedSource('office');
    target.state = ['10.0.0.1', '10.0.0.50'];
    src.next = () => ({ complete: false, facts: {}, notes: ['truncated'] });
    const { plan: p } = await buildPlan({
      configDigest: 'cfg',
      sources: [src, other],
      targets: [target],
      snapshots: await snapshotOf(src),
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(p.sources.find((s) => s.name === 'nodes')?.status, 'snapshot');
    assert.deepEqual(p.targets[0]?.blocked, ['list']);
    assert.match(
      p.targets[0]?.verdicts[0]?.message ?? '',
      /source nodes \(using its last-known-good snapshot\) could not be read completely; nothing is removed/,
    );
  });

  it('never-empty: an empty source result does not empty the list', async () => {
    const { src, target, apply } = setup();
    target.state = ['10.0.0.1'];
    src.serve([]);
    const { plan: p, reports } = await apply();
    assert.deepEqual(p.targets[0]?.blocked, ['list']);
    assert.match(p.targets[0]?.verdicts[0]?.message ?? '', /would become empty \(1 → 0\); set allowEmpty: true/);
    assert.equal(reports.length, 0);
    assert.deepEqual(target.state, ['10.0.0.1']);
  });

  it('max-shrink: removing more than half is refused', async () => {
    const { src, target, apply } = setup();
    target.state = ['10.0.0.1', '10.0.0.3', '10.0.0.5', '10.0.0.7'];
    src.serve(['10.0.0.1']);
    const { plan: p } = await apply();
    assert.match(
      p.targets[0]?.verdicts.find((v) => v.guard === 'max-shrink')?.message ?? '',
      /would lose 3 of 4 entries \(75 %\), more than the 50 % allowed/,
    );
    assert.equal(target.state.length, 4);
  });

  it('refuses a stale plan and audits the refusal', async () => {
    const { src, target, store, plan } = setup();
    src.serve(['10.0.0.1']);
    const { plan: p } = await plan();
    target.state = ['10.0.0.200'];
    await assert.rejects(
      applyPlan({
        plan: p,
        configDigest: 'cfg',
        targets: [target],
        audit: store,
        actor: 'test',
        signal: AbortSignal.timeout(1000),
      }),
      (e: unknown) =>
        e instanceof GatehouseError && e.code === 'PLAN_STALE' && /changed since the plan was made/.test(e.message),
    );
    assert.equal(store.records.at(-1)?.status, 'refused');
    assert.deepEqual(target.state, ['10.0.0.200']);
  });

  it('refuses a plan made with another configuration', async () => {
    const { src, target, store, plan } = setup();
    src.serve(['10.0.0.1']);
    const { plan: p } = await plan();
    await assert.rejects(
      applyPlan({
        plan: p,
        configDigest: 'other',
        targets: [target],
        audit: store,
        actor: 'test',
        signal: AbortSignal.timeout(1000),
      }),
      /configuration changed/,
    );
  });

  it('records a failed change, audits it, and converges on re-run', async () => {
    const { src, target, store, apply } = setup();
    src.serve(['10.0.0.1']);
    target.failNext = true;
    const first = await apply();
    assert.equal(first.reports[0]?.results[0]?.status, 'failed');
    assert.match(first.reports[0]?.results[0]?.message ?? '', /injected failure/);
    await apply();
    assert.deepEqual(target.state, ['10.0.0.1']);
    assert.deepEqual(
      store.records.map((r) => r.status),
      ['started', 'failed', 'started', 'applied'],
    );
    assert.deepEqual(verifyChain(store.records), { ok: true });
  });

  it('masks resolved secrets in what it writes to the audit log', async () => {
    const { src, target, store, apply } = setup();
    registerSecret('s3cr3t-token-value');
    src.serve(['10.0.0.1']);
    target.apply = () => Promise.reject(new GatehouseError('TARGET_FAILED', 'HTTP 401 for token s3cr3t-token-value'));
    await apply();
    const failed = store.records.find((r) => r.status === 'failed');
    assert.equal(failed?.message, 'HTTP 401 for token [redacted]');
  });

  it('a target that cannot be observed is reported and gets no changes', async () => {
    const { src, target, plan } = setup();
    src.serve(['10.0.0.1']);
    target.observe = () => Promise.reject(new GatehouseError('TARGET_FORBIDDEN', 'permission denied'));
    const { plan: p } = await plan();
    assert.deepEqual(p.targets[0]?.error, { code: 'TARGET_FORBIDDEN', message: 'permission denied' });
    assert.equal(p.targets[0]?.changes.length, 0);
  });
});

describe('verifyChain', () => {
  it('detects an altered record', async () => {
    const store = new MemoryStore();
    await store.append([
      { at: 't', actor: 'a', action: 'apply', target: 'x', summary: 's1', status: 'applied' },
      { at: 't', actor: 'a', action: 'apply', target: 'x', summary: 's2', status: 'applied' },
    ]);
    const tampered = store.records.map((r) => (r.seq === 1 ? { ...r, summary: 'edited' } : r));
    assert.deepEqual(verifyChain(tampered), { ok: false, seq: 1, reason: 'hash does not match the record' });
    assert.deepEqual(verifyChain(store.records.slice(1)).ok, false);
  });
});
