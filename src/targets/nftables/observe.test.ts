import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeNft } from './fake-nft.ts';
import { createNftablesTarget } from './target.ts';
import { config, deps } from './test-fixtures.ts';

const signal = AbortSignal.timeout(60_000);

describe('observe (fake nft)', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'gh-nft-observe-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  it('tells the operator how to declare a missing set', async () => {
    const nft = new FakeNft().declare('inet gh', 'allow_v4', 'ipv4_addr');
    const t = createNftablesTarget('db', config(), deps(dir), nft);
    await assert.rejects(t.observe(signal), {
      code: 'TARGET_FAILED',
      message:
        `set inet gh allow_v6 (allowlist db) does not exist: declare it in the host's nftables.conf, inside ` +
        `"table inet gh { … }": "set allow_v6 { type ipv6_addr; flags interval; }" (gatehouse never creates tables or sets)`,
    });
  });

  it('returns plain JSON: the sets and the include file (null when absent)', async () => {
    const nft = new FakeNft()
      .declare('inet gh', 'allow_v4', 'ipv4_addr', ['10.0.0.0/25', '10.0.0.128/25'])
      .declare('inet gh', 'allow_v6', 'ipv6_addr');
    const t = createNftablesTarget('db', config({ includeFile: 'gh.nft' }), deps(dir), nft);
    const o = await t.observe(signal);
    assert.deepEqual(o, {
      sets: [
        { set: 'allow_v4', family: 4, elements: ['10.0.0.0/24'], stray: [] },
        { set: 'allow_v6', family: 6, elements: [], stray: [] },
      ],
      include: null,
    });
    assert.deepEqual(JSON.parse(JSON.stringify(o)), o);
    await writeFile(join(dir, 'gh.nft'), 'x');
    assert.equal((await t.observe(signal)).include, 'x');
  });

  it('kernel: false refuses an include file in a format it did not write', async () => {
    await writeFile(join(dir, 'odd.nft'), '# x\ntable inet gh { }\n');
    const t = createNftablesTarget('db', config({ kernel: false, includeFile: 'odd.nft' }), deps(dir), new FakeNft());
    await assert.rejects(t.observe(signal), /odd\.nft:2: not a line gatehouse writes/);
  });
});
