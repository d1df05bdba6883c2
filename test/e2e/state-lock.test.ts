import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, startGatehouse, type RunningCli } from './cli.ts';

/** Polls `check` every 20 ms for up to 30 s. */
async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Two CLI processes on one state directory, as a timer and an operator would start them. The first one's geofeed is
 * served from loopback by this test, which can hold the answer back to keep the first process holding the state dir
 * for as long as a case needs.
 */
describe('two gatehouse processes on one state dir', () => {
  let dir: string;
  let config: string;
  let server: Server;
  let feed = '';
  const held: ServerResponse[] = [];
  let holding = false;
  let requests = 0;
  const releaseFeed = () => {
    holding = false;
    for (const res of held.splice(0)) res.end(feed);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-lock-'));
    await cp(new URL('../../examples/quickstart', import.meta.url), dir, {
      recursive: true,
      filter: (src) => !/\/(\.gatehouse|out)(\/|$)/.test(src),
    });
    feed = await readFile(join(dir, 'geofeed.csv'), 'utf8');
    server = createServer((_req, res) => {
      requests++;
      if (holding) held.push(res);
      else res.end(feed);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const sources = await readFile(join(dir, 'conf.d', 'sources.yaml'), 'utf8');
    await writeFile(
      join(dir, 'conf.d', 'sources.yaml'),
      sources.replace('file: geofeed.csv', `url: http://127.0.0.1:${port}/geofeed.csv`),
    );
    config = join(dir, 'gatehouse.yaml');
  });
  after(async () => {
    releaseFeed();
    server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the second is refused naming the first one’s pid; the first completes and audits every result', async () => {
    // The first run creates the store: its busiest moment, when it is slowest to answer the lock socket.
    const first = startGatehouse(['-c', config, 'apply', '--auto-approve']);
    await until('the first process to take the lock', () => existsSync(join(dir, '.gatehouse', 'pglite.lock')));
    const second = await gatehouse(['-c', config, 'audit', '--verify']);
    const done = await first.result;
    assert.equal(done.code, 0, done.stdout + done.stderr);
    assert.equal(second.code, 1, second.stdout + second.stderr);
    assert.match(second.stderr, new RegExp(`in use by another gatehouse process \\(pid ${first.pid}\\)`));
    assert.match(second.stderr, /--wait/);
    assert.match(second.stderr, /\[STORE_LOCKED\]$/m);
    const audit = await gatehouse(['-c', config, 'audit', '--output', 'json']);
    assert.equal(audit.code, 0, audit.stderr);
    const records = JSON.parse(audit.stdout) as { seq: number; changeId?: string; status: string }[];
    const started = records.filter((r) => r.status === 'started');
    assert.ok(started.length > 0, audit.stdout);
    for (const s of started)
      assert.ok(
        records.some((r) => r.seq > s.seq && r.changeId === s.changeId && r.status !== 'started'),
        `started record ${s.seq} has no result`,
      );
  });

  it('--wait=10s and bare --wait proceed once the holder releases; --wait=1s against a holder that keeps it is STORE_LOCKED', async () => {
    holding = true;
    const seen = requests;
    const first = startGatehouse(['-c', config, 'apply', '--auto-approve']);
    let queued: RunningCli | undefined;
    let unlimited: RunningCli | undefined;
    try {
      await until('the first process to read its geofeed (it holds the lock)', () => requests > seen);

      const impatient = await gatehouse(['-c', config, '--wait=1s', 'audit', '--verify']);
      assert.equal(impatient.code, 1, impatient.stdout + impatient.stderr);
      assert.equal(impatient.stderr.match(/waiting up to 1s/g)?.length, 1, impatient.stderr);
      assert.match(impatient.stderr, new RegExp(`pid ${first.pid}\\)? and did not release it within 1s`));
      assert.match(impatient.stderr, /\[STORE_LOCKED\]$/m);

      queued = startGatehouse(['-c', config, 'audit', '--verify', '--wait=10s']);
      // Bare, before the command: waits without limit, and does not take `audit` for its value.
      unlimited = startGatehouse(['-c', config, '--wait', 'audit', '--verify']);
      const [q, u] = [queued, unlimited];
      await until('the queued processes to say they wait', () =>
        [q, u].every((p) => p.stderr().includes(`in use by pid ${first.pid}`)),
      );
      assert.match(u.stderr(), /waiting until it is released/);
      releaseFeed();
      const done = await first.result;
      assert.equal(done.code, 0, done.stdout + done.stderr);
      for (const p of [q, u]) {
        const after = await p.result;
        assert.equal(after.code, 0, after.stdout + after.stderr);
        assert.match(after.stdout, /audit log intact/);
      }
    } finally {
      releaseFeed();
      await first.result;
      await queued?.result;
      await unlimited?.result;
    }
  });
});
