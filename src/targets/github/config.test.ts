import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { githubSchema, groupRefs, peopleSources, targetSources } from './config.ts';
import { githubTarget } from './index.ts';

const base = { type: 'github', org: 'acme', auth: { token: 't' } };

describe('github config', () => {
  it('applies cautious defaults', () => {
    const c = githubSchema.parse({ ...base, members: ['people/helpers'] });
    assert.equal(c.apiUrl, 'https://api.github.com');
    assert.equal(c.unmanagedMembers, 'report');
    assert.equal(c.writeSpacingMs, 1000);
    assert.deepEqual(c.guards, {
      maxOrgRemovalFraction: 0.25,
      maxTeamRemovalFraction: 0.25,
      minAdmins: 2,
      invitationBudget: 50,
    });
  });

  it('takes an App installation instead of a token', () => {
    const c = githubSchema.parse({
      ...base,
      auth: { app: { appId: 1, privateKey: 'k', installationId: 2 } },
      admins: ['p/g'],
    });
    assert.ok('app' in c.auth);
  });

  it('rejects what would be a mistake, with a message', () => {
    const issues = (v: unknown) =>
      githubSchema.safeParse(v).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.deepEqual(issues({ ...base }), ['members: map at least one group to admins, members or a team']);
    assert.deepEqual(issues({ ...base, members: ['helpers'] }), [
      'members.0: write a group as source/group, e.g. people/devops',
    ]);
    assert.deepEqual(issues({ ...base, members: ['p/g'], guards: { invitationBudget: 501 } }), [
      'guards.invitationBudget: Too big: expected number to be <=500',
    ]);
    assert.deepEqual(issues({ ...base, teams: { 'Not A Slug': { members: ['p/g'] } } }), [
      'teams.Not A Slug: a team slug: lowercase letters, digits, -, _ and .',
    ]);
    assert.ok(issues({ ...base, org: '-bad', members: ['p/g'] })?.[0]?.startsWith('org:'));
  });

  it('names every source it draws from, for load-time checks and the completeness guard', () => {
    const c = githubSchema.parse({
      ...base,
      admins: ['ldap/admins'],
      teams: { sre: { maintainers: ['discord/leads'], members: ['discord/sre'] } },
      people: ['links'],
    });
    assert.deepEqual(
      groupRefs(c).map((g) => [g.path.join('.'), g.ref.source]),
      [
        ['admins.0', 'ldap'],
        ['teams.sre.maintainers.0', 'discord'],
        ['teams.sre.members.0', 'discord'],
      ],
    );
    assert.deepEqual(peopleSources(c), ['links']);
    assert.deepEqual(targetSources(c), ['ldap', 'discord', 'links']);
    assert.deepEqual(
      githubTarget.sourceRefs(c).map((r) => r.source),
      ['ldap', 'discord', 'discord', 'links'],
    );
    assert.deepEqual(peopleSources({ ...c, people: undefined }), ['ldap', 'discord']);
  });
});
