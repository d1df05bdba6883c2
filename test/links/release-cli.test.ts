import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { Engine } from '../../src/engine.ts';
import { gatehouse } from '../e2e/cli.ts';
import { startGithubFake, type GithubFake } from '../fakes/github/index.ts';
import { releaseConfig } from './release-config.ts';

const PEOPLE = [11, 12, 13, 14, 15, 16, 17, 18];

/** `gatehouse release`: a plan a guard blocked (queued as serve queues it) is listed, shown and released from the CLI. */
describe('gatehouse release (CLI)', () => {
  let fake: GithubFake;
  let dir: string;
  let config: string;
  let env: NodeJS.ProcessEnv;
  let id = '';
  const members = () => [...fake.state.org.members.keys()].sort((a, b) => a - b);
  const cli = (...args: string[]) => gatehouse(['--config', config, ...args], { env });

  before(async () => {
    fake = await startGithubFake({ org: 'acme', rateLimit: 1_000_000 });
    fake.addUser('owner', 1);
    fake.addMember(1, 'admin');
    for (const p of PEOPLE) {
      fake.addUser(`u${p}`, p);
      fake.addMember(p);
    }
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-release-cli-'));
    config = join(dir, 'gatehouse.yaml');
    env = { GH_TOKEN: fake.issueToken(1) };
    await writeFile(config, releaseConfig({ githubUrl: fake.url, people: PEOPLE, devs: [11, 12] }));
    // What a serve pass does when a guard blocks: plan, apply what may go through, queue the rest.
    const engine = await Engine.open({ configFile: config, logger: pino({ level: 'silent' }), env });
    try {
      const outcome = await engine.reconcile({
        mode: 'apply',
        actor: 'serve:test',
        signal: AbortSignal.timeout(30_000),
      });
      id = (await engine.queueBlocked(outcome.plan))[0]?.release.id ?? '';
    } finally {
      await engine.close();
    }
    assert.ok(id);
  });
  after(async () => {
    await fake?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists and shows the pending release: the guard verdict and each held-back change', async () => {
    const list = await cli('release', 'list', '--status', 'pending', '--output', 'json');
    assert.equal(list.code, 0, list.stderr);
    const rows = JSON.parse(list.stdout) as { id: string; target: string; blocked: string[]; verdicts: string[] }[];
    assert.deepEqual(
      rows.map((r) => [r.id, r.target, r.blocked.length]),
      [[id, 'gh', 6]],
    );
    assert.match(rows[0]?.verdicts[0] ?? '', /^org-removal-fraction: org acme would lose 6 of 9 /);
    const show = await cli('release', 'show', id);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^status {4}pending$/m);
    assert.equal((show.stdout.match(/^ {2}remove .*from org acme/gm) ?? []).length, 6, show.stdout);
    assert.deepEqual(members(), [1, ...PEOPLE], 'nothing removed yet');
  });

  it('refuses someone who is not an approver; an approver releases it once, and it is applied', async () => {
    const bob = await cli('release', 'approve', id, '--as', 'bob');
    assert.equal(bob.code, 1);
    assert.match(bob.stderr, /bob is not an approver/);
    assert.deepEqual(members(), [1, ...PEOPLE]);

    const carol = await cli('release', 'approve', id, '--as', 'carol');
    assert.equal(carol.code, 0, carol.stderr);
    assert.match(carol.stdout, /^released: plan \S+ of gh, 6 held-back change\(s\) applied$/m);
    assert.deepEqual(members(), [1, 11, 12]);

    const again = await cli('release', 'approve', id, '--as', 'carol');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is released/);
    const audit = await cli('audit', '--output', 'json');
    assert.match(audit.stdout, /released by carol/);
  });
});
