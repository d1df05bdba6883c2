import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applyPlan } from '../../src/core/apply.ts';
import {
  GENESIS_HASH,
  chainHash,
  type AuditEvent,
  type AuditLog,
  type AuditRecord,
  type SnapshotStore,
} from '../../src/core/audit.ts';
import { buildPlan } from '../../src/core/pipeline.ts';
import { staticSource } from '../../src/sources/static/index.ts';
import { skipUnlessRoot } from '../harness/netns.ts';
import { A, B, createDbLab, dbTarget, kernelElements, type DbLab } from './lab.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';

/** Minimal in-memory stores: enough for the core pipeline. */
function memoryStores(): { audit: AuditLog & { records: AuditRecord[] }; snapshots: SnapshotStore } {
  const records: AuditRecord[] = [];
  const snaps = new Map<string, { facts: unknown; at: string }>();
  return {
    audit: {
      records,
      append(events: readonly AuditEvent[]) {
        const out = events.map((event) => {
          const seq = records.length + 1;
          const prevHash = records.at(-1)?.hash ?? GENESIS_HASH;
          const r = { ...event, seq, prevHash, hash: chainHash(prevHash, seq, event) };
          records.push(r);
          return r;
        });
        return Promise.resolve(out);
      },
      list: () => Promise.resolve([...records]),
    },
    snapshots: {
      saveSnapshot: (source, facts, at) => Promise.resolve(void snaps.set(source, { facts, at })),
      loadSnapshot: (source) => Promise.resolve(snaps.get(source)),
    },
  };
}

/** The nftables target driven by the core pipeline: plan, apply, and the stale-plan check over the kernel's state. */
describe('nftables target, real kernel: through buildPlan / applyPlan', { skip: skipUnlessRoot() }, () => {
  let l: DbLab;
  before(async () => (l = await createDbLab()));
  after(() => l?.close());

  const source = (addresses: string[]) =>
    staticSource.create(
      'clients',
      staticSource.schema.parse({ type: 'static', addresses }),
      testDeps({ baseDir: l.dir }),
    );

  it('plans, applies, and then plans nothing', async () => {
    const stores = memoryStores();
    const input = {
      configDigest: 'c1',
      sources: [source([A.v4, A.v6])],
      targets: [dbTarget(l)],
      snapshots: stores.snapshots,
    };
    const { plan, observed } = await buildPlan({ ...input, signal: AbortSignal.timeout(60_000) });
    assert.deepEqual(
      plan.targets[0]?.changes.map((c) => c.id),
      ['set:allow_v4', 'set:allow_v6', 'include'],
    );
    const reports = await applyPlan({
      plan,
      configDigest: 'c1',
      targets: input.targets,
      audit: stores.audit,
      actor: 'test',
      signal: AbortSignal.timeout(60_000),
      observed,
    });
    assert.deepEqual(
      reports[0]?.results.map((r) => r.status),
      ['applied', 'applied', 'applied'],
    );
    assert.deepEqual(await kernelElements(l, 'allow_v4'), [A.v4]);
    const again = await buildPlan({ ...input, signal: AbortSignal.timeout(60_000) });
    assert.deepEqual(again.plan.targets[0]?.changes, []);
  });

  it('refuses a plan whose observed sets changed before apply (re-observed digest differs)', async () => {
    const stores = memoryStores();
    const targets = [dbTarget(l)];
    const { plan } = await buildPlan({
      configDigest: 'c1',
      sources: [source([B.v4, B.v6])],
      targets,
      snapshots: stores.snapshots,
      signal: AbortSignal.timeout(60_000),
    });
    assert.deepEqual(plan.targets[0]?.blocked, []);
    await l.nft(['add', 'element', 'inet', 'gh', 'allow_v4', '{ 10.231.99.1 }']);
    await assert.rejects(
      applyPlan({
        plan,
        configDigest: 'c1',
        targets,
        audit: stores.audit,
        actor: 'test',
        signal: AbortSignal.timeout(60_000),
      }),
      { code: 'PLAN_STALE' },
    );
    assert.deepEqual(await kernelElements(l, 'allow_v4'), ['10.231.99.1', A.v4].sort());
  });
});
