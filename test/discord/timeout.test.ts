// node:test's describe/it return promises that the runner itself awaits.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isGatehouseError } from '../../src/core/errors.ts';
import { discordSource } from '../../src/sources/discord/index.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';
import { startStuckServer, type StuckServer } from '../fakes/silent-server.ts';

/*
 * The Discord source's REST client against a server that accepts and never answers, and one that sends headers and
 * stalls the body (which @discordjs/rest's own timeout does not cover): with run.requestTimeout at 500 ms both fail
 * with TIMEOUT well within 10 s, though the source's own per-attempt timeout is 15 s with 3 retries.
 */

const TOKEN = 'discord-TOPSECRET-token';
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

function source(apiUrl: string) {
  const config = discordSource.schema.parse({
    type: 'discord',
    token: TOKEN,
    guildId: '900000000000000001',
    apiUrl,
    timeoutMs: 15_000,
    retries: 3,
  });
  return discordSource.create('discord', config, testDeps({ requestTimeoutMs: 500 }));
}

describe('discord source against a stuck API', () => {
  for (const [label, server] of [
    ['accepts and never answers', () => silent],
    ['sends headers, then stalls the body', () => stalling],
  ] as const) {
    it(`${label}: TIMEOUT within about run.requestTimeout, naming the host, never the token`, async () => {
      const t0 = performance.now();
      const e = await source(server().url)
        .read(AbortSignal.timeout(60_000))
        .then(
          () => assert.fail('expected the read to fail'),
          (err: unknown) => err,
        );
      const took = performance.now() - t0;
      assert.ok(isGatehouseError(e), `expected GatehouseError, got ${String(e)}`);
      assert.equal(e.code, 'TIMEOUT', e.message);
      assert.ok(took < 10_000, `took ${took} ms`);
      assert.match(e.message, new RegExp(`GET 127\\.0\\.0\\.1:${server().port}/guilds/900000000000000001`));
      assert.doesNotMatch(JSON.stringify({ m: e.message, d: e.details, s: e.stack }), /TOPSECRET/);
    });
  }
});
