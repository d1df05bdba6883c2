// node:test's describe/it return promises that the runner itself awaits.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isGatehouseError } from '../../src/core/errors.ts';
import { createGithubTarget, githubSchema } from '../../src/targets/github/index.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';
import { startStuckServer, type StuckServer } from '../fakes/silent-server.ts';

const TOKEN = 'ghp_TOPSECRETtoken0123456789';
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

function target(apiUrl: string) {
  const config = githubSchema.parse({
    type: 'github',
    org: 'acme',
    apiUrl,
    auth: { token: TOKEN },
    writeSpacingMs: 0,
    members: ['people/all'],
  });
  // Retries at full speed: what bounds the request must be run.requestTimeout, not luck with backoff.
  return createGithubTarget('gh', config, testDeps({ requestTimeoutMs: 500 }), { retryUnitMs: 1 });
}

describe('github target against a stuck API', () => {
  for (const [label, server] of [
    ['accepts and never answers', () => silent],
    ['sends headers, then stalls the body', () => stalling],
  ] as const) {
    it(`${label}: observe fails with TIMEOUT within about run.requestTimeout`, async () => {
      const t0 = performance.now();
      const e = await target(server().url)
        .observe(AbortSignal.timeout(60_000))
        .then(
          () => assert.fail('expected observe to fail'),
          (err: unknown) => err,
        );
      const took = performance.now() - t0;
      assert.ok(isGatehouseError(e), `expected GatehouseError, got ${String(e)}`);
      assert.equal(e.code, 'TIMEOUT', e.message);
      assert.ok(took < 10_000, `took ${took} ms`);
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${server().port}`));
      assert.doesNotMatch(JSON.stringify({ m: e.message, d: e.details, s: e.stack }), /TOPSECRET/);
    });
  }
});
