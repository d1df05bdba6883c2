import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { skipUnlessRoot } from '../harness/netns.ts';
import { createDbLab, dbTarget, clients, reconcile, type DbLab } from './lab.ts';

const signal = () => AbortSignal.timeout(60_000);

describe('nftables target, real kernel: observe', { skip: skipUnlessRoot() }, () => {
  let l: DbLab;
  before(async () => (l = await createDbLab()));
  after(() => l?.close());

  const mergeTarget = () =>
    dbTarget(l, {
      sets: [{ name: 'merged', ipv4: 'merge_v4', from: ['clients'], maxShrink: 1 }],
      includeFile: undefined,
    });

  it('reads a range that auto-merge made of neighbours, and sees no change to make', async () => {
    await l.nft(['add', 'element', 'inet', 'gh', 'merge_v4', '{ 10.231.9.1, 10.231.9.2, 10.231.9.3, 10.231.10.0/24 }']);
    const listed = await l.nft(['-j', 'list', 'set', 'inet', 'gh', 'merge_v4']);
    assert.match(listed, /"range": \["10\.231\.9\.1", "10\.231\.9\.3"\]/, 'the kernel holds a range');
    const t = mergeTarget();
    const observed = await t.observe(signal());
    assert.deepEqual(observed, {
      sets: [{ set: 'merge_v4', family: 4, elements: ['10.231.9.1', '10.231.9.2/31', '10.231.10.0/24'], stray: [] }],
      include: null,
    });
    const desired = t.desired(clients('10.231.9.1', '10.231.9.2', '10.231.9.3', '10.231.10.0/24'));
    assert.deepEqual(t.diff(desired, observed), []);
  });

  it('replaces an auto-merge set and reads back the same', async () => {
    const t = mergeTarget();
    const ctx = clients('10.231.9.4', '10.231.9.5', '10.231.9.6', '10.231.9.7', '10.231.11.1');
    assert.deepEqual((await reconcile(t, ctx, signal())).changes, ['set:merge_v4']);
    assert.deepEqual((await t.observe(signal())).sets[0]?.elements, ['10.231.9.4/30', '10.231.11.1']);
    assert.deepEqual((await reconcile(t, ctx, signal())).changes, []);
  });

  it('reads elements with timeouts and counters (elem wrappers)', async () => {
    await l.nft(
      ['-f', '-'],
      'table inet gh {\n\tset timed_v4 { type ipv4_addr; flags interval,timeout; counter; }\n}\n',
    );
    await l.nft(['add', 'element', 'inet', 'gh', 'timed_v4', '{ 10.231.20.1 timeout 1h, 10.231.21.0/24 }']);
    const t = dbTarget(l, { sets: [{ name: 'timed', ipv4: 'timed_v4', from: ['clients'] }], includeFile: undefined });
    assert.deepEqual((await t.observe(signal())).sets[0]?.elements, ['10.231.20.1', '10.231.21.0/24']);
  });

  it('removes an IPv4-mapped address someone put into the IPv6 set', async () => {
    await l.nft(['add', 'element', 'inet', 'gh', 'allow_v6', '{ ::ffff:10.231.1.2, fd00:231:1::2 }']);
    const t = dbTarget(l, { includeFile: undefined });
    const observed = await t.observe(signal());
    assert.deepEqual(observed.sets[1], {
      set: 'allow_v6',
      family: 6,
      elements: ['fd00:231:1::2'],
      stray: ['::ffff:10.231.1.2'],
    });
    const { changes } = await reconcile(t, clients('fd00:231:1::2'), signal());
    assert.deepEqual(changes, ['set:allow_v6']);
    assert.deepEqual((await t.observe(signal())).sets[1]?.stray, []);
  });

  it('fails with CAP_NET_ADMIN advice when nft is not permitted', async () => {
    // setpriv drops every capability while staying uid 0: nft then gets EPERM from netlink.
    const t = dbTarget(l, {
      nft: { command: ['ip', 'netns', 'exec', l.db, 'setpriv', '--inh-caps=-all', '--bounding-set=-all', 'nft'] },
      includeFile: undefined,
    });
    await assert.rejects(t.observe(signal()), { code: 'TARGET_FORBIDDEN', message: /CAP_NET_ADMIN/ });
  });
});
