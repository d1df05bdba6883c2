// node:test's describe/it return promises that the runner itself awaits.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { geofeedSource } from '../../src/sources/geofeed/index.ts';
import { gzipSync } from 'node:zlib';
import { COMPRESS_FROM, decodeBody, storedKey } from '../../src/store/http-cache.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';
import { useBackends } from './backends.ts';

/** The store of the backend under test. */
let store: Store;

/** What the `http_cache` table holds for `key`: its own row's body, and the rows of its parts in order. */
async function storedRows(key: string): Promise<{ head: string; parts: string[] }> {
  const { rows } = await store.db.query<{ key: string; body: string }>(
    `SELECT key, body FROM http_cache WHERE key = $1 OR key LIKE $1 || '#%'`,
    [storedKey(key)],
  );
  const head = rows.find((r) => r.key === storedKey(key));
  assert.ok(head, `a row for ${key}`);
  const index = (k: string) => Number(k.slice(k.lastIndexOf('#') + 1));
  const parts = rows.filter((r) => r !== head).sort((a, b) => index(a.key) - index(b.key));
  return { head: head.body, parts: parts.map((r) => r.body) };
}

/** The body as stored, its parts joined. */
async function storedBody(key: string): Promise<string> {
  const { head, parts } = await storedRows(key);
  return parts.length === 0 ? head : parts.join('');
}

/** A geofeed of `n` lines, with characters outside ASCII in it. */
const feed = (n: number) =>
  Array.from({ length: n }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.0/24,CH,CH-ZH,Zürich ${i % 97},`).join('\n');

describe('bodies in the HTTP cache', () => {
  for (const backend of useBackends()) {
    describe(backend.name, () => {
      before(async () => {
        store = await openStore(await backend.fresh());
      });
      after(() => store.close());

      it('stores a large text body compressed, and gives back exactly that text', async () => {
        const body = feed(20_000);
        assert.ok(body.length > COMPRESS_FROM);
        await store.cache.set('big-text', { etag: '"a"', body });
        const stored = await storedBody('big-text');
        assert.match(stored, /^gzip-text:/);
        assert.ok(stored.length < body.length / 4, `stored ${stored.length} characters for a body of ${body.length}`);
        assert.deepEqual(await store.cache.get('big-text'), { etag: '"a"', body });
      });

      it('stores a large JSON body compressed, and gives back an equal value', async () => {
        const body = { pages: Array.from({ length: 5000 }, (_, i) => ({ id: i, login: `user-${i}`, note: 'ä' })) };
        await store.cache.set('big-json', { lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT', body });
        const stored = await storedBody('big-json');
        assert.ok(stored.length < JSON.stringify(body).length / 4);
        assert.deepEqual(await store.cache.get('big-json'), { lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT', body });
      });

      it('writes a stored body over 64 Ki characters as parts in rows of their own, and the next write replaces them', async () => {
        const first = feed(60_000) + '\n# first';
        await store.cache.set('parts', { etag: '"1"', body: first });
        const one = await storedRows('parts');
        assert.match(one.head, /^parts:\d+:[0-9a-f]+$/);
        assert.ok(one.parts.length >= 2, `${one.parts.length} parts`);
        assert.ok(one.parts.every((p) => p.length <= 64 << 10));
        assert.match(one.parts.join(''), /^gzip-text:/);
        assert.deepEqual(await store.cache.get('parts'), { etag: '"1"', body: first });

        const second = feed(40_000) + '\n# second';
        await store.cache.set('parts', { etag: '"2"', body: second });
        const two = await storedRows('parts');
        assert.notEqual(two.head, one.head, 'a new generation');
        assert.deepEqual(await store.cache.get('parts'), { etag: '"2"', body: second });

        await store.cache.set('parts', { etag: '"3"', body: 'small' });
        assert.deepEqual(
          await storedRows('parts'),
          { head: '"small"', parts: [] },
          'no part of an earlier write is left',
        );
        assert.deepEqual(await store.cache.get('parts'), { etag: '"3"', body: 'small' });
      });

      it('reads an entry with a part missing as no entry, never as another body', async () => {
        await store.cache.set('torn', { etag: '"t"', body: feed(60_000) });
        const { rows } = await store.db.query<{ key: string }>(`SELECT key FROM http_cache WHERE key LIKE $1 || '#%'`, [
          storedKey('torn'),
        ]);
        assert.ok(rows.length >= 2);
        await store.db.query('DELETE FROM http_cache WHERE key = $1', [(rows[1] as { key: string }).key]);
        assert.equal(await store.cache.get('torn'), undefined);
      });

      it('decodes a compressed body by the size its gzip trailer states, and refuses one whose trailer is damaged', () => {
        const body = feed(20_000);
        const gz = gzipSync(body);
        const size = Buffer.byteLength(body);
        for (const stated of [0, 10, size, 0xffffffff]) {
          gz.writeUInt32LE(stated, gz.length - 4);
          // Sizes the output buffer (4 GiB - 1 is not allocated: bounded); gunzip checks it against what it inflated.
          const stored = `gzip-text:${gz.toString('base64')}`;
          if (stated === size) assert.equal(decodeBody(stored), body);
          else assert.throws(() => decodeBody(stored), /incorrect length check/);
        }
      });

      it('stores small bodies as plain JSON, as older versions read them', async () => {
        await store.cache.set('small', { etag: '"s"', body: { at: '2024-01-01', message: 'gone' } });
        assert.equal(await storedBody('small'), '{"at":"2024-01-01","message":"gone"}');
        await store.cache.set('small-text', { body: 'a,b\n' });
        assert.equal(await storedBody('small-text'), '"a,b\\n"');
        assert.deepEqual(await store.cache.get('small-text'), { body: 'a,b\n' });
      });

      it('reads plain JSON rows written by an older version, large ones included', async () => {
        const body = feed(20_000);
        await store.db.query(`INSERT INTO http_cache (key, etag, body) VALUES ($1, '"old"', $2)`, [
          storedKey('old-large'),
          JSON.stringify(body),
        ]);
        assert.deepEqual(await store.cache.get('old-large'), { etag: '"old"', body });
      });

      it('serves a geofeed answered 304 from its compressed body, with the same facts as the download', async () => {
        const text = feed(20_000);
        const statuses: number[] = [];
        const server = createServer((req, res) => {
          const status = req.headers['if-none-match'] === '"f1"' ? 304 : 200;
          statuses.push(status);
          if (status === 304) res.writeHead(304, { etag: '"f1"' }).end();
          else res.writeHead(200, { 'content-type': 'text/csv', etag: '"f1"' }).end(text);
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        try {
          const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.csv`;
          const source = geofeedSource.create(
            'feed',
            geofeedSource.schema.parse({ type: 'geofeed', url }),
            testDeps({ cache: store.cache }),
          );
          const first = await source.read(AbortSignal.timeout(10_000));
          const second = await source.read(AbortSignal.timeout(10_000));
          assert.deepEqual(statuses, [200, 304]);
          assert.equal(first.complete, true);
          assert.deepEqual(second, first);
          assert.match(await storedBody(`geofeed:${url}`), /^gzip-text:/);
        } finally {
          server.closeAllConnections();
          await new Promise((resolve) => server.close(resolve));
        }
      });
    });
  }
});
