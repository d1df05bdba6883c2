import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse } from '../e2e/cli.ts';
import { startGithubFake, type GithubFake } from '../fakes/github/index.ts';
import { resetOrg } from '../github/world.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const NEW = [21, 22, 23, 24, 25];

/** Blocks this process's event loop (and so the fake's answer) for `ms`: the write stays in flight meanwhile. */
function holdFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('gatehouse serve: SIGTERM during a slow apply', () => {
  let fake: GithubFake;
  let dir: string;
  before(async () => {
    fake = await startGithubFake();
    resetOrg(
      fake,
      NEW.map((id) => [`new${id}`, id] as const),
    );
    for (const id of NEW) fake.addMember(id);
    fake.addTeam('sre');
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-sigterm-'));
  });
  after(async () => {
    await fake?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finishes and audits the change in flight, skips the rest, and exits 0 within 10 s', async () => {
    const file = join(dir, 'gatehouse.yaml');
    const people = [
      ['owner', 1],
      ['carol', 13],
      ['bob', 12],
      ['erin', 15],
      ...NEW.map((id) => [`new${id}`, id] as const),
    ] as const;
    writeFileSync(
      file,
      JSON.stringify({
        state: { dir: 'state' },
        serve: { listen: '127.0.0.1:0', fullPass: '1h' },
        sources: {
          people: {
            type: 'static',
            people: people.map(([id, github]) => ({ id, github })),
            groups: {
              owners: ['owner', 'carol'],
              staff: ['bob', 'erin'],
              sre: NEW.map((id) => `new${id}`),
            },
          },
        },
        targets: {
          gh: {
            type: 'github',
            org: 'acme',
            apiUrl: fake.url,
            auth: { token: '${env:GITHUB_TOKEN}' },
            admins: ['people/owners'],
            members: ['people/staff'],
            teams: { sre: { members: ['people/sre'] } },
            writeSpacingMs: 1000,
          },
        },
      }),
    );
    const env = { GITHUB_TOKEN: fake.issueToken(1) };
    let signalledAt = 0;
    const started: { d?: ServeProcess } = {};
    const firstWrite = new Promise<void>((resolve) => {
      fake.onRequest = (entry) => {
        if (entry.method === 'GET' || signalledAt !== 0 || !started.d) return;
        // The first write is in flight: stop the daemon now, and answer the write only half a second later.
        signalledAt = Date.now();
        started.d.signal('SIGTERM');
        holdFor(500);
        resolve();
      };
    });
    const d = (started.d = await startServe(['-c', file], { env }));
    await firstWrite;
    const { code, at } = await d.exit;
    fake.onRequest = undefined;
    console.log(`SIGTERM → exit ${code} after ${at - signalledAt} ms`);
    assert.equal(code, 0, d.stderr());
    assert.ok(at - signalledAt < 10_000, `exit took ${at - signalledAt} ms`);

    const writes = fake.requests.filter((r) => r.method !== 'GET');
    assert.equal(writes.length, 1, JSON.stringify(writes));
    const team = [...(fake.state.org.teams.get('sre')?.members.keys() ?? [])];
    assert.equal(team.length, 1, 'the change in flight completed');

    const audit = await gatehouse(['-c', file, '-o', 'json', 'audit'], { env });
    assert.equal(audit.code, 0, audit.stderr);
    const records = (JSON.parse(audit.stdout) as { target: string; changeId?: string; status: string }[]).filter(
      (r) => r.target === 'gh' && r.changeId !== undefined,
    );
    const byChange = new Map<string, string[]>();
    for (const r of records) byChange.set(r.changeId ?? '', [...(byChange.get(r.changeId ?? '') ?? []), r.status]);
    const statuses = [...byChange.values()].map((s) => s.join(','));
    console.log(`audit: ${[...byChange].map(([id, s]) => `${id} ${s.join(',')}`).join('; ')}`);
    assert.equal(byChange.size, NEW.length, 'every change audited');
    assert.deepEqual(
      statuses.filter((s) => s !== 'skipped'),
      ['started,applied'],
    );
    assert.equal(statuses.filter((s) => s === 'skipped').length, NEW.length - 1);
    assert.ok(d.logs().some((l) => l.msg === 'stopped'));
  });
});
