// node:test's describe/it return promises that the runner itself awaits.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { formatPrefix } from '../../core/address.ts';
import { MemoryCache } from '../../core/cache.ts';
import { isGatehouseError } from '../../core/errors.ts';
import type { SourceRead } from '../../core/model.ts';
import { testDeps } from '../../testing/plugin-deps.ts';
import { geofeedSource } from './index.ts';

const FEED = `# example geofeed
192.0.2.0/25,US,US-CA,San Jose,
192.0.2.128/25,US,US-CA,Los Angeles,
198.51.100.0/24,DE,DE-BE,Berlin,
2001:db8:1::/48,US,US-CA,San Jose,
`;

/** Each request gets the next scripted answer (the last repeats); `null` = destroy the connection. */
let answers: ({ status: number; body: string; headers?: Record<string, string> } | null)[] = [];
let requests = 0;
let seen: IncomingHttpHeaders[] = [];
let base: string;
let dir: string;
const server = createServer((req, res: ServerResponse) => {
  requests++;
  seen.push(req.headers);
  const a = answers.length > 1 ? answers.shift() : answers[0];
  if (a === null || a === undefined) {
    res.socket?.destroy();
    return;
  }
  res.writeHead(a.status, { 'content-type': 'text/csv', ...a.headers }).end(a.body);
});

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-geofeed-'));
  await mkdir(join(dir, 'feeds'));
  await writeFile(join(dir, 'feeds', 'geo.csv'), FEED);
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  answers = [];
  requests = 0;
  seen = [];
});

function read(config: Record<string, unknown>, cache = new MemoryCache()): Promise<SourceRead> {
  const parsed = geofeedSource.schema.parse({ type: 'geofeed', maxAttempts: 2, timeoutMs: 2000, ...config });
  const deps = testDeps({ baseDir: dir, cache });
  const source = geofeedSource.create('geo', parsed, deps);
  return source.read(AbortSignal.timeout(10_000));
}

function prefixes(r: SourceRead): string[] {
  assert.equal(r.complete, true, r.notes.join('\n'));
  assert.equal(r.facts.addressSets?.[0]?.name, 'geo');
  return (r.facts.addressSets?.[0]?.prefixes ?? []).map(formatPrefix);
}

describe('geofeed source', () => {
  it('reads a feed over HTTP and filters it case-insensitively', async () => {
    answers = [{ status: 200, body: FEED }];
    assert.deepEqual(prefixes(await read({ url: `${base}/geofeed.csv` })), [
      '192.0.2.0/24',
      '198.51.100.0/24',
      '2001:db8:1::/48',
    ]);
    const r = await read({ url: `${base}/geofeed.csv`, match: { country: ['us'], city: ['san jose'] } });
    assert.deepEqual(prefixes(r), ['192.0.2.0/25', '2001:db8:1::/48']);
    assert.deepEqual(r.notes, [`source geo: ${base}/geofeed.csv: 2 of 4 entries match`]);
  });

  it('revalidates with the cached ETag and serves a 304 from the cache', async () => {
    const cache = new MemoryCache();
    answers = [
      { status: 200, body: FEED, headers: { etag: '"v1"' } },
      { status: 304, body: '' },
    ];
    const first = prefixes(await read({ url: `${base}/f` }, cache));
    const second = prefixes(await read({ url: `${base}/f` }, cache));
    assert.deepEqual(second, first);
    assert.equal(seen[0]?.['if-none-match'], undefined);
    assert.equal(seen[1]?.['if-none-match'], '"v1"');
    answers = [{ status: 304, body: '' }];
    const uncached = await read({ url: `${base}/f` });
    assert.equal(uncached.complete, false, 'a 304 without a cached body is not a feed');
  });

  it('a changed feed (200 with a new ETag) is read as the new feed and replaces the cached one', async () => {
    const cache = new MemoryCache();
    const changed = '203.0.113.0/24,US,US-NY,New York,\n';
    answers = [
      { status: 200, body: FEED, headers: { etag: '"v1"' } },
      { status: 200, body: changed, headers: { etag: '"v2"' } },
      { status: 304, body: '' },
    ];
    await read({ url: `${base}/f` }, cache);
    assert.deepEqual(prefixes(await read({ url: `${base}/f` }, cache)), ['203.0.113.0/24']);
    assert.deepEqual(prefixes(await read({ url: `${base}/f` }, cache)), ['203.0.113.0/24']);
    assert.deepEqual(
      seen.map((h) => h['if-none-match']),
      [undefined, '"v1"', '"v2"'],
    );
    assert.deepEqual(cache.entries.get(`geofeed:${base}/f`), { body: changed, etag: '"v2"' });
  });

  it('reads a file relative to the config directory', async () => {
    const r = await read({ file: 'feeds/geo.csv', match: { region: ['DE-BE'] } });
    assert.deepEqual(prefixes(r), ['198.51.100.0/24']);
  });

  it('an unreadable file → incomplete', async () => {
    const r = await read({ file: 'feeds/missing.csv' });
    assert.equal(r.complete, false);
    assert.deepEqual(r.notes, ['cannot read feeds/missing.csv: ENOENT']);
  });

  it('retries a 500, and a persistent 500 or network error → incomplete', async () => {
    answers = [
      { status: 500, body: '' },
      { status: 200, body: FEED },
    ];
    assert.equal((await read({ url: `${base}/f` })).complete, true);
    assert.equal(requests, 2);

    answers = [{ status: 500, body: 'oops' }];
    requests = 0;
    const r = await read({ url: `${base}/f?key=abc123secret` });
    assert.equal(r.complete, false);
    assert.deepEqual(r.facts, {});
    assert.deepEqual(r.notes, [`GET ${base}/f: HTTP 500 after 2 attempts`]);
    assert.equal(requests, 2);

    answers = [null];
    const down = await read({ url: `${base}/f` });
    assert.equal(down.complete, false);
    assert.match(down.notes[0] ?? '', /network error \(.+\) after 2 attempts/);
  });

  it('a 404 → incomplete, not retried', async () => {
    answers = [{ status: 404, body: 'no' }];
    const r = await read({ url: `${base}/f` });
    assert.equal(r.complete, false);
    assert.deepEqual(r.notes, [`GET ${base}/f: HTTP 404`]);
    assert.equal(requests, 1);
  });

  it('an empty feed is a complete read of nothing, with a note; so is a feed where nothing matches', async () => {
    answers = [{ status: 200, body: '' }];
    const empty = await read({ url: `${base}/f` });
    assert.deepEqual(prefixes(empty), []);
    assert.deepEqual(empty.notes, [`source geo: ${base}/f: the geofeed has no entries`]);
    answers = [{ status: 200, body: FEED }];
    const none = await read({ url: `${base}/f`, match: { country: ['FR'] } });
    assert.deepEqual(prefixes(none), []);
    assert.match(none.notes[0] ?? '', /none of 4 entries match/);
  });

  it('an invalid line fails the read, naming url and line', async () => {
    answers = [{ status: 200, body: `${FEED}localhost,US,US-CA,,\n` }];
    await assert.rejects(read({ url: `${base}/geofeed.csv?token=abc123secret` }), (e) => {
      assert.ok(isGatehouseError(e));
      assert.equal(e.code, 'SOURCE_INVALID_DATA');
      assert.match(e.message, new RegExp(`^source geo: ${base}/geofeed\\.csv:6: invalid address "localhost"`));
      assert.doesNotMatch(e.message, /abc123secret/);
      return true;
    });
  });

  it('needs exactly one of url and file, and http(s) URLs', () => {
    const parse = (c: Record<string, unknown>) => geofeedSource.schema.safeParse({ type: 'geofeed', ...c });
    assert.match(parse({}).error?.issues[0]?.message ?? '', /exactly one of url and file/);
    assert.match(parse({ url: `${base}/f`, file: 'x' }).error?.issues[0]?.message ?? '', /exactly one of url and file/);
    assert.equal(parse({ url: 'ftp://example.test/f' }).success, false);
    assert.equal(parse({ file: 'x', match: { country: ['USA'] } }).success, false);
    assert.equal(parse({ file: 'x', match: { planet: ['earth'] } }).success, false);
  });
});
