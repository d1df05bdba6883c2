import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse } from '../e2e/cli.ts';
import { NetnsLab, skipUnlessRoot } from '../harness/netns.ts';

/** `gatehouse nftables host-config` prints what the config names, and nft accepts it. */
describe('nftables host-config from the configuration', { skip: skipUnlessRoot() }, () => {
  const lab = new NetnsLab();
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'gh-hostcfg-'))));
  after(async () => {
    await lab.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("uses the config's table and set names and include file; nft loads the snippet", async () => {
    const config = join(dir, 'gatehouse.yaml');
    await writeFile(
      config,
      `sources:
  office: { type: static, addresses: [192.0.2.1] }
targets:
  edge:
    type: nftables
    includeFile: rules/edge.nft
    table: { family: inet, name: edge_fw }
    sets:
      - { name: ssh, ipv4: ssh_v4, ipv6: ssh_v6, from: [office] }
`,
    );
    const r = await gatehouse(['-c', config, 'nftables', 'host-config']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^table inet edge_fw \{$/m);
    assert.match(r.stdout, /set ssh_v4 \{/);
    assert.match(r.stdout, /ip6 saddr @ssh_v6 accept/);
    assert.ok(r.stdout.includes(`include "${join(dir, 'rules')}/*.nft"`), r.stdout);
    assert.doesNotMatch(r.stdout, /db_allow|table inet gatehouse/);
    const ns = await lab.namespace('hc');
    await lab.mustExec(ns, ['nft', '-f', '-'], { input: r.stdout });
    const listed = await lab.mustExec(ns, ['nft', 'list', 'set', 'inet', 'edge_fw', 'ssh_v6']);
    assert.match(listed, /type ipv6_addr/);
  });
});
