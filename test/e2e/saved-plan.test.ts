import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sealPlan, type Plan } from '../../src/core/plan.ts';
import { gatehouse } from './cli.ts';

/** A saved plan as an attacker with write access to the file would change it: edited, then its id recomputed. */
function reseal(plan: Plan, edit: (p: { -readonly [K in keyof Plan]: Plan[K] }) => void): Plan {
  const { id: _id, ...body } = structuredClone(plan);
  edit(body as Plan);
  return sealPlan(body);
}

/** `apply FILE` through the real CLI on the quickstart example: the file is reviewed, the world decides. */
describe('gatehouse apply FILE decides from the world', () => {
  let dir: string;
  let config: string;
  let include: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-saved-'));
    await cp(new URL('../../examples/quickstart', import.meta.url), dir, {
      recursive: true,
      filter: (src) => !/\/(\.gatehouse|out)(\/|$)/.test(src),
    });
    config = join(dir, 'gatehouse.yaml');
    include = join(dir, 'out', 'gatehouse-db-allowlist.nft');
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function savePlan(name: string, cfg = config): Promise<{ file: string; plan: Plan }> {
    const file = join(dir, name);
    const r = await gatehouse(['-c', cfg, 'plan', '--out', file]);
    assert.equal(r.code, 0, r.stderr);
    return { file, plan: JSON.parse(await readFile(file, 'utf8')) as Plan };
  }

  it('refuses a plan made before the geofeed revoked an address; the address is not granted', async () => {
    const feed = join(dir, 'geofeed.csv');
    const original = await readFile(feed, 'utf8');
    const { file } = await savePlan('before-revoke.json');
    await writeFile(feed, original.replace(/^192\.0\.2\.\d+\/25,.*\n/gm, ''));
    try {
      const r = await gatehouse(['-c', config, 'apply', file]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /refused: source region's data changed.*; plan again \[PLAN_STALE\]/);
      await assert.rejects(readFile(include, 'utf8'), { code: 'ENOENT' });
    } finally {
      await writeFile(feed, original);
    }
  });

  it('applies a plan the world still agrees with', async () => {
    const { file } = await savePlan('good.json');
    const r = await gatehouse(['-c', config, 'apply', file]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(await readFile(include, 'utf8'), /db_clients_v4 \{ 192\.0\.2\.0\/24, 203\.0\.113\.7 \}/);
  });

  it('refuses a re-sealed plan with its guards cleared: nothing changed, exit 1', async () => {
    const empty = join(dir, 'empty.yaml');
    const text = (await readFile(config, 'utf8')).replace('include:\n  - conf.d/*.yaml', 'include: []');
    await writeFile(
      empty,
      text.replace(
        'targets:',
        'sources:\n  office: { type: static, addresses: [] }\n  region: { type: static, addresses: [] }\ntargets:',
      ),
    );
    const before = await readFile(include, 'utf8');
    const { plan } = await savePlan('guarded.json', empty);
    assert.ok(plan.targets[0]?.blocked.length, 'the never-empty guard blocks the plan');
    const forged = reseal(plan, (p) => {
      p.targets = p.targets.map((t) => ({ ...t, verdicts: [], blocked: [] }));
    });
    await writeFile(join(dir, 'forged.json'), JSON.stringify(forged));
    const r = await gatehouse(['-c', empty, 'apply', join(dir, 'forged.json')]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /never made it.*plan again \[PLAN_INVALID\]/);
    assert.equal(await readFile(include, 'utf8'), before);

    // Apply-time guard decisions are audited: one record per verdict that blocked something, with its message.
    const blocked = await gatehouse(['-c', empty, 'apply', '--auto-approve']);
    assert.equal(blocked.code, 3, blocked.stdout + blocked.stderr);
    const audit = await gatehouse(['-c', empty, 'audit', '--output', 'json']);
    const records = JSON.parse(audit.stdout) as {
      action: string;
      status: string;
      planId?: string;
      message?: string;
      summary: string;
    }[];
    const decided = records.filter((x) => x.action === 'guard-rejected');
    assert.ok(decided.length >= 1, audit.stdout);
    assert.ok(
      decided.some((x) => /guard never-empty blocked/.test(x.summary)),
      audit.stdout,
    );
    assert.ok(
      decided.some((x) => /would become empty \(2 → 0\)/.test(x.message ?? '')),
      audit.stdout,
    );
    assert.ok(records.some((x) => x.action === 'plan-refused' && /never made it/.test(x.message ?? '')));
    assert.ok(!records.some((x) => x.status === 'applied' && x.planId === forged.id));
    assert.equal(await readFile(include, 'utf8'), before);
  });

  it('refuses a re-sealed plan whose elements were replaced', async () => {
    await writeFile(include, '# hand edit\n');
    const { plan } = await savePlan('to-forge.json');
    const forged = reseal(plan, (p) => {
      p.targets = p.targets.map((t) => ({
        ...t,
        changes: t.changes.map((c) => JSON.parse(JSON.stringify(c).replaceAll('203.0.113.7', '0.0.0.0/0')) as typeof c),
      }));
    });
    await writeFile(join(dir, 'forged2.json'), JSON.stringify(forged));
    const r = await gatehouse(['-c', config, 'apply', join(dir, 'forged2.json')]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /\[PLAN_INVALID\]/);
    assert.equal(await readFile(include, 'utf8'), '# hand edit\n');
  });

  it('refuses a re-sealed plan whose change does not fit its target, naming target and change', async () => {
    await mkdir(dirname(include), { recursive: true });
    await writeFile(include, '# hand edit\n');
    const { plan } = await savePlan('to-misfit.json');
    const target = plan.targets.find((t) => t.changes.some((c) => c.kind === 'nft-set'));
    assert.ok(target);
    const change = target.changes.find((c) => c.kind === 'nft-set');
    assert.ok(change);
    const forged = reseal(plan, (p) => {
      p.targets = p.targets.map((t) => ({
        ...t,
        changes: t.changes.map((c) => (c.id === change.id ? ({ ...c, add: '0.0.0.0/0' } as unknown as typeof c) : c)),
      }));
    });
    await writeFile(join(dir, 'misfit.json'), JSON.stringify(forged));
    const r = await gatehouse(['-c', config, 'apply', join(dir, 'misfit.json')]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const named = `target ${target.name}: change ${change.id} is not a nftables change at add`;
    assert.ok(r.stderr.includes(named) && r.stderr.includes('[PLAN_INVALID]'), r.stderr);
    assert.equal(await readFile(include, 'utf8'), '# hand edit\n');
  });

  it('refuses a plan older than plan.maxAge with PLAN_EXPIRED', async () => {
    const short = join(dir, 'short.yaml');
    await writeFile(short, (await readFile(config, 'utf8')).replace('state:', 'plan:\n  maxAge: 1s\n\nstate:'));
    const { file } = await savePlan('short.json', short);
    await new Promise((r) => setTimeout(r, 1500));
    const r = await gatehouse(['-c', short, 'apply', file]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /more than 1s ago \(plan\.maxAge\); plan again \[PLAN_EXPIRED\]/);
    assert.equal(await readFile(include, 'utf8'), '# hand edit\n');
  });
});
