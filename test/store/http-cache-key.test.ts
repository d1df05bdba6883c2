// node:test's describe/it return promises that the runner itself awaits.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { geofeedSource } from '../../src/sources/geofeed/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';

const SECRET = 'feed-token-5up3r53cr3t';
const FEED = '192.0.2.0/24,US,US-CA,San Jose,\n';
const ETAG = '"v1"';

let store: Store;
let dir: string;
let base: string;
const statuses: number[] = [];
const server = createServer((req, res) => {
  const status = req.headers['if-none-match'] === ETAG ? 304 : 200;
  statuses.push(status);
  if (status === 304) res.writeHead(304, { etag: ETAG }).end();
  else res.writeHead(200, { 'content-type': 'text/csv', etag: ETAG }).end(FEED);
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-cache-key-'));
  store = await openStore({ stateDir: dir });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await store.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('the HTTP cache in the store', () => {
  it('keeps no secret of a geofeed URL in its keys, and still serves a 304 from the cache', async () => {
    const url = `${base}/feed.csv?token=${SECRET}`;
    // As a store written before keys were digested holds it: the next download replaces it.
    await store.db.query(`INSERT INTO http_cache (key, etag, body) VALUES ($1, 'old', '"old"')`, [`geofeed:${url}`]);
    const config = geofeedSource.schema.parse({ type: 'geofeed', url });
    const feed = geofeedSource.create('feed', config, testDeps({ cache: store.cache }));
    const first = await feed.read(AbortSignal.timeout(10_000));
    const second = await feed.read(AbortSignal.timeout(10_000));
    assert.deepEqual(statuses, [200, 304], 'the second read was conditional on the cached ETag');
    assert.deepEqual(second.facts, first.facts);

    const { rows } = await store.db.query<Record<string, unknown>>('SELECT * FROM http_cache');
    assert.equal(rows.length, 1);
    assert.doesNotMatch(JSON.stringify(rows), new RegExp(SECRET));
    assert.doesNotMatch(JSON.stringify(rows), /feed\.csv/, 'the key is a digest, not the URL');
  });
});
