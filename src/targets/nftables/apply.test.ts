import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Change } from '../../core/contracts.ts';
import { FakeNft } from './fake-nft.ts';
import { createNftablesTarget } from './target.ts';
import { config, context, deps } from './test-fixtures.ts';
import type { NftChange, NftObserved, NftSetChange } from './types.ts';

const signal = AbortSignal.timeout(60_000);

describe('apply (fake nft)', () => {
  let root: string;
  let dir: string;
  let nft: FakeNft;
  let n = 0;
  before(async () => (root = await mkdtemp(join(tmpdir(), 'gh-nft-apply-'))));
  after(() => rm(root, { recursive: true, force: true }));
  beforeEach(async () => {
    dir = join(root, String(++n));
    await mkdir(dir);
    nft = new FakeNft()
      .declare('inet gh', 'allow_v4', 'ipv4_addr', ['10.0.0.1'])
      .declare('inet gh', 'allow_v6', 'ipv6_addr');
  });

  const target = (overrides: Record<string, unknown> = {}) =>
    createNftablesTarget('db', config({ includeFile: 'db.nft', ...overrides }), deps(dir), nft);

  /** The observation the last plan was made from: what the pipeline hands apply. */
  let seen: NftObserved | undefined;
  async function plan(t = target(), addresses = ['10.0.0.2', '2001:db8::1']) {
    const desired = t.desired(context({ clients: addresses }));
    seen = await t.observe(signal);
    return t.diff(desired, seen);
  }

  it('probes with nft -c, applies one batch, then writes the include file; the next plan is empty', async () => {
    const t = target();
    const changes = await plan(t);
    assert.deepEqual(
      changes.map((c) => c.id),
      ['set:allow_v4', 'set:allow_v6', 'include'],
    );
    nft.calls.length = 0;
    const results = await t.apply(changes, signal, seen);
    assert.deepEqual(
      results?.map((r) => `${r.id} ${r.status}`),
      ['set:allow_v4 applied', 'set:allow_v6 applied', 'include applied'],
    );
    assert.deepEqual(
      nft.calls.map((c) => c.args.join(' ')),
      ['-c -f -', '-f -'],
    );
    assert.equal(
      nft.calls[0]?.input,
      'flush set inet gh allow_v4\nadd element inet gh allow_v4 { 10.0.0.2 }\n' +
        'flush set inet gh allow_v6\nadd element inet gh allow_v6 { 2001:db8::1 }\n',
    );
    assert.deepEqual(nft.elements('inet gh', 'allow_v4'), ['10.0.0.2']);
    const include = await readFile(join(dir, 'db.nft'), 'utf8');
    assert.ok(include.endsWith(nft.calls[1]?.input ?? '?'), 'the include file holds the same batch');
    assert.deepEqual(await plan(t), []);
  });

  it('applies a partial delta to what the set holds: kept, removed, widened and added ranges all land as planned', async () => {
    nft = new FakeNft()
      .declare('inet gh', 'allow_v4', 'ipv4_addr', ['10.0.0.1', '10.0.0.5', '10.0.1.0/25', '10.0.9.0/24'])
      .declare('inet gh', 'allow_v6', 'ipv6_addr', ['2001:db8::1', '::ffff:10.0.0.7']);
    const t = target();
    const wanted = ['10.0.0.1', '10.0.0.9', '10.0.1.0/24', '10.0.9.128/25', '2001:db8::1'];
    const changes = await plan(t, wanted);
    const v4 = changes.find((c) => c.id === 'set:allow_v4') as NftSetChange;
    assert.deepEqual(
      [v4.add, v4.remove],
      [
        ['10.0.0.9', '10.0.1.128/25'],
        ['10.0.0.5', '10.0.9.0/25'],
      ],
    );
    // A copy, as a plan read back from JSON would be: apply cannot take the contents the diff computed, and works them
    // out from the delta and what the set holds.
    const results = await t.apply(structuredClone(changes), signal, seen);
    assert.ok(results?.every((r) => r.status === 'applied'));
    assert.deepEqual(nft.elements('inet gh', 'allow_v4'), ['10.0.0.1', '10.0.0.9', '10.0.1.0/24', '10.0.9.128/25']);
    assert.deepEqual(nft.elements('inet gh', 'allow_v6'), ['2001:db8::1'], 'the stray element is gone');
    // The include file restores exactly what the desired state renders to, unchanged sets included.
    assert.deepEqual(await plan(t, wanted), []);
  });

  it('refuses an edited plan whose elements are wider than the width policy; nft never runs', async () => {
    const t = target();
    const changes = await plan(t);
    const opened = changes.map<NftChange>((c) =>
      c.kind === 'nft-set' && c.family === 4 ? { ...c, add: ['0.0.0.0/0'] } : c,
    );
    nft.calls.length = 0;
    const results = await t.apply(opened, signal, seen);
    assert.ok(results?.every((r) => r.status === 'failed' && r.errorCode === 'PLAN_INVALID'));
    assert.match(results?.[0]?.message ?? '', /0\.0\.0\.0\/0 is wider than \/8 \(IPv4\); list it in allowWide/);
    assert.deepEqual(
      nft.calls.filter((c) => c.args.join(' ') === '-f -'),
      [],
    );
    assert.deepEqual(nft.elements('inet gh', 'allow_v4'), ['10.0.0.1']);
    const allowed = await createNftablesTarget(
      'db',
      config({ includeFile: 'db.nft', allowWide: ['0.0.0.0/0'] }),
      deps(dir),
      nft,
    ).apply(opened, signal, seen);
    assert.deepEqual(
      allowed?.map((r) => r.status),
      ['applied', 'applied', 'applied'],
    );
  });

  it('leaves the include file alone and reports nft’s error when the batch fails', async () => {
    await writeFile(join(dir, 'db.nft'), 'previous\n');
    const t = target();
    const changes = await plan(t);
    nft.failWith = (args) =>
      args.join(' ') === '-f -' ? 'Error: Could not process rule: Too many open files in system' : undefined;
    const results = await t.apply(changes, signal, seen);
    assert.deepEqual(
      results?.map((r) => `${r.id} ${r.status} ${r.errorCode ?? ''}`),
      ['set:allow_v4 failed TARGET_FAILED', 'set:allow_v6 failed TARGET_FAILED', 'include skipped '],
    );
    assert.match(results?.[0]?.message ?? '', /^replacing allow_v4, allow_v6 failed: .*Too many open files in system/);
    assert.equal(await readFile(join(dir, 'db.nft'), 'utf8'), 'previous\n');
    assert.deepEqual(nft.elements('inet gh', 'allow_v4'), ['10.0.0.1']);
  });

  it('stops at a failed pre-check without sending the batch', async () => {
    const t = target();
    const changes = await plan(t);
    nft.calls.length = 0;
    nft.failWith = (args) => (args[0] === '-c' ? 'Error: No such file or directory' : undefined);
    const results = await t.apply(changes, signal, seen);
    assert.match(results?.[0]?.message ?? '', /pre-check \(nft -c\) of the changed sets failed: .*No such file/);
    assert.deepEqual(
      nft.calls.map((c) => c.args.join(' ')),
      ['-c -f -'],
    );
  });

  it('maps "Operation not permitted" to TARGET_FORBIDDEN', async () => {
    const t = target();
    const changes = await plan(t);
    nft.failWith = () => 'Error: Could not process rule: Operation not permitted';
    const results = await t.apply(changes, signal, seen);
    assert.equal(results?.[0]?.errorCode, 'TARGET_FORBIDDEN');
    assert.match(results?.[0]?.message ?? '', /CAP_NET_ADMIN/);
  });

  const tampered: [string, (c: NftSetChange) => Change][] = [
    ['a hostname', (c) => ({ ...c, add: ['localhost'] })],
    ['nft syntax', (c) => ({ ...c, add: ['10.0.0.1 } ; flush ruleset ; add element inet gh allow_v4 {'] })],
    ['an IPv6 address in the IPv4 set', (c) => ({ ...c, add: ['2001:db8::1'] })],
    ['a set this target does not manage', (c) => ({ ...c, set: 'other' })],
    ['a non-string element', (c) => ({ ...c, add: [{ family: 4 }] as unknown as string[] })],
    ['a removal list that is not a list', (c) => ({ ...c, remove: '10.0.0.1' as unknown as string[] })],
    ['a second change of the same set', (c) => ({ ...c, id: 'set:allow_v6' })],
  ];
  for (const [name, edit] of tampered) {
    it(`refuses a plan edited to hold ${name}, before running nft`, async () => {
      const t = target();
      const changes: Change[] = await plan(t);
      changes[0] = edit(changes[0] as NftSetChange);
      nft.calls.length = 0;
      const results = await t.apply(changes as NftChange[], signal, seen);
      assert.deepEqual(
        results?.map((r) => r.status),
        ['failed', 'failed', 'failed'],
      );
      assert.match(results?.[0]?.message ?? '', /^nothing applied: /);
      assert.deepEqual(nft.calls, []);
    });
  }

  it('kernel: false writes only the include file, and reads the sets back from it', async () => {
    const t = target({ kernel: false });
    const changes = await plan(t);
    assert.deepEqual(
      changes.map((c) => c.id),
      ['set:allow_v4', 'set:allow_v6', 'include'],
    );
    const results = await t.apply(changes, signal, seen);
    assert.deepEqual(
      results?.map((r) => `${r.id} ${r.status}`),
      ['set:allow_v4 applied', 'set:allow_v6 applied', 'include applied'],
    );
    assert.deepEqual(nft.calls, []);
    assert.deepEqual(await plan(t), []);
    const removal = await plan(t, ['10.0.0.2']);
    assert.deepEqual(
      removal.map((c) => `${c.id} ${c.destructive}`),
      ['set:allow_v6 true', 'include false'],
    );
  });

  it('reports a failed include write after the kernel applied', async () => {
    const t = target();
    const changes = await plan(t);
    await mkdir(join(dir, 'db.nft', 'x'), { recursive: true }); // renaming a file onto a directory fails
    const results = await t.apply(changes, signal, seen);
    assert.deepEqual(
      results?.map((r) => `${r.id} ${r.status}`),
      ['set:allow_v4 applied', 'set:allow_v6 applied', 'include failed'],
    );
    assert.match(results?.[2]?.message ?? '', /writing include file .* failed/);
  });
});
