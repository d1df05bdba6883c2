import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyPlan } from '../../core/apply.ts';
import type { Source } from '../../core/contracts.ts';
import type { SourceRead } from '../../core/model.ts';
import { buildPlan } from '../../core/pipeline.ts';
import type { Plan } from '../../core/plan.ts';
import { renderPlan } from '../../core/render.ts';
import { MemoryStore } from '../../core/testing/memory-store.ts';
import { FakeNft } from './fake-nft.ts';
import { completeTarget } from '../../plugins.ts';
import { nftablesTarget } from './index.ts';
import { createNftablesTarget } from './target.ts';
import { config, deps, prefixes } from './test-fixtures.ts';

/** A source whose next answer the test sets: addresses (complete) or `undefined` (a failed read). */
function scripted(name: string) {
  let next: string[] | undefined = [];
  const source: Source = {
    name,
    type: 'scripted',
    read: (): Promise<SourceRead> =>
      next === undefined
        ? Promise.reject(new Error('down'))
        : Promise.resolve({
            complete: true,
            facts: { addressSets: [{ name, prefixes: prefixes(...next) }] },
            notes: [],
          }),
  };
  return { source, serve: (xs: string[] | undefined) => (next = xs) };
}

describe('guards hold back the removal, never the grant (nftables, pipeline, fake nft)', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'gh-withhold-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  function setup(initial: string[], setOptions: Record<string, unknown> = {}, stray: string[] = []) {
    const nft = new FakeNft()
      .declare('inet gh', 'allow_v4', 'ipv4_addr', initial)
      .declare('inet gh', 'allow_v6', 'ipv6_addr', stray);
    const clients = scripted('clients');
    const office = scripted('office');
    const cfg = config({
      includeFile: join(dir, `${Math.random().toString(36).slice(2)}.nft`),
      sets: [{ name: 'db', ipv4: 'allow_v4', ipv6: 'allow_v6', from: ['clients', 'office'], ...setOptions }],
    });
    const target = completeTarget(nftablesTarget, cfg, createNftablesTarget('fw', cfg, deps(dir), nft));
    const store = new MemoryStore();
    const plan = () =>
      buildPlan({
        configDigest: 'c',
        sources: [clients.source, office.source],
        targets: [target],
        snapshots: store,
        signal: AbortSignal.timeout(10_000),
      });
    const apply = async (p: { plan: Plan; observed: Map<string, unknown> }) =>
      applyPlan({
        plan: p.plan,
        configDigest: 'c',
        targets: [target],
        audit: store,
        actor: 't',
        signal: AbortSignal.timeout(10_000),
        observed: p.observed,
      });
    const v4 = () => [...(nft.sets.get('inet gh allow_v4')?.elements ?? [])].sort();
    return { nft, clients, office, plan, apply, v4, includeFile: cfg.includeFile as string };
  }

  it('a recycled pool: new nodes get in now, old ones wait, the plan says why; the next run converges', async () => {
    const s = setup(['10.0.0.1', '10.0.0.3']);
    s.clients.serve(['10.0.0.5', '10.0.0.7']);
    const first = await s.plan();
    const t = first.plan.targets[0]!;
    assert.deepEqual(
      t.changes.map((c) => c.id),
      ['set:allow_v4:grant', 'set:allow_v4', 'include'],
    );
    assert.deepEqual(t.blocked, ['set:allow_v4']);
    const grant = t.changes[0]!;
    assert.equal(grant.destructive, false);
    assert.deepEqual(grant.add, ['10.0.0.5', '10.0.0.7']);
    assert.deepEqual(grant.remove, []);
    assert.deepEqual(t.changes[1]?.add, []);
    assert.deepEqual(t.changes[1]?.remove, ['10.0.0.1', '10.0.0.3']);
    const text = renderPlan(first.plan);
    assert.match(text, /grant only, removals held back/);
    assert.match(text, /✗ .*-2 held back by guards .*\(blocked\)/);
    assert.match(text, /guard max-shrink: .*would lose 2 of 2 entries .*held back: only the removal waits/);

    const results = await s.apply(first);
    assert.deepEqual(
      results[0]?.results.map((r) => `${r.id} ${r.status}`),
      ['set:allow_v4:grant applied', 'include applied'],
    );
    const all = ['10.0.0.1', '10.0.0.3', '10.0.0.5', '10.0.0.7'];
    assert.deepEqual(s.v4(), all);
    assert.match(await readFile(s.includeFile, 'utf8'), new RegExp(`allow_v4 \\{ ${all.join(', ')} \\}`));

    const second = await s.plan();
    const t2 = second.plan.targets[0]!;
    assert.deepEqual(t2.blocked, [], renderPlan(second.plan));
    assert.deepEqual(t2.changes.find((c) => c.id === 'set:allow_v4')?.remove, ['10.0.0.1', '10.0.0.3']);
    await s.apply(second);
    assert.deepEqual(s.v4(), ['10.0.0.5', '10.0.0.7']);
    assert.deepEqual((await s.plan()).plan.targets[0]?.changes, []);
  });

  const table: {
    name: string;
    initial: string[];
    serve: [string[] | undefined, string[] | undefined];
    options?: Record<string, unknown>;
    stray?: string[];
    ids: string[];
    blocked: string[];
    after: string[];
  }[] = [
    {
      name: 'one-node pool, default floor of one: swapped in one run',
      initial: ['10.0.0.1'],
      serve: [['10.0.0.9'], []],
      ids: ['set:allow_v4', 'include'],
      blocked: [],
      after: ['10.0.0.9'],
    },
    {
      name: 'one-node pool with minCount 0: the new node gets in, the old one waits',
      initial: ['10.0.0.1'],
      serve: [['10.0.0.9'], []],
      options: { maxShrink: { fraction: 0.5, minCount: 0 } },
      ids: ['set:allow_v4:grant', 'set:allow_v4', 'include'],
      blocked: ['set:allow_v4'],
      after: ['10.0.0.1', '10.0.0.9'],
    },
    {
      name: 'a source down: the other source still grants, nothing is removed',
      initial: ['10.0.0.1', '10.0.0.3'],
      serve: [undefined, ['192.0.2.1']],
      ids: ['set:allow_v4:grant', 'set:allow_v4', 'include'],
      blocked: ['set:allow_v4'],
      after: ['10.0.0.1', '10.0.0.3', '192.0.2.1'],
    },
    {
      name: 'never-empty: nothing to grant, only the held removal, the include mirrors the kernel',
      initial: ['10.0.0.1'],
      serve: [[], []],
      options: { maxShrink: 1 },
      ids: ['set:allow_v4', 'include'],
      blocked: ['set:allow_v4'],
      after: ['10.0.0.1'],
    },
    {
      name: 'stray elements cannot be kept by a replace: the whole target stays blocked',
      initial: ['10.0.0.1', '10.0.0.3'],
      serve: [['10.0.0.5'], []],
      stray: ['::ffff:192.0.2.1'],
      ids: ['set:allow_v4', 'set:allow_v6', 'include'],
      blocked: ['set:allow_v4', 'set:allow_v6', 'include'],
      after: ['10.0.0.1', '10.0.0.3'],
    },
  ];
  for (const c of table) {
    it(c.name, async () => {
      const s = setup(c.initial, c.options, c.stray);
      s.clients.serve(c.serve[0]);
      s.office.serve(c.serve[1]);
      const p = await s.plan();
      const t = p.plan.targets[0]!;
      assert.deepEqual(
        t.changes.map((x) => x.id),
        c.ids,
        renderPlan(p.plan),
      );
      assert.deepEqual(t.blocked, c.blocked);
      await s.apply(p);
      assert.deepEqual(s.v4(), c.after);
      if (t.changes.some((x) => x.id === 'include' && !t.blocked.includes('include'))) {
        const inc = await readFile(s.includeFile, 'utf8');
        for (const e of c.after) assert.ok(inc.includes(e.split('/')[0]!), `${e} in the include file:\n${inc}`);
      }
    });
  }
});
