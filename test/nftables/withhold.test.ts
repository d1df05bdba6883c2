import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyPlan } from '../../src/core/apply.ts';
import { buildPlan } from '../../src/core/pipeline.ts';
import { renderPlan } from '../../src/core/render.ts';
import { MemoryStore } from '../../src/core/testing/memory-store.ts';
import { staticSource } from '../../src/sources/static/index.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';
import { skipUnlessRoot } from '../harness/netns.ts';
import { A, B, createDbLab, dbTarget, kernelElements, type DbLab } from './lab.ts';

const signal = () => AbortSignal.timeout(60_000);

/**
 * A node pool recycled under a guard that refuses the removal (every node replaced; no floor): the new node must get
 * in at once, the old one keeps access until a run whose guards pass, and the plan says so.
 */
describe('nftables, real kernel: guards hold back the removal, never the grant', { skip: skipUnlessRoot() }, () => {
  let l: DbLab;
  before(async () => (l = await createDbLab()));
  after(() => l?.close());

  const store = new MemoryStore();
  const reach = async () => ({
    a: (await l.lab.canConnect(l.a, A.db4, 5432)) && (await l.lab.canConnect(l.a, A.db6, 5432)),
    b: (await l.lab.canConnect(l.b, B.db4, 5432)) && (await l.lab.canConnect(l.b, B.db6, 5432)),
  });
  const run = async (addresses: string[]) => {
    const source = staticSource.create(
      'clients',
      staticSource.schema.parse({ type: 'static', addresses }),
      testDeps({ baseDir: l.dir }),
    );
    const targets = [
      dbTarget(l, {
        sets: [
          {
            name: 'db-clients',
            ipv4: 'allow_v4',
            ipv6: 'allow_v6',
            from: ['clients'],
            maxShrink: { fraction: 0.5, minCount: 0 },
          },
        ],
      }),
    ];
    const built = await buildPlan({
      configDigest: 'c',
      sources: [source],
      targets,
      snapshots: store,
      signal: signal(),
    });
    const reports = await applyPlan({
      plan: built.plan,
      configDigest: 'c',
      targets,
      audit: store,
      actor: 'test',
      signal: signal(),
      observed: built.observed,
    });
    return { plan: built.plan, results: reports[0]?.results ?? [] };
  };

  it('starts with pool A', async () => {
    await run([A.v4, A.v6]);
    assert.deepEqual(await reach(), { a: true, b: false });
  });

  it('every node replaced: B connects after apply, A is still in the set, the plan reports the withheld removal', async () => {
    const { plan, results } = await run([B.v4, B.v6]);
    const t = plan.targets[0]!;
    assert.deepEqual(t.blocked, ['set:allow_v4', 'set:allow_v6']);
    assert.deepEqual(
      results.map((r) => `${r.id} ${r.status}`),
      ['set:allow_v4:grant applied', 'set:allow_v6:grant applied', 'include applied'],
    );
    const text = renderPlan(plan);
    assert.match(text, /set inet gh allow_v4 \(db-clients\): -1 held back by guards .*\(blocked\)\n\s+- 10\.231\.1\.2/);
    assert.match(text, /guard max-shrink: .*would lose 1 of 1 entries .*held back: only the removal waits/);
    assert.deepEqual(await reach(), { a: true, b: true });
    assert.deepEqual(await kernelElements(l, 'allow_v4'), [A.v4, B.v4].sort());
    const include = await readFile(join(l.dir, 'gh-db.nft'), 'utf8');
    assert.ok(include.includes(A.v4) && include.includes(B.v4), 'a reboot restores what the kernel holds');
  });

  it('the next run removes A (1 of 2, within the limit) and then converges', async () => {
    const { plan } = await run([B.v4, B.v6]);
    assert.deepEqual(plan.targets[0]?.blocked, []);
    assert.deepEqual(await reach(), { a: false, b: true });
    assert.deepEqual(await kernelElements(l, 'allow_v4'), [B.v4]);
    assert.deepEqual((await run([B.v4, B.v6])).plan.targets[0]?.changes, []);
  });
});
