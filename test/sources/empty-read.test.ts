import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { formatPrefix } from '../../src/core/address.ts';
import type { Source } from '../../src/core/contracts.ts';
import type { ResolvedSource } from '../../src/core/model.ts';
import { resolveSources } from '../../src/core/pipeline.ts';
import { MemoryStore } from '../../src/core/testing/memory-store.ts';
import { geofeedSource } from '../../src/sources/geofeed/index.ts';
import { linodeLkeSource } from '../../src/sources/linode-lke/index.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';
import { startLinodeFake, type LinodeFake } from '../fakes/linode/index.ts';

/** Two runs of the real pipeline's source resolution against one store: the second sees what the first saved. */
async function twoRuns(source: Source, between: () => Promise<void> | void): Promise<[ResolvedSource, ResolvedSource]> {
  const store = new MemoryStore();
  const run = async () => {
    const [r] = await resolveSources({ sources: [source], snapshots: store, signal: AbortSignal.timeout(20_000) });
    return r!;
  };
  const first = await run();
  await between();
  return [first, await run()];
}

const addresses = (r: ResolvedSource) => (r.facts.addressSets ?? []).flatMap((a) => a.prefixes).map(formatPrefix);

describe('geofeed: an empty answer after a non-empty one', () => {
  let dir: string;
  let server: Server;
  let body = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-empty-'));
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/csv' }).end(body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    server.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const geofeed = (config: Record<string, unknown>) =>
    geofeedSource.create(
      'geo',
      geofeedSource.schema.parse({ type: 'geofeed', maxAttempts: 1, timeoutMs: 2000, ...config }),
      testDeps({ baseDir: dir }),
    );
  const url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/geofeed.csv`;

  it('an empty 200 is incomplete: the snapshot stands in', async () => {
    body = '192.0.2.0/24,DE\n';
    const [first, second] = await twoRuns(geofeed({ url: url() }), () => {
      body = '# nothing today\n';
    });
    assert.equal(first.status, 'live');
    assert.equal(second.status, 'snapshot', second.notes.join('\n'));
    assert.deepEqual(addresses(second), ['192.0.2.0/24']);
    assert.match(second.notes.join('\n'), /no entries, but the last-known-good snapshot has 1; treated as incomplete/);
  });

  it('an emptied file is incomplete too; with allowEmpty: true it is live and empty', async () => {
    const file = join(dir, 'feed.csv');
    for (const allowEmpty of [false, true]) {
      await writeFile(file, '192.0.2.0/24,DE\n');
      const [, second] = await twoRuns(geofeed({ file: 'feed.csv', allowEmpty }), () => writeFile(file, ''));
      assert.equal(second.status, allowEmpty ? 'live' : 'snapshot');
      assert.deepEqual(addresses(second), allowEmpty ? [] : ['192.0.2.0/24']);
    }
  });
});

describe('linode-lke: a cluster whose nodes all vanished', () => {
  const TOKEN = 'lin-empty-read-0123456789';
  let fake: LinodeFake;
  before(async () => {
    fake = await startLinodeFake({ token: TOKEN });
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.state.clusters.clear();
    fake.state.instances.clear();
  });
  const lke = (allowEmpty?: boolean) =>
    linodeLkeSource.create(
      'lke',
      linodeLkeSource.schema.parse({
        type: 'linode-lke',
        token: TOKEN,
        clusters: [1],
        apiUrl: fake.url,
        ipv6: false,
        maxAttempts: 1,
        ...(allowEmpty === undefined ? {} : { allowEmpty }),
      }),
      testDeps({ baseDir: '/nonexistent' }),
    );

  for (const allowEmpty of [undefined, true]) {
    it(`allowEmpty ${String(allowEmpty)}: ${allowEmpty ? 'live and empty' : 'incomplete, snapshot stands in'}`, async () => {
      fake.addInstance(7, { public: ['192.0.2.7'], private: [], slaac: null });
      fake.addPool(1, 10, [7]);
      const [first, second] = await twoRuns(lke(allowEmpty), () => {
        fake.state.clusters.clear();
        fake.addPool(1, 10, []);
      });
      assert.deepEqual(addresses(first), ['192.0.2.7']);
      assert.equal(second.status, allowEmpty ? 'live' : 'snapshot', second.notes.join('\n'));
      assert.deepEqual(addresses(second), allowEmpty ? [] : ['192.0.2.7']);
    });
  }
});
