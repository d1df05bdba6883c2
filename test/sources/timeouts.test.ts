// node:test's describe/it return promises that the runner itself awaits.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Source } from '../../src/core/contracts.ts';
import { isGatehouseError } from '../../src/core/errors.ts';
import { resolveSources } from '../../src/core/pipeline.ts';
import { MemoryStore } from '../../src/core/testing/memory-store.ts';
import { geofeedSource } from '../../src/sources/geofeed/index.ts';
import { linodeLkeSource } from '../../src/sources/linode-lke/index.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';
import { startStuckServer, type StuckServer } from '../fakes/silent-server.ts';

/*
 * Every HTTP source against a server that accepts and never answers, and one that sends headers and stalls the body:
 * with `run.requestTimeout` at 500 ms each read fails with TIMEOUT well within 10 s (the plugin's own per-attempt
 * timeout and retries notwithstanding), and the pipeline counts the read as incomplete, never as an empty list.
 */

const REQUEST_TIMEOUT_MS = 500;
const TOKEN = 'lin-TOPSECRET-0123456789';
const servers: Record<'silent' | 'stall-body', StuckServer | undefined> = {
  silent: undefined,
  'stall-body': undefined,
};

before(async () => {
  servers.silent = await startStuckServer('silent');
  servers['stall-body'] = await startStuckServer('stall-body', { contentType: 'text/csv' });
});
after(async () => {
  await servers.silent?.close();
  await servers['stall-body']?.close();
});

const deps = () => testDeps({ requestTimeoutMs: REQUEST_TIMEOUT_MS });

const sources: Record<string, (base: string) => Source> = {
  geofeed: (base) =>
    geofeedSource.create(
      'feed',
      geofeedSource.schema.parse({ type: 'geofeed', url: `${base}/feed.csv?token=${TOKEN}` }),
      deps(),
    ),
  'linode-lke': (base) =>
    linodeLkeSource.create(
      'lke',
      linodeLkeSource.schema.parse({ type: 'linode-lke', token: TOKEN, clusters: [1], apiUrl: `${base}/v4` }),
      deps(),
    ),
};

describe('HTTP sources against a stuck server', () => {
  for (const [type, make] of Object.entries(sources)) {
    for (const mode of ['silent', 'stall-body'] as const) {
      it(`${type}, ${mode}: TIMEOUT within about run.requestTimeout, naming the host, never the token`, async () => {
        const server = servers[mode] as StuckServer;
        const t0 = performance.now();
        const e = await make(server.url)
          .read(AbortSignal.timeout(30_000))
          .then(
            () => assert.fail('expected the read to fail'),
            (err: unknown) => err,
          );
        const took = performance.now() - t0;
        assert.ok(isGatehouseError(e), `expected GatehouseError, got ${String(e)}`);
        assert.equal(e.code, 'TIMEOUT');
        assert.ok(took < 10_000, `took ${took} ms`);
        assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${server.port}`));
        assert.doesNotMatch(JSON.stringify({ m: e.message, d: e.details, s: e.stack }), /TOPSECRET/);
      });
    }

    it(`${type}: a timed-out read is incomplete, never an empty set`, async () => {
      const store = new MemoryStore();
      const [resolved] = await resolveSources({
        sources: [make((servers.silent as StuckServer).url)],
        snapshots: store,
        signal: AbortSignal.timeout(30_000),
      });
      assert.equal(resolved?.status, 'missing');
      assert.deepEqual(resolved?.facts, {});
      assert.match(resolved?.notes.join('\n') ?? '', /read failed: .*no complete answer|timed out|deadline/);
    });
  }
});
