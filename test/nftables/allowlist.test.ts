import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { skipUnlessRoot } from '../harness/netns.ts';
import { A, B, clients, createDbLab, dbTarget, kernelElements, reconcile, type DbLab } from './lab.ts';

const signal = () => AbortSignal.timeout(60_000);

describe('nftables target, real kernel: who reaches db:5432', { skip: skipUnlessRoot() }, () => {
  let l: DbLab;
  before(async () => (l = await createDbLab()));
  after(() => l?.close());

  const reach = async () => {
    const [a4, a6, b4, b6] = await Promise.all([
      l.lab.canConnect(l.a, A.db4, 5432),
      l.lab.canConnect(l.a, A.db6, 5432),
      l.lab.canConnect(l.b, B.db4, 5432),
      l.lab.canConnect(l.b, B.db6, 5432),
    ]);
    return { a4, a6, b4, b6 };
  };

  it('nobody while the sets are empty', async () => {
    assert.deepEqual(await reach(), { a4: false, a6: false, b4: false, b6: false });
  });

  it('A, over IPv4 and IPv6, once A is desired; B does not', async () => {
    const t = dbTarget(l);
    const { changes, results } = await reconcile(t, clients(A.v4, A.v6), signal());
    assert.deepEqual(changes, ['set:allow_v4', 'set:allow_v6', 'include']);
    assert.deepEqual(
      results.map((r) => r.status),
      ['applied', 'applied', 'applied'],
    );
    assert.deepEqual(await reach(), { a4: true, a6: true, b4: false, b6: false });
    assert.deepEqual(await kernelElements(l, 'allow_v4'), [A.v4]);
  });

  it('B and no longer A after switching', async () => {
    const t = dbTarget(l);
    const { changes } = await reconcile(t, clients(B.v4, B.v6), signal());
    assert.deepEqual(changes, ['set:allow_v4', 'set:allow_v6', 'include']);
    assert.deepEqual(await reach(), { a4: false, a6: false, b4: true, b6: true });
  });

  it('a second pass finds nothing to do, and the include file holds what the kernel holds', async () => {
    const t = dbTarget(l);
    assert.deepEqual((await reconcile(t, clients(B.v4, B.v6), signal())).changes, []);
    const include = await readFile(join(l.dir, 'gh-db.nft'), 'utf8');
    assert.match(include, new RegExp(`add element inet gh allow_v4 \\{ ${B.v4.replaceAll('.', '\\.')} \\}`));
    assert.match(include, /add element inet gh allow_v6 \{ fd00:231:2::2 \}/);
  });

  it('the max-shrink guard stops a switch when the allowlist has no floor (minCount 0)', async () => {
    const t = dbTarget(l, {
      sets: [
        {
          name: 'db-clients',
          ipv4: 'allow_v4',
          ipv6: 'allow_v6',
          from: ['clients'],
          maxShrink: { fraction: 0.5, minCount: 0 },
        },
      ],
    });
    await assert.rejects(reconcile(t, clients(A.v4, A.v6), signal()), /would lose 1 of 1 entries \(100 %\)/);
    assert.deepEqual(await kernelElements(l, 'allow_v4'), [B.v4]);
  });
});
