// node:test's describe/it return promises that the runner itself awaits.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isGatehouseError } from '../../src/core/errors.ts';
import { httpRequest } from '../../src/adapters/http.ts';
import { startStuckServer, type StuckServer } from '../fakes/silent-server.ts';

let silent: StuckServer;
let stalling: StuckServer;

before(async () => {
  silent = await startStuckServer('silent');
  stalling = await startStuckServer('stall-body');
});
after(async () => {
  await silent.close();
  await stalling.close();
});

async function timeoutOf(p: Promise<unknown>) {
  const e = await p.then(
    () => assert.fail('expected a rejection'),
    (err: unknown) => err,
  );
  assert.ok(isGatehouseError(e), `expected GatehouseError, got ${String(e)}`);
  return e;
}

describe('httpRequest against a stuck server', () => {
  for (const [label, server] of [
    ['accepts and never answers', () => silent],
    ['sends headers, then stalls the body', () => stalling],
  ] as const) {
    it(`${label}: TIMEOUT within the request deadline, naming the host but not the query`, async () => {
      const t0 = performance.now();
      const e = await timeoutOf(
        httpRequest({
          url: `${server().url}/feed.csv?token=s3cr3t-query-token`,
          headers: { authorization: 'Bearer s3cr3t-header' },
          timeoutMs: 10_000,
          deadlineMs: 500,
          baseDelayMs: 5,
        }),
      );
      const took = performance.now() - t0;
      assert.equal(e.code, 'TIMEOUT');
      assert.ok(took >= 450 && took < 3000, `took ${took} ms`);
      assert.match(e.message, new RegExp(`GET http://127\\.0\\.0\\.1:${server().port}/feed\\.csv: timed out`));
      assert.doesNotMatch(JSON.stringify({ m: e.message, d: e.details, s: e.stack }), /s3cr3t/);
    });
  }

  it('a per-attempt timeout on the last attempt is TIMEOUT too', async () => {
    const e = await timeoutOf(
      httpRequest({ url: `${silent.url}/x`, timeoutMs: 150, maxAttempts: 2, baseDelayMs: 5, deadlineMs: 5000 }),
    );
    assert.equal(e.code, 'TIMEOUT');
    assert.match(e.message, /timed out after 150 ms after 2 attempts/);
  });
});
