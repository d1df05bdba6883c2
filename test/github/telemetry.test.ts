import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createGithubTarget, githubSchema } from '../../src/targets/github/index.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';
import { startGithubFake, type GithubFake } from '../fakes/github/index.ts';
import { resetOrg } from './world.ts';

describe('github target telemetry', () => {
  let fake: GithubFake;
  before(async () => {
    fake = await startGithubFake({ org: 'acme', rateLimit: 5_000 });
  });
  after(() => fake.close());

  it('reports the rate-limit quota GitHub says is left, falling as requests are made', async () => {
    resetOrg(fake);
    const token = fake.issueToken(1);
    const seen: number[] = [];
    const target = createGithubTarget(
      'gh',
      githubSchema.parse({
        type: 'github',
        org: 'acme',
        apiUrl: fake.url,
        auth: { token },
        writeSpacingMs: 0,
        members: ['people/staff'],
      }),
      testDeps({ telemetry: { rateLimitRemaining: (plugin, n) => (assert.equal(plugin, 'gh'), seen.push(n)) } }),
    );
    await target.observe(AbortSignal.timeout(30_000));
    assert.ok(seen.length > 0, 'reported');
    assert.ok(seen.every((n) => n >= 0 && n <= 5_000));
    assert.ok((seen.at(-1) as number) < 5_000, `quota fell: ${seen.join(',')}`);
    fake.assertClean();
  });
});
