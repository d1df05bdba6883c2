import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { skipUnlessRoot } from '../harness/netns.ts';
import { A, B, DB_TABLE, clients, createDbLab, dbTarget, kernelElements, reconcile, type DbLab } from './lab.ts';

const signal = () => AbortSignal.timeout(60_000);

/**
 * gatehouse relies on nft batches being one kernel transaction: if any command fails, no set changes. These tests
 * inject failures the kernel (not nft's parser) detects, after an earlier command in the same batch already flushed
 * and refilled another set.
 */
describe('nftables target, real kernel: a failed batch changes nothing', { skip: skipUnlessRoot() }, () => {
  let l: DbLab;
  before(async () => (l = await createDbLab()));
  after(() => l?.close());
  beforeEach(async () => {
    // Fresh ruleset, holding A, and a matching include file.
    await l.nft(['flush', 'ruleset']);
    await l.nft(['-f', '-'], DB_TABLE);
    await reconcile(dbTarget(l), clients(A.v4, A.v6), signal());
  });

  /** Re-declares allow_v6 (rule and set) with `decl`, as an operator editing nftables.conf might. */
  async function redeclareV6(decl: string) {
    await l.nft(['flush', 'chain', 'inet', 'gh', 'input']);
    await l.nft(['delete', 'set', 'inet', 'gh', 'allow_v6']);
    await l.nft(['-f', '-'], `table inet gh {\n\tset allow_v6 { ${decl} }\n}\n`);
  }

  it('raw nft: a kernel-side failure in the second set rolls back the first', async () => {
    await redeclareV6('type ipv6_addr; flags interval; size 2;');
    const batch =
      `flush set inet gh allow_v4\nadd element inet gh allow_v4 { ${B.v4} }\n` +
      'flush set inet gh allow_v6\nadd element inet gh allow_v6 { fd00::1, fd00::3, fd00::5 }\n';
    const r = await l.lab.exec(l.db, ['nft', '-f', '-'], { input: batch });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Could not process rule/);
    assert.deepEqual(await kernelElements(l, 'allow_v4'), [A.v4]);
  });

  it('target: the kernel rejects the batch, every set and the include file keep their contents', async () => {
    const t = dbTarget(l);
    const include = await readFile(join(l.dir, 'gh-db.nft'), 'utf8');
    // Plan for B while the set still takes it, then shrink allow_v6 so the kernel refuses the new contents. The
    // one-element pre-check passes; only the real batch fails, in the kernel.
    const desired = t.desired(clients(B.v4, B.v6, 'fd00:231:3::1', 'fd00:231:4::1'));
    const changes = t.diff(desired, await t.observe(signal()));
    await redeclareV6('type ipv6_addr; flags interval; size 2;');
    const results = (await t.apply(changes, signal())) ?? [];
    assert.deepEqual(
      results.map((r) => `${r.id} ${r.status}`),
      ['set:allow_v4 failed', 'set:allow_v6 failed', 'include skipped'],
    );
    assert.match(results[0]?.message ?? '', /^replacing allow_v4, allow_v6 failed: .*Could not process rule/);
    assert.deepEqual(await kernelElements(l, 'allow_v4'), [A.v4]);
    assert.equal(await readFile(join(l.dir, 'gh-db.nft'), 'utf8'), include);
  });

  it('target: a set re-declared with another type fails the pre-check; nothing changes', async () => {
    const t = dbTarget(l);
    // The observation the plan was made from is what apply works from (the pipeline hands it over).
    const observed = await t.observe(signal());
    const changes = t.diff(t.desired(clients(B.v4, B.v6)), observed);
    await redeclareV6('type ipv4_addr; flags interval;');
    const results = (await t.apply(changes, signal(), observed)) ?? [];
    assert.deepEqual(
      results.map((r) => r.status),
      ['failed', 'failed', 'skipped'],
    );
    assert.match(
      results[1]?.message ?? '',
      /pre-check \(nft -c\) of the changed sets failed: .*nft -c -f - exited with 1/,
    );
    assert.deepEqual(await kernelElements(l, 'allow_v4'), [A.v4]);
    // And the next plan says what is wrong.
    await assert.rejects(
      t.observe(signal()),
      /allow_v6 is declared as type "ipv4_addr".*gatehouse needs "type ipv6_addr; flags interval;"/,
    );
  });

  it('target: a set deleted since the plan fails with nft’s message and the fix', async () => {
    const t = dbTarget(l);
    const observed = await t.observe(signal());
    const changes = t.diff(t.desired(clients(B.v4, B.v6)), observed);
    await l.nft(['flush', 'chain', 'inet', 'gh', 'input']);
    await l.nft(['delete', 'set', 'inet', 'gh', 'allow_v6']);
    const results = (await t.apply(changes, signal(), observed)) ?? [];
    assert.match(results[0]?.message ?? '', /No such file or directory/);
    assert.deepEqual(await kernelElements(l, 'allow_v4'), [A.v4]);
    await assert.rejects(
      t.observe(signal()),
      /allow_v6 \(allowlist db-clients\) does not exist: declare it in the host's nftables\.conf/,
    );
  });
});
