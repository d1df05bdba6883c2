import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { startGithubFake, type GithubFake } from '../fakes/github/index.ts';
import { blocked, ids, rejections, reports, resetOrg, statuses, World } from './world.ts';

let fake: GithubFake;
let token: string;

before(async () => {
  fake = await startGithubFake({ org: 'acme', rateLimit: 1_000_000 });
});
after(() => fake.close());
afterEach(() => {
  assert.equal(fake.pendingFaults(), 0, 'every injected fault was served');
  fake.assertClean();
});

/**
 * The org: owner (1, the token's account) and carol (13) own it; bob (12), erin (15) and a stranger (99) are members.
 * Team sre: carol maintainer, bob and erin members; team web: empty.
 */
beforeEach(() => {
  resetOrg(fake, [['stranger', 99]]);
  fake.addMember(99);
  fake.addTeam('sre', { id: 501 });
  fake.addTeam('web', { id: 502 });
  fake.addTeamMember('sre', 13, 'maintainer');
  fake.addTeamMember('sre', 12);
  fake.addTeamMember('sre', 15);
  token = fake.issueToken(1);
});

function world(config: Record<string, unknown> = {}): World {
  const w = new World(fake, token, {
    admins: ['people/admins'],
    members: ['people/helpers'],
    teams: { sre: { maintainers: ['people/sre-leads'], members: ['people/sre'] }, web: { members: ['people/web'] } },
    ...config,
  });
  w.people = { owner: 1, alice: 11, bob: 12, carol: 13, dave: undefined, erin: 15 };
  w.groups = {
    admins: ['owner', 'carol'],
    helpers: ['alice', 'bob', 'dave'],
    'sre-leads': ['alice'],
    sre: ['bob'],
    web: ['bob'],
  };
  return w;
}

describe('github target through buildPlan / applyPlan', () => {
  it('plans without a single write, applies, and converges; an unchanged org then costs no primary quota', async () => {
    const w = world();
    const before = fake.snapshot();
    const p = await w.plan();
    assert.equal(p.gh.error, undefined);
    assert.equal(fake.counts.nonGet - before.nonGet, 0, 'a plan performs no write');
    assert.deepEqual(ids(p.gh), ['invite:11', 'team:web:set:12', 'team:sre:remove:13', 'org-remove:15']);
    assert.deepEqual(blocked(p.gh), []);
    assert.deepEqual(reports(p.gh), [
      'group people/helpers: 1 member(s) have no github account; nothing is granted to them: dave',
      '1 org member(s) that no person claims are left alone (unmanagedMembers: report): stranger (github 99) member',
    ]);

    const results = await w.apply(p);
    assert.deepEqual(statuses(results), [
      'invite:11 applied',
      'team:web:set:12 applied',
      'team:sre:remove:13 applied',
      'org-remove:15 applied',
    ]);
    const [invitation] = [...fake.state.org.invitations.values()];
    assert.deepEqual(
      { invitee: invitation?.inviteeId, role: invitation?.role, teams: invitation?.teamIds },
      { invitee: 11, role: 'direct_member', teams: [501] },
    );
    assert.equal(fake.state.org.members.has(15), false);
    assert.equal(fake.state.org.members.has(99), true, 'an unmanaged member is only reported');
    assert.deepEqual(
      // Each change is audited as started before it is attempted, then with its result.
      w.store.records.map((r) => `${r.changeId} ${r.status}`),
      statuses(results).flatMap((s) => [s.replace(/ \S+$/, ' started'), s]),
    );

    // While the invitation is pending nothing more happens; once accepted, alice becomes maintainer of sre.
    assert.deepEqual(ids((await w.plan()).gh), []);
    fake.acceptInvitation(invitation?.id ?? 0);
    const next = await w.plan();
    assert.deepEqual(ids(next.gh), ['team:sre:set:11']);
    assert.deepEqual(statuses(await w.apply(next)), ['team:sre:set:11 applied']);
    assert.equal(fake.state.org.teams.get('sre')?.members.get(11), 'maintainer');

    const converged = await w.plan();
    assert.deepEqual(ids(converged.gh), [], 'apply, then plan shows no changes');

    fake.resetCounts();
    const unchanged = await w.plan();
    assert.deepEqual(ids(unchanged.gh), []);
    assert.equal(fake.counts.primary, 0, 'an unchanged org costs no primary quota');
    assert.equal(fake.counts.notModified, fake.counts.requests);
    assert.equal(fake.counts.nonGet, 0);
  });

  it('changes an org role with one PUT on the membership, never remove + re-add', async () => {
    const w = world();
    w.groups.admins = ['owner', 'carol', 'bob'];
    await w.converge();
    assert.equal(fake.state.org.members.get(12), 'admin');
    const writes = fake.requests.filter((r) => r.method !== 'GET' && r.path === '/orgs/acme/memberships/bob');
    assert.deepEqual(
      writes.map((r) => `${r.method} ${r.path}`),
      ['PUT /orgs/acme/memberships/bob'],
    );
  });

  it('removes no one when a group source cannot be read (source completeness), but still invites', async () => {
    const w = world({ members: ['people/helpers', 'discord/helpers'] });
    w.extraSources = [
      {
        name: 'discord',
        type: 'test',
        read: () => Promise.reject(new Error('gateway down')),
      },
    ];
    const p = await w.plan();
    assert.deepEqual(ids(p.gh), ['invite:11', 'team:web:set:12', 'team:sre:remove:13', 'org-remove:15']);
    assert.deepEqual(blocked(p.gh), ['team:sre:remove:13', 'org-remove:15']);
    // The core's guard (its wording is the core's); this target's part is marking the right changes destructive.
    assert.equal(rejections(p.gh).length, 1);
    assert.match(rejections(p.gh)[0] ?? '', /^source-completeness: source discord .*nothing is removed/);
    assert.deepEqual(statuses(await w.apply(p)), ['invite:11 applied', 'team:web:set:12 applied']);
    assert.equal(fake.state.org.members.has(15), true);
  });

  it('removes no one when a configured group is missing from a readable source', async () => {
    const w = world({ members: ['people/helpers', 'people/renamed-role'] });
    const p = await w.plan();
    assert.deepEqual(blocked(p.gh), ['team:sre:remove:13', 'org-remove:15']);
    assert.match(rejections(p.gh).join('\n'), /missing-group: group\(s\) people\/renamed-role not found/);
  });

  it('counts invitations GitHub shows as created in the last 24 h against the invitation budget', async () => {
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();
    for (let i = 0; i < 3; i++)
      fake.addInvitation({ inviteeId: fake.addUser(`x${i}`).id, inviterId: 13, createdAt: hoursAgo(2) });
    fake.addInvitation({ inviteeId: fake.addUser('old').id, inviterId: 13, createdAt: hoursAgo(30) });
    fake.addInvitation({
      inviteeId: fake.addUser('failed').id,
      inviterId: 13,
      createdAt: hoursAgo(5),
      failedAt: hoursAgo(1),
    });
    const w = world({ guards: { invitationBudget: 5 } });
    w.people.zoe = fake.addUser('zoe').id;
    w.groups.helpers = ['alice', 'bob', 'zoe'];
    const p = await w.plan();
    assert.deepEqual(
      ids(p.gh).filter((id) => id.startsWith('invite:')),
      ['invite:11', `invite:${w.people.zoe}`],
    );
    assert.deepEqual(blocked(p.gh), [`invite:${w.people.zoe}`]);
    assert.deepEqual(rejections(p.gh), [
      'invitation-budget: 2 invitation(s) planned but only 1 of the 5 per 24 h remain (4 sent in the last 24 h); 1 wait for a later run',
    ]);
    assert.match(reports(p.gh).join('\n'), /1 failed invitation\(s\): failed \(expired, /);
  });

  it('refuses an edited plan that would slip an invitee into a team it does not manage', async () => {
    fake.addTeam('secret', { id: 599 });
    const w = world();
    const p = await w.plan();
    const edited = structuredClone(p.plan);
    const invite = edited.targets[0]?.changes[0] as unknown as { id: string; teams: { id: number; slug: string }[] };
    assert.equal(invite.id, 'invite:11');
    invite.teams = [{ id: 599, slug: 'sre' }];
    const results = await w.apply({ plan: edited, target: p.target });
    assert.deepEqual(results[0], {
      id: 'invite:11',
      status: 'failed',
      message: 'change invite:11: team id 599 is not team sre',
      errorCode: 'PLAN_INVALID',
    });
    assert.equal(fake.requests.filter((r) => r.operationId === 'orgs/create-invitation').length, 0);
  });

  it('refuses a saved plan once the org changed (stale observation)', async () => {
    const w = world();
    const p = await w.plan();
    fake.addMember(fake.addUser('walk-in', 77).id);
    await assert.rejects(w.apply({ plan: p.plan, target: p.target }), { code: 'PLAN_STALE' });
    assert.equal(fake.counts.nonGet, 0);
  });

  it('applies a saved plan in a fresh process (new target, same cache) when nothing changed', async () => {
    const w = world();
    const p = await w.plan();
    const fresh = w.target();
    const results = await w.apply({ plan: p.plan, target: fresh });
    assert.equal(results.length, 4);
    assert.ok(results.every((r) => r.status === 'applied'));
  });
});
