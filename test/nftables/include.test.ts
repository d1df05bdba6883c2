import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bootstrapInclude, HOST_CONFIG_SNIPPET, nftablesTarget } from '../../src/targets/nftables/index.ts';
import { skipUnlessRoot } from '../harness/netns.ts';
import { A, B, DB_TABLE, clients, createDbLab, dbTarget, kernelElements, reconcile, type DbLab } from './lab.ts';

const signal = () => AbortSignal.timeout(60_000);

/** The include file is what restores the sets at boot: it must be kept current and must load as the host loads it. */
describe('nftables target, real kernel: the include file', { skip: skipUnlessRoot() }, () => {
  let l: DbLab;
  let path: string;
  before(async () => {
    l = await createDbLab();
    path = join(l.dir, 'gh-db.nft');
    await reconcile(dbTarget(l), clients(A.v4, A.v6, B.v4, '10.231.128.0/17'), signal());
  });
  after(() => l?.close());

  /** Sets of `table` in a namespace, as sorted element lists. */
  async function setsIn(ns: string, table: string, sets: string[]) {
    const out: Record<string, string[]> = {};
    for (const s of sets) {
      const json = JSON.parse(await l.lab.mustExec(ns, ['nft', '-j', 'list', 'set', 'inet', table, s])) as {
        nftables: { set?: { elem?: unknown[] } }[];
      };
      const elem = json.nftables.find((x) => x.set)?.set?.elem ?? [];
      out[s] = elem.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).sort();
    }
    return out;
  }

  it('is restored after being deleted: the next plan has exactly one nft-include change', async () => {
    const before = await readFile(path, 'utf8');
    await rm(path);
    const t = dbTarget(l);
    const ctx = clients(A.v4, A.v6, B.v4, '10.231.128.0/17');
    const changes = t.diff(t.desired(ctx), await t.observe(signal()));
    assert.deepEqual(
      changes.map((c) => `${c.kind} ${c.id} ${c.summary}`),
      [`nft-include include write include file ${path} (missing)`],
    );
    const results = (await t.apply(changes, signal())) ?? [];
    assert.deepEqual(
      results.map((r) => r.status),
      ['applied'],
    );
    assert.equal(await readFile(path, 'utf8'), before);
    assert.deepEqual((await reconcile(t, ctx, signal())).changes, []);
  });

  it('loads with nft -f into a fresh namespace that declares the table: a reboot restores the sets', async () => {
    const boot = await l.lab.namespace('boot');
    await l.lab.mustExec(boot, ['nft', '-f', '-'], { input: DB_TABLE });
    await l.lab.mustExec(boot, ['nft', '-f', path]);
    const restored = await setsIn(boot, 'gh', ['allow_v4', 'allow_v6']);
    assert.deepEqual(restored, {
      allow_v4: await kernelElements(l, 'allow_v4'),
      allow_v6: await kernelElements(l, 'allow_v6'),
    });
    assert.ok(restored.allow_v4?.includes(A.v4));
  });

  it('loads through a glob include after the table, and a glob matching nothing is tolerated', async () => {
    const conf = (dir: string) => `flush ruleset\n${DB_TABLE}include "${dir}/*.nft"\n`;
    const boot = await l.lab.namespace('glob');
    await l.lab.mustExec(boot, ['nft', '-f', '-'], { input: conf(l.dir) });
    assert.deepEqual((await setsIn(boot, 'gh', ['allow_v4'])).allow_v4, await kernelElements(l, 'allow_v4'));

    const emptyDir = join(l.dir, 'empty.d');
    await mkdir(emptyDir);
    await l.lab.mustExec(boot, ['nft', '-f', '-'], { input: conf(emptyDir) });
    assert.deepEqual(await setsIn(boot, 'gh', ['allow_v4']), { allow_v4: [] });

    // Why the glob: a plain include of a missing file fails the whole load.
    const plain = await l.lab.exec(boot, ['nft', '-f', '-'], {
      input: `flush ruleset\n${DB_TABLE}include "${emptyDir}/missing.nft"\n`,
    });
    assert.notEqual(plain.code, 0);
  });

  it('HOST_CONFIG_SNIPPET loads with a bootstrapped include file, and so does deploy/nftables/nftables.conf', async () => {
    const config = nftablesTarget.schema.parse({
      type: 'nftables',
      table: { family: 'inet', name: 'gatehouse' },
      sets: [{ name: 'db-clients', ipv4: 'db_allow_v4', ipv6: 'db_allow_v6', from: ['clients'] }],
    });
    const dir = join(l.dir, 'nftables.d');
    await mkdir(dir);
    await writeFile(join(dir, 'gatehouse-db.nft'), bootstrapInclude('db', config, clients(A.v4, 'fd00:231:1::/64')));
    const host = await l.lab.namespace('host');
    const snippet = HOST_CONFIG_SNIPPET.replace('/etc/nftables.d/*.nft', `${dir}/*.nft`);
    assert.notEqual(snippet, HOST_CONFIG_SNIPPET);
    await l.lab.mustExec(host, ['nft', '-f', '-'], { input: `flush ruleset\n${snippet}` });
    assert.deepEqual(await setsIn(host, 'gatehouse', ['db_allow_v4', 'db_allow_v6']), {
      db_allow_v4: [A.v4],
      db_allow_v6: ['{"prefix":{"addr":"fd00:231:1::","len":64}}'],
    });

    const example = await readFile(new URL('../../deploy/nftables/nftables.conf', import.meta.url), 'utf8');
    await l.lab.mustExec(host, ['nft', '-f', '-'], { input: example.replace('/etc/nftables.d/*.nft', `${dir}/*.nft`) });
    assert.deepEqual((await setsIn(host, 'gatehouse', ['db_allow_v4'])).db_allow_v4, [A.v4]);
  });
});
