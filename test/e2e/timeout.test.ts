// node:test's describe/it return promises that the runner itself awaits.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startStuckServer, type StuckServer } from '../fakes/silent-server.ts';
import { gatehouse } from './cli.ts';

/*
 * Through the real CLI: a geofeed and a GitHub API that accept connections and never answer must not hang `plan`
 * (issue: a silent GitHub held the state lock for over ten minutes). The command ends within about
 * run.requestTimeout with a message naming the host, releases the state lock, and the next command runs. A run past
 * run.timeout ends with TIMEOUT.
 */

const TOKEN = 'ghp_TOPSECRET0123456789abcdef';
let silent: StuckServer;
let dir: string;

before(async () => {
  silent = await startStuckServer('silent');
  dir = await mkdtemp(join(tmpdir(), 'gh-timeout-'));
});
after(async () => {
  await silent.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function config(name: string, run: Record<string, string>): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    JSON.stringify({
      state: { dir: `state-${name}` },
      run,
      sources: {
        feed: { type: 'geofeed', url: `${silent.url}/feed.csv?key=${TOKEN}` },
        people: { type: 'static', people: [{ id: 'alice', github: 1001 }], groups: { staff: ['alice'] } },
      },
      targets: {
        allow: {
          type: 'nftables',
          kernel: false,
          includeFile: `out-${name}/allow.nft`,
          table: { family: 'inet', name: 'filter' },
          sets: [{ name: 'clients', ipv4: 'clients_v4', ipv6: 'clients_v6', from: ['feed'] }],
        },
        gh: {
          type: 'github',
          org: 'acme',
          apiUrl: silent.url,
          auth: { token: TOKEN },
          members: ['people/staff'],
        },
      },
    }),
  );
  return file;
}

describe('gatehouse CLI against servers that never answer', () => {
  it('plan ends within about run.requestTimeout, says which host timed out, and releases the state lock', async () => {
    const file = await config('request', { requestTimeout: '500ms' });
    // The first command creates the embedded store (seconds, on a busy machine); time only the plan.
    assert.equal((await gatehouse(['-c', file, 'audit'], { timeoutMs: 60_000 })).code, 0);
    const t0 = performance.now();
    const r = await gatehouse(['-c', file, 'plan'], { timeoutMs: 60_000 });
    const took = performance.now() - t0;
    assert.ok(took < 15_000, `took ${took} ms: ${r.stdout}${r.stderr}`);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const out = r.stdout + r.stderr;
    assert.match(out, new RegExp(`GET http://127\\.0\\.0\\.1:${silent.port}/feed\\.csv: timed out after 500 ms`));
    assert.match(out, new RegExp(`GitHub 127\\.0\\.0\\.1:${silent.port}: GET /\\S+: no complete answer within 500 ms`));
    assert.match(out, /TIMEOUT/);
    assert.doesNotMatch(out, /TOPSECRET/);

    const next = await gatehouse(['-c', file, 'audit'], { timeoutMs: 60_000 });
    assert.equal(next.code, 0, `the state lock was released: ${next.stderr}`);
  });

  it('a run past run.timeout stops and ends with TIMEOUT', async () => {
    const file = await config('run', { timeout: '1s', requestTimeout: '1m' });
    assert.equal((await gatehouse(['-c', file, 'audit'], { timeoutMs: 60_000 })).code, 0);
    const t0 = performance.now();
    const r = await gatehouse(['-c', file, 'plan'], { timeoutMs: 30_000 });
    const took = performance.now() - t0;
    assert.ok(took < 15_000, `took ${took} ms`);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /run\.timeout of 1s passed.*\[TIMEOUT\]/);

    const next = await gatehouse(['-c', file, 'audit'], { timeoutMs: 60_000 });
    assert.equal(next.code, 0, `the state lock was released: ${next.stderr}`);
  });
});
