import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCache } from '../../core/cache.ts';
import { applyGithubChange, type ApplyOptions } from './apply.ts';
import type { GithubClient } from './client.ts';
import type { ConditionalReader } from './conditional.ts';

/** Any request is a test failure: these changes must be refused before a byte is sent. */
const unreachable = new Proxy({}, { get: () => assert.fail('no request may be made') });
const options: ApplyOptions = {
  org: 'acme',
  octokit: unreachable as GithubClient,
  reader: unreachable as ConditionalReader,
  cache: new MemoryCache(),
  teams: new Set(['sre']),
  now: () => new Date(0),
};

describe('applyGithubChange', () => {
  const refused = async (change: Record<string, unknown>, message: RegExp) =>
    assert.rejects(
      applyGithubChange(
        options,
        { id: 'x', summary: 's', destructive: false, kind: 'github-invite', ...change },
        AbortSignal.timeout(1000),
      ),
      (e: { code?: string; message?: string }) => e.code === 'PLAN_INVALID' && message.test(e.message ?? ''),
    );

  it('re-checks a change from a (possibly edited) plan file before sending anything', async () => {
    await refused(
      { kind: 'github-invite', githubId: -1, person: 'p', role: 'member', teams: [] },
      /not a valid GitHub change/,
    );
    await refused({ kind: 'github-org-role', githubId: 5, to: 'owner' }, /not a valid GitHub change/);
    await refused({ kind: 'github-delete-org', githubId: 5 }, /not a valid GitHub change/);
    await refused(
      { kind: 'github-invite', githubId: 5, person: 'p', role: 'member', teams: [{ id: 1, slug: 'admins-only' }] },
      /team admins-only is not configured/,
    );
    await refused(
      { kind: 'github-team-set', githubId: 5, slug: 'secret-team', role: 'member' },
      /team secret-team is not configured/,
    );
  });
});
