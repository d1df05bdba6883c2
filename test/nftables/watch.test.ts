import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, afterEach, before, describe, it } from 'node:test';
import { skipUnlessRoot } from '../harness/netns.ts';
import { commandRunner, nftablesTarget, type NftRunner } from '../../src/targets/nftables/index.ts';
import { createNftablesTarget } from '../../src/targets/nftables/target.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';
import { clients, createDbLab, kernelElements, reconcile, type DbLab } from './lab.ts';

const signal = () => AbortSignal.timeout(60_000);

type CountingRunner = NftRunner & {
  lists: number;
  /** Markers sent, by an nft process each or through the `nft -i` session. */
  markers: number;
  /** Of those, the ones that started an nft process. */
  spawnedMarkers: number;
  probes: number;
  beforeReplace?: () => Promise<unknown>;
};

/** The real nft runner, counting the set listings it runs (what the watch lets observe skip) and the markers. */
function countingRunner(command: readonly string[], options: { session?: boolean } = {}): CountingRunner {
  const real = commandRunner(command);
  const spy: CountingRunner = {
    lists: 0,
    markers: 0,
    spawnedMarkers: 0,
    probes: 0,
    run: async (args: readonly string[], options: Parameters<NftRunner['run']>[1]) => {
      if (args.includes('list') && args.includes('-j')) spy.lists++;
      if (args.includes('-c')) spy.probes++;
      if (options.input?.startsWith('create table')) {
        spy.markers++;
        spy.spawnedMarkers++;
      }
      if (!args.includes('-c') && options.input?.startsWith('flush set') && spy.beforeReplace) {
        const hook = spy.beforeReplace;
        delete spy.beforeReplace;
        await hook();
      }
      return real.run(args, options);
    },
    monitor: real.monitor?.bind(real),
    ...(options.session === false
      ? {}
      : {
          interactive: (signal: AbortSignal, onError: (line: string) => void, onClose: () => void) => {
            const session = (real.interactive as NonNullable<NftRunner['interactive']>)(signal, onError, onClose);
            return {
              send: (line: string) => {
                if (line.startsWith('create table')) spy.markers++;
                return session.send(line);
              },
            };
          },
        }),
  };
  return spy;
}

async function until(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('nftables target, real kernel: nft monitor watch', { skip: skipUnlessRoot() }, () => {
  let l: DbLab;
  let stop: AbortController | undefined;
  before(async () => (l = await createDbLab()));
  after(() => l?.close());
  afterEach(() => stop?.abort());

  /** A target in the db namespace with its watch running; `events` collects what the watch notified. */
  function watched(sets: Record<string, unknown> = { ipv4: 'allow_v4' }, options: { session?: boolean } = {}) {
    const runner = countingRunner(['ip', 'netns', 'exec', l.db, 'nft'], options);
    const config = nftablesTarget.schema.parse({
      type: 'nftables',
      table: { family: 'inet', name: 'gh' },
      sets: [{ name: 'db-clients', ...sets, from: ['clients'], maxShrink: 1 }],
      nft: { command: ['ip', 'netns', 'exec', l.db, 'nft'] },
    });
    const t = { ...createNftablesTarget('db', config, testDeps({ baseDir: l.dir }), runner), sources: ['clients'] };
    const events: string[] = [];
    stop = new AbortController();
    const running = t.watch?.(stop.signal, (r) => events.push(r)) ?? Promise.resolve();
    const ended = running.then(
      () => 'resolved',
      (e: unknown) => `rejected: ${String(e)}`,
    );
    // Observes until an observe lists nothing: the monitor is live and the set cached. Each marker must come back
    // by itself: a handful of attempts at most (a monitor whose output waits in a buffer needs dozens).
    const cachedNow = async () => {
      await until('observe to skip the listing', async () => {
        const n = runner.lists;
        await t.observe(signal());
        return runner.lists === n;
      });
      assert.ok(runner.markers < 10, `${runner.markers} markers sent before the watch answered`);
      const before = runner.markers;
      await t.observe(signal());
      assert.equal(runner.markers, before + 1, 'a live watch answers one observe with one marker');
    };
    return { t, runner, events, ended, cachedNow };
  }

  it('skips listing a set after its own write, and still sees a hand edit made after it (and notifies)', async () => {
    await l.nft(['flush', 'set', 'inet', 'gh', 'allow_v4']);
    const { t, runner, events, cachedNow } = watched();
    await cachedNow();
    const ctx = clients('10.231.1.2', '10.231.5.0/24');
    await reconcile(t, ctx, signal()); // lists once, writes
    const afterWrite = runner.lists;
    assert.deepEqual((await reconcile(t, ctx, signal())).changes, [], 'own write is what the cache holds');
    assert.equal(runner.lists, afterWrite, 'no listing: the set is provably unchanged since the write');

    await l.nft(['add', 'element', 'inet', 'gh', 'allow_v4', '{ 10.231.9.9 }']);
    await until('the watch notifies', () => events.includes('nft-set-changed'));
    const seen = await t.observe(signal());
    assert.equal(runner.lists, afterWrite + 1, 'the hand edit makes observe list the set again');
    assert.ok(seen.sets[0]?.elements.includes('10.231.9.9'));
    assert.deepEqual((await reconcile(t, ctx, signal())).changes, ['set:allow_v4'], 'the edit is reverted');
    assert.deepEqual(await kernelElements(l, 'allow_v4'), ['10.231.1.2', '{"prefix":{"addr":"10.231.5.0","len":24}}']);
  });

  it('sees a hand delete after a read, even with no notification awaited', async () => {
    await l.nft(['flush', 'set', 'inet', 'gh', 'allow_v4']);
    await l.nft(['add', 'element', 'inet', 'gh', 'allow_v4', '{ 10.231.1.2, 10.231.7.7 }']);
    const { t, runner, cachedNow } = watched();
    await cachedNow();
    const lists = runner.lists;
    assert.deepEqual((await t.observe(signal())).sets[0]?.elements, ['10.231.1.2', '10.231.7.7']);
    assert.equal(runner.lists, lists, 'answered from the read');
    await l.nft(['delete', 'element', 'inet', 'gh', 'allow_v4', '{ 10.231.7.7 }']);
    // No wait: observe first proves the monitor caught up with every transaction committed before it.
    assert.deepEqual((await t.observe(signal())).sets[0]?.elements, ['10.231.1.2']);
    assert.equal(runner.lists, lists + 1);
  });

  it('a change committed while the monitor is stopped for a large write drops what was cached', async () => {
    await l.nft(['flush', 'set', 'inet', 'gh', 'allow_v4']);
    await l.nft(['flush', 'set', 'inet', 'gh', 'allow_v6']);
    const { t, runner, events, cachedNow } = watched({ ipv4: 'allow_v4', ipv6: 'allow_v6' });
    const ctx = clients('10.231.1.2', 'fd00:231:1::2');
    await reconcile(t, ctx, signal());
    await cachedNow();
    // The next write replaces allow_v4 (the monitor is stopped for it); someone edits allow_v6 meanwhile.
    runner.beforeReplace = () => l.nft(['add', 'element', 'inet', 'gh', 'allow_v6', '{ fd00:231:9::9 }']);
    await reconcile(t, clients('10.231.2.2', 'fd00:231:1::2'), signal());
    assert.equal(runner.beforeReplace, undefined, 'the hand edit ran during the write');
    const lists = runner.lists;
    const seen = await t.observe(signal());
    assert.deepEqual(seen.sets[1]?.elements, ['fd00:231:1::2', 'fd00:231:9::9'], 'the edit is seen');
    assert.equal(runner.lists, lists + 2, 'both sets listed again: the generation count showed a foreign commit');
    await until('the watch notifies', () => events.includes('nft-changed-while-writing'));
  });

  it('keeps the cache across its own large write when nothing else was committed', async () => {
    await l.nft(['flush', 'set', 'inet', 'gh', 'allow_v4']);
    await l.nft(['flush', 'set', 'inet', 'gh', 'allow_v6']);
    const { t, runner, cachedNow } = watched({ ipv4: 'allow_v4', ipv6: 'allow_v6' });
    await reconcile(t, clients('10.231.1.2', 'fd00:231:1::2'), signal());
    await cachedNow();
    const lists = runner.lists;
    const ctx = clients('10.231.2.2', 'fd00:231:1::2');
    assert.deepEqual((await reconcile(t, ctx, signal())).changes, ['set:allow_v4']);
    assert.deepEqual((await reconcile(t, ctx, signal())).changes, []);
    assert.equal(runner.lists, lists, 'neither set listed: the write and the cached allow_v6 are known');
  });

  it('a replace of a set the watch vouches for skips the nft -c pre-check; without a live watch it runs', async () => {
    await l.nft(['flush', 'set', 'inet', 'gh', 'allow_v4']);
    const { t, runner, ended, cachedNow } = watched();
    await reconcile(t, clients('10.231.1.2'), signal());
    await cachedNow();
    const probes = runner.probes;
    // One element replaced by another: a whole-set replace (not an element edit), of a set the watch vouches for.
    assert.deepEqual((await reconcile(t, clients('10.231.2.2'), signal())).changes, ['set:allow_v4']);
    assert.equal(runner.probes, probes, 'no pre-check: the set is known to exist and take IPv4 prefixes');
    stop?.abort();
    await ended;
    assert.deepEqual((await reconcile(t, clients('10.231.3.3'), signal())).changes, ['set:allow_v4']);
    assert.equal(runner.probes, probes + 1, 'no watch to vouch for the set: pre-checked');
    assert.deepEqual(await kernelElements(l, 'allow_v4'), ['10.231.3.3']);
  });

  for (const [set, merges] of [
    ['allow_v4', false],
    ['merge_v4', true],
  ] as const) {
    it(`after its own write of touching prefixes, edits the set only if it is known not to merge them (${set})`, async () => {
      await l.nft(['flush', 'set', 'inet', 'gh', set]);
      const { t, cachedNow } = watched({ ipv4: set });
      // Listed once with the watch live: the declaration (auto-merge or not) is learned with it.
      await cachedNow();
      const many = Array.from({ length: 40 }, (_, i) => `10.231.${100 + i}.1`);
      // 10.231.9.1 and 10.231.9.2/31 touch: an auto-merge set holds them as one range 10.231.9.1-10.231.9.3.
      await reconcile(t, clients(...many, '10.231.9.1', '10.231.9.2/31'), signal());
      const { results } = await reconcile(t, clients(...many, '10.231.9.2/31'), signal());
      assert.equal(results[0]?.status, 'applied', JSON.stringify(results));
      assert.equal(/edited/.test(results[0]?.message ?? ''), !merges);
      const listed = await l.nft(['-j', 'list', 'set', 'inet', 'gh', set]);
      assert.doesNotMatch(listed, /"10\.231\.9\.1"/);
      assert.match(listed, /10\.231\.9\.2/);
    });
  }

  it('commits its markers through one nft -i, not a process each; without one, through nft processes', async () => {
    await l.nft(['flush', 'set', 'inet', 'gh', 'allow_v4']);
    const { t, runner, cachedNow } = watched();
    await cachedNow();
    const spawned = runner.spawnedMarkers;
    for (let i = 0; i < 5; i++) await t.observe(signal());
    assert.equal(runner.spawnedMarkers, spawned, 'no nft process per marker once the session runs');
    stop?.abort();

    const plain = watched({ ipv4: 'allow_v4' }, { session: false });
    await plain.cachedNow();
    const lists = plain.runner.lists;
    await plain.t.observe(signal());
    assert.equal(plain.runner.lists, lists, 'a runner without a session still answers from the cache');
    assert.equal(plain.runner.spawnedMarkers, plain.runner.markers);
  });

  it('when its nft -i dies, sends markers through nft processes at once, and still sees a hand edit', async () => {
    await l.nft(['flush', 'set', 'inet', 'gh', 'allow_v4']);
    const { t, runner, ended, cachedNow } = watched();
    await cachedNow();
    const pid = execFileSync('pgrep', ['-P', String(process.pid), '-f', 'nft -i'], { encoding: 'utf8' }).trim();
    assert.match(pid, /^\d+$/);
    process.kill(Number(pid), 'SIGKILL');
    await until('the session to be given up', async () => {
      const spawned = runner.spawnedMarkers;
      await t.observe(signal());
      return runner.spawnedMarkers > spawned;
    });
    const lists = runner.lists;
    const began = performance.now();
    await t.observe(signal());
    assert.equal(runner.lists, lists, 'still answered from the cache');
    assert.ok(performance.now() - began < 4_000, 'no marker waits for the timeout');
    await l.nft(['add', 'element', 'inet', 'gh', 'allow_v4', '{ 10.231.9.9 }']);
    assert.deepEqual((await t.observe(signal())).sets[0]?.elements, ['10.231.9.9']);
    assert.equal(runner.lists, lists + 1);
    stop?.abort();
    assert.equal(await ended, 'resolved');
  });

  it('stops skipping when the monitor dies', async () => {
    const { t, runner, ended, cachedNow } = watched();
    await cachedNow();
    const lists = runner.lists;
    await t.observe(signal());
    assert.equal(runner.lists, lists, 'skipping while the monitor runs');
    const pid = execFileSync('pgrep', ['-P', String(process.pid), '-f', 'nft monitor'], { encoding: 'utf8' }).trim();
    assert.match(pid, /^\d+$/);
    process.kill(Number(pid), 'SIGKILL');
    assert.match(await ended, /^rejected/);
    await t.observe(signal());
    assert.equal(runner.lists, lists + 1, 'listed again once the monitor is gone');
  });

  it('applies a small change as element edits; a failing edit batch leaves the set as it was', async () => {
    await l.nft(['flush', 'set', 'inet', 'gh', 'allow_v4']);
    const many = Array.from({ length: 40 }, (_, i) => `10.231.${100 + i}.1`);
    const t = {
      sources: ['clients'],
      ...createNftablesTarget(
        'db',
        nftablesTarget.schema.parse({
          type: 'nftables',
          table: { family: 'inet', name: 'gh' },
          sets: [{ name: 'db-clients', ipv4: 'allow_v4', from: ['clients'], maxShrink: 1 }],
          nft: { command: ['ip', 'netns', 'exec', l.db, 'nft'] },
        }),
        testDeps({ baseDir: l.dir }),
      ),
    };
    await reconcile(t, clients(...many), signal());
    // The plan removes 10.231.100.1 and adds 10.231.200.1; someone deletes 10.231.100.1 before it applies.
    const desired = t.desired(clients(...many.slice(1), '10.231.200.1'));
    const observed = await t.observe(signal());
    const changes = t.diff(desired, observed);
    await l.nft(['delete', 'element', 'inet', 'gh', 'allow_v4', '{ 10.231.100.1 }']);
    const before = await kernelElements(l, 'allow_v4');
    const results = await t.apply(changes, signal(), observed);
    assert.equal(results[0]?.status, 'failed', 'the edit names an element no longer there: nft refuses the batch');
    assert.deepEqual(await kernelElements(l, 'allow_v4'), before, 'nothing of the batch was applied');
    // A fresh pass converges, and as an edit (a flush + re-add would have said no "(edited)").
    const again = await reconcile(t, clients(...many.slice(1), '10.231.200.1'), signal());
    assert.match(again.results[0]?.message ?? '', /edited/);
    assert.ok((await kernelElements(l, 'allow_v4')).includes('10.231.200.1'));
  });
});
