import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { faults, startLinodeFake, type LinodeFake } from '../fakes/linode/index.ts';
import { NetnsLab, skipUnlessRoot } from '../harness/netns.ts';
import { gatehouse } from './cli.ts';

/**
 * The first system end to end, through the real CLI: Linode LKE nodes → nftables allowlist on a database host.
 *
 *   node A 203.0.113.10 ── db 203.0.113.1 :5432
 *   node B 198.51.100.10 ── db 198.51.100.1 :5432
 *
 * Documentation prefixes stand in for public node addresses (the LKE source keeps only public addresses); they exist
 * only on veth links between namespaces this test creates.
 */
const A = { ip: '203.0.113.10', db: '203.0.113.1' };
const B = { ip: '198.51.100.10', db: '198.51.100.1' };
const TOKEN = 'e2e-linode-token-0123456789';

const RULESET = `table inet gh {
	set db_allow_v4 { type ipv4_addr; flags interval; }
	set db_allow_v6 { type ipv6_addr; flags interval; }
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 5432 ip saddr @db_allow_v4 accept
		tcp dport 5432 ip6 saddr @db_allow_v6 accept
		tcp dport 5432 drop
	}
}
`;

describe('LKE nodes → nftables allowlist, end to end through the CLI', { skip: skipUnlessRoot() }, () => {
  const lab = new NetnsLab();
  let fake: LinodeFake;
  let feed: Server;
  let feedBody = '';
  let dir: string;
  let db: string;
  let nodeA: string;
  let nodeB: string;
  let config: string;
  const env = { LINODE_TOKEN: TOKEN };

  const setNodes = (...instances: number[]) => {
    fake.state.clusters.set(1, {
      id: 1,
      pools: [
        {
          id: 10,
          type: 'g6-standard-2',
          tags: [],
          nodes: instances.map((i) => ({ id: `10-${i}`, instance_id: i, status: 'ready' as const })),
        },
      ],
    });
  };
  const apply = (...extra: string[]) => gatehouse(['-c', config, 'apply', '--auto-approve', ...extra], { env });
  const plan = (...extra: string[]) => gatehouse(['-c', config, 'plan', ...extra], { env });
  const reach = async () => ({
    a: await lab.canConnect(nodeA, A.db, 5432),
    b: await lab.canConnect(nodeB, B.db, 5432),
  });
  const elements = async () => {
    const out = await lab.mustExec(db, ['nft', '-j', 'list', 'set', 'inet', 'gh', 'db_allow_v4']);
    const set = (JSON.parse(out) as { nftables: { set?: { elem?: unknown[] } }[] }).nftables.find((x) => x.set)?.set;
    return set?.elem ?? [];
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-e2e-'));
    db = await lab.namespace('db');
    nodeA = await lab.namespace('a');
    nodeB = await lab.namespace('b');
    await lab.link({ ns: nodeA, addresses: [`${A.ip}/24`] }, { ns: db, addresses: [`${A.db}/24`] });
    await lab.link({ ns: nodeB, addresses: [`${B.ip}/24`] }, { ns: db, addresses: [`${B.db}/24`] });
    await lab.mustExec(db, ['nft', '-f', '-'], { input: RULESET });
    await lab.listen(db, 5432);

    fake = await startLinodeFake({ token: TOKEN });
    for (const [id, ip] of [
      [100, A.ip],
      [101, B.ip],
    ] as const) {
      fake.state.instances.set(id, {
        id,
        region: 'eu-central',
        ipv4: { public: [ip], private: ['192.168.140.5'] },
        slaac: null,
        linkLocal: 'fe80::1',
      });
    }
    feed = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' }).end(feedBody);
    });
    await new Promise<void>((r) => feed.listen(0, '127.0.0.1', r));
    feedBody = '# office egress\n192.0.2.0/24,DE,DE-HE,Frankfurt,\n';

    config = join(dir, 'gatehouse.yaml');
    await writeFile(
      config,
      `state: { dir: state }
sources:
  lke:
    type: linode-lke
    token: \${env:LINODE_TOKEN}
    clusters: [1]
    ipv6: false
    apiUrl: ${fake.url}
    maxAttempts: 2
  office:
    type: geofeed
    url: http://127.0.0.1:${(feed.address() as AddressInfo).port}/geofeed.csv
    maxAttempts: 1
targets:
  db:
    type: nftables
    table: { family: inet, name: gh }
    includeFile: nftables.d/gatehouse-db.nft
    nft: { command: [ip, netns, exec, ${db}, nft] }
    sets:
      - { name: db-clients, ipv4: db_allow_v4, ipv6: db_allow_v6, from: [lke, office], maxShrink: 1 }
`,
    );
  });

  after(async () => {
    await lab.cleanup();
    await fake?.close();
    await new Promise<void>((r) => (feed ? feed.close(() => r()) : r()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('nothing reaches db:5432 before the first sync', async () => {
    assert.deepEqual(await reach(), { a: false, b: false });
  });

  it('A in the source: A connects, B does not', async () => {
    setNodes(100);
    const r = await apply();
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /\+ 203\.0\.113\.10/);
    assert.deepEqual(await reach(), { a: true, b: false });
    const again = await plan('--detailed-exitcode');
    assert.equal(again.code, 0, again.stdout);
  });

  it('plan twice on the same inputs gives byte-identical JSON', async () => {
    const one = await plan('--output', 'json');
    const two = await plan('--output', 'json');
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout, two.stdout);
    assert.ok(one.stdout.length > 100);
  });

  it('source switches to B: B connects, A does not', async () => {
    setNodes(101);
    const r = await apply();
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /- 203\.0\.113\.10/);
    assert.match(r.stdout, /\+ 198\.51\.100\.10/);
    assert.deepEqual(await reach(), { a: false, b: true });
  });

  it('HTTP 500 from Linode: the allowlist stays and the failure is reported', async () => {
    const before = await elements();
    // Every attempt the source makes (maxAttempts: 2) fails.
    fake.inject('get-lke-cluster-pools', faults.serverError(500), faults.serverError(500));
    const r = await apply();
    assert.equal(r.code, 3, r.stderr + r.stdout);
    assert.match(r.stdout, /! lke \(linode-lke\) snapshot/);
    assert.match(r.stdout, /HTTP 500/);
    assert.match(r.stdout, /using last-known-good snapshot from/);
    assert.deepEqual(await elements(), before);
    assert.deepEqual(await reach(), { a: false, b: true });
    assert.equal(fake.pendingFaults(), 0);
  });

  it('empty result (no node has a Linode yet): the empty read counts as incomplete, the allowlist stays', async () => {
    fake.state.clusters.set(1, {
      id: 1,
      pools: [
        { id: 10, type: 'g6-standard-2', tags: [], nodes: [{ id: '10-x', instance_id: null, status: 'not_ready' }] },
      ],
    });
    feedBody = '';
    const r = await apply();
    assert.equal(r.code, 3, r.stderr + r.stdout);
    assert.match(r.stdout, /! lke \(linode-lke\) snapshot/);
    assert.match(r.stdout, /read returned no entries, but the last-known-good snapshot has 1; treated as incomplete/);
    assert.match(r.stdout, /instance_id null while provisioning/);
    assert.deepEqual(await reach(), { a: false, b: true });
    feedBody = '192.0.2.0/24,DE,DE-HE,Frankfurt,\n';
    setNodes(101);
  });

  it('an invalid element is rejected with its origin and nothing is applied', async () => {
    const before = await elements();
    feedBody = '192.0.2.0/24,DE,DE-HE,Frankfurt,\nlocalhost,DE,DE-HE,Frankfurt,\n';
    const r = await apply();
    assert.equal(r.code, 3, r.stderr + r.stdout);
    assert.match(r.stdout, /geofeed\.csv:2.*"localhost"/);
    assert.deepEqual(await elements(), before);
    feedBody = '192.0.2.0/24,DE,DE-HE,Frankfurt,\n';
  });

  it('a deleted include file is restored by the next run', async () => {
    const file = join(dir, 'nftables.d', 'gatehouse-db.nft');
    const content = await readFile(file, 'utf8');
    await unlink(file);
    const p = await plan('--detailed-exitcode');
    assert.equal(p.code, 2, p.stdout);
    assert.match(p.stdout, /include file .* \(missing\)/);
    const r = await apply();
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(await readFile(file, 'utf8'), content);
    assert.match(content, /add element inet gh db_allow_v4 \{ 192\.0\.2\.0\/24, 198\.51\.100\.10 \}/);
  });

  it('audited every applied change, and the chain verifies; the token never appears', async () => {
    const log = await gatehouse(['-c', config, 'audit', '--output', 'json', '--limit', '1000'], { env });
    assert.equal(log.code, 0, log.stderr);
    const records = JSON.parse(log.stdout) as { status: string; target: string }[];
    assert.ok(records.filter((x) => x.status === 'applied').length >= 4);
    const verify = await gatehouse(['-c', config, 'audit', '--verify'], { env });
    assert.match(verify.stdout, /audit log intact/);
    assert.ok(!log.stdout.includes(TOKEN));
    fake.assertClean();
  });
});
