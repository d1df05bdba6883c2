import { pluginBlock } from '../../src/config/schema.ts';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { githubCommand } from '../../src/cli/commands/github.ts';
import { loadConfig } from '../../src/core/config/load.ts';
import { buildPlan } from '../../src/core/pipeline.ts';
import { MemoryStore } from '../../src/core/testing/memory-store.ts';
import { buildConfigSchema } from '../../src/config/schema.ts';
import { staticSource } from '../../src/sources/static/index.ts';
import { githubTarget } from '../../src/targets/github/index.ts';
import { startGithubFake, type GithubFake } from '../fakes/github/index.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';

let fake: GithubFake;
let dir: string;
const TOKEN_ENV = 'GATEHOUSE_TEST_DUMP_TOKEN';

before(async () => {
  fake = await startGithubFake({ org: 'acme' });
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-dump-'));
  for (const [login, id] of [
    ['Owner', 1],
    ['alice', 11],
    ['bob', 12],
    ['carol', 13],
    ['erin', 15],
  ] as const) {
    fake.addUser(login, id);
  }
  fake.addMember(1, 'admin');
  fake.addMember(13, 'admin');
  fake.addMember(12);
  fake.addMember(15);
  fake.addTeam('sre', { id: 501 });
  fake.addTeam('web', { id: 502 });
  fake.addTeam('ent', { id: 503, type: 'enterprise' });
  fake.addTeamMember('sre', 13, 'maintainer');
  fake.addTeamMember('sre', 12);
  fake.addInvitation({ inviteeId: 11, inviterId: 1, teamIds: [501] });
  process.env[TOKEN_ENV] = fake.issueToken(1);
});
after(async () => {
  delete process.env[TOKEN_ENV];
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

describe('gatehouse github dump', () => {
  it('writes the org as config that, adopted unchanged, plans no change', async () => {
    const out = join(dir, 'adopt.yaml');
    await githubCommand().parseAsync(
      ['dump', '--org', 'acme', '--api-url', fake.url, '--token-env', TOKEN_ENV, '--out', out],
      { from: 'user' },
    );
    assert.equal(fake.counts.nonGet, 0, 'dump only reads');
    fake.assertClean();
    const text = await readFile(out, 'utf8');
    assert.match(text, /github: 12 # bob\n/);
    assert.match(text, /github: 11 # alice \(invitation pending\)\n/);
    assert.match(text, /acme-admins:\n\s+- carol\n\s+- owner\n/);
    assert.match(text, /team-sre-members:\n\s+- alice\n\s+- bob\n/, 'the invitee joins the teams of their invitation');
    assert.match(text, /Teams left out: ent \(an enterprise team: .*\); web \(no members\)/);
    assert.match(text, /token: \$\{env:GITHUB_TOKEN\}/);
    assert.ok(!text.includes(process.env[TOKEN_ENV] ?? '?'), 'no token in the output');

    const schema = buildConfigSchema([staticSource], [githubTarget]);
    const cfg = await loadConfig(out, schema, { env: { GITHUB_TOKEN: process.env[TOKEN_ENV] } });
    const value = cfg.value as { sources: Record<string, unknown>; targets: Record<string, unknown> };
    const deps = testDeps({ baseDir: dir });
    const source = staticSource.create(
      'github-people',
      staticSource.schema.parse(value.sources['github-people']),
      deps,
    );
    const target = githubTarget.create(
      'github',
      githubTarget.schema.parse(pluginBlock(value.targets.github as Record<string, unknown>)),
      deps,
    );
    const { plan } = await buildPlan({
      configDigest: cfg.digest,
      sources: [source],
      targets: [target],
      snapshots: new MemoryStore(),
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(plan.targets[0]?.error, undefined);
    assert.deepEqual(plan.targets[0]?.changes, []);
    fake.assertClean();
  });
});
