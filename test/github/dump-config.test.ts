import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import type { DesiredContext } from '../../src/core/contracts.ts';
import { staticSource } from '../../src/sources/static/index.ts';
import { githubSchema } from '../../src/targets/github/config.ts';
import { desiredState } from '../../src/targets/github/desired.ts';
import { diffGithub } from '../../src/targets/github/diff.ts';
import { dumpConfig } from '../../src/targets/github/dump.ts';
import { deps, observed } from '../../src/targets/github/test-fixtures.ts';
import type { GithubObserved } from '../../src/targets/github/types.ts';

const org: GithubObserved = {
  ...observed(
    [
      [1, 'admin'],
      [12, 'member'],
      [13, 'admin'],
      [15, 'member'],
    ],
    {
      teamMembers: {
        sre: [
          [13, 'maintainer'],
          [12, 'member'],
        ],
        web: [],
        sso: [[15, 'member']],
      },
    },
  ),
  invitations: [
    { id: 70, login: 'u11', inviteeId: 11, role: 'direct_member', createdAt: 'x', inviterId: 1, teamCount: 1 },
    { id: 71, login: null, inviteeId: null, role: 'direct_member', createdAt: 'x', inviterId: 1, teamCount: 0 },
  ],
};
const withSso = { ...org, teams: org.teams.map((t) => (t.slug === 'sso' ? { ...t, unmanageable: 'IdP-synced' } : t)) };

describe('dumpConfig', () => {
  it('round-trips: the dumped config, read back, wants exactly what the org has', async () => {
    const text = dumpConfig(withSso, { invitationTeams: new Map([[70, ['sre']]]) });
    const doc = parse(text) as { sources: Record<string, unknown>; targets: Record<string, Record<string, unknown>> };
    const source = staticSource.create(
      'github-people',
      staticSource.schema.parse(doc.sources['github-people']),
      deps(),
    );
    const read = await source.read(AbortSignal.timeout(1000));
    const ctx: DesiredContext = {
      sources: new Map([
        ['github-people', { name: 'github-people', type: 'static', status: 'live', facts: read.facts, notes: [] }],
      ]),
    };
    const cfg = githubSchema.parse({ ...doc.targets.github, auth: { token: 't' } });
    assert.deepEqual(Object.keys(cfg.teams), ['sre']);
    assert.deepEqual(diffGithub(desiredState(cfg, ctx), withSso), []);
    assert.match(text, /Teams left out: web \(no members\); sso \(IdP-synced\)/);
  });

  it('writes apiUrl only when it is not the public API, and names source and target as asked', () => {
    const text = dumpConfig(org, { apiUrl: 'https://ghe.example/api/v3', source: 'gh', target: 'org' });
    const doc = parse(text) as { sources: Record<string, unknown>; targets: Record<string, Record<string, unknown>> };
    assert.deepEqual(Object.keys(doc.sources), ['gh']);
    assert.equal(doc.targets.org?.apiUrl, 'https://ghe.example/api/v3');
    assert.equal(
      (parse(dumpConfig(org, { apiUrl: 'https://api.github.com' })) as typeof doc).targets.github?.apiUrl,
      undefined,
    );
  });
});
