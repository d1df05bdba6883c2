import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { faults, startGithubFake, type GithubFake } from '../fakes/github/index.ts';
import { ids, reports, resetOrg, statuses, World } from './world.ts';

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

/** owner (1) and carol (13) own the org; bob (12) and erin (15) are members; teams web (empty), sso (IdP-synced). */
beforeEach(() => {
  resetOrg(fake);
  fake.addTeam('web', { id: 502 });
  fake.addTeam('sso', { id: 503, idpSynced: true });
  fake.addTeamMember('sso', 15);
  token = fake.issueToken(1);
});

/** Plans: invite:11, team:web:set:12, org-role:12 (→ admin), org-remove:15. */
function world(extra: Record<string, unknown> = {}): World {
  const w = new World(fake, token, {
    admins: ['people/admins'],
    members: ['people/helpers'],
    teams: { web: { members: ['people/web'] } },
    ...extra,
  });
  w.people = { owner: 1, alice: 11, bob: 12, carol: 13, erin: 15 };
  w.groups = { admins: ['owner', 'carol', 'bob'], helpers: ['alice'], web: ['bob'] };
  return w;
}

describe('github target: faults', () => {
  it('a write failing with 5xx (after its retry) is reported; the other changes apply; a re-run converges', async () => {
    const w = world();
    const p = await w.plan();
    assert.deepEqual(ids(p.gh), ['invite:11', 'org-role:12', 'team:web:set:12', 'org-remove:15']);
    // plugin-retry retries once (retries: 1 in World): two 502s fail the change.
    fake.inject('orgs/set-membership-for-user', faults.serverError(502), faults.serverError(502));
    const results = await w.apply(p);
    assert.deepEqual(statuses(results), [
      'invite:11 applied',
      'org-role:12 failed',
      'team:web:set:12 applied',
      'org-remove:15 applied',
    ]);
    assert.match(results[1]?.message ?? '', /set org role of bob: HTTP 502/);
    assert.equal(results[1]?.errorCode, 'TARGET_FAILED');
    assert.deepEqual(
      // Each change is audited as started before it is attempted, then with its result.
      w.store.records.map((r) => `${r.changeId} ${r.status}`),
      [
        'invite:11 started',
        'invite:11 applied',
        'org-role:12 started',
        'org-role:12 failed',
        'team:web:set:12 started',
        'team:web:set:12 applied',
        'org-remove:15 started',
        'org-remove:15 applied',
      ],
    );

    const again = await w.plan();
    assert.deepEqual(ids(again.gh), ['org-role:12']);
    assert.deepEqual(statuses(await w.apply(again)), ['org-role:12 applied']);
    assert.deepEqual(ids((await w.plan()).gh), []);
  });

  it('a transient 5xx is retried: on a read page and on a write', async () => {
    const w = world();
    fake.failNth('orgs/list-members', 1, faults.serverError(503));
    fake.failNth('orgs/create-invitation', 1, faults.serverError(500));
    const p = await w.plan();
    assert.equal(p.gh.error, undefined);
    assert.deepEqual(
      statuses(await w.apply(p)).filter((s) => !s.endsWith('applied')),
      [],
    );
    assert.equal(fake.requests.filter((r) => r.operationId === 'orgs/create-invitation').length, 2);
  });

  it('a listing that keeps failing fails the whole observation: no changes, nothing written', async () => {
    const w = world();
    fake.inject('orgs/list-pending-invitations', faults.serverError(502), faults.serverError(502));
    const p = await w.plan();
    assert.equal(p.gh.error?.code, 'TARGET_FAILED');
    assert.match(p.gh.error?.message ?? '', /GET \/orgs\/acme\/invitations\?per_page=100: HTTP 502/);
    assert.deepEqual(p.gh.changes, []);
    assert.equal(fake.counts.nonGet, 0);
  });

  it('a secondary limit is waited out for its retry-after, then the write goes through', async () => {
    const w = world();
    w.overrides = { ...w.overrides, retryUnitMs: 100 };
    const p = await w.plan();
    fake.inject('orgs/remove-membership-for-user', faults.secondaryLimit(2, 403));
    const results = await w.apply(p);
    assert.ok(
      results.every((r) => r.status === 'applied'),
      statuses(results).join(', '),
    );
    const deletes = fake.requests.filter((r) => r.operationId === 'orgs/remove-membership-for-user');
    assert.deepEqual(
      deletes.map((r) => r.status),
      [403, 204],
    );
    const waited = (deletes[1]?.at ?? 0) - (deletes[0]?.at ?? 0);
    assert.ok(waited >= 190, `waited ${waited} ms for retry-after: 2 (× 100 ms)`);
    assert.match(w.logLines.join('\n'), /secondary rate limit/);
  });

  it('a secondary limit that does not lift fails only that change', async () => {
    const w = world();
    const p = await w.plan();
    fake.inject('orgs/create-invitation', ...Array.from({ length: 3 }, () => faults.secondaryLimit(1, 429)));
    const results = await w.apply(p);
    assert.deepEqual(statuses(results), [
      'invite:11 failed',
      'org-role:12 applied',
      'team:web:set:12 applied',
      'org-remove:15 applied',
    ]);
    assert.match(results[0]?.message ?? '', /HTTP 429/);
  });

  it('a deleted account is reported, not fatal: its invitation fails with a message, the rest applies', async () => {
    const w = world();
    w.people.zoe = 44; // an id GitHub does not know (deleted account)
    w.groups.helpers = ['alice', 'zoe'];
    const p = await w.plan();
    assert.deepEqual(ids(p.gh), ['invite:11', 'invite:44', 'org-role:12', 'team:web:set:12', 'org-remove:15']);
    const results = await w.apply(p);
    assert.deepEqual(statuses(results), [
      'invite:11 applied',
      'invite:44 failed',
      'org-role:12 applied',
      'team:web:set:12 applied',
      'org-remove:15 applied',
    ]);
    assert.equal(
      results[1]?.message,
      "GitHub account zoe (github 44) no longer exists (deleted); nothing was changed — update the person's github id",
    );
    assert.equal(fake.requests.filter((r) => r.operationId === 'orgs/create-invitation').length, 1);
  });

  it('a member deleted between plan and apply: removing them succeeds (they are gone)', async () => {
    const w = world();
    const p = await w.plan();
    fake.deleteUser(15);
    const results = await w.apply(p); // same run: the plan's own observation, no re-observe
    assert.deepEqual(results.at(-1), { id: 'org-remove:15', status: 'applied', message: 'github 15 no longer exists' });
  });

  it('a renamed user is harmless: writes go to the id’s current login, never to whoever took the old one', async () => {
    const w = world();
    const p = await w.plan();
    fake.rename(12, 'robert');
    const squatter = fake.addUser('bob', 600);
    fake.addMember(squatter.id);
    const results = await w.apply(p);
    assert.ok(
      results.every((r) => r.status === 'applied'),
      statuses(results).join(', '),
    );
    assert.equal(fake.state.org.members.get(12), 'admin');
    assert.equal(fake.state.org.members.get(600), 'member', 'the new owner of the old login is untouched');
    assert.deepEqual([...(fake.state.org.teams.get('web')?.members.keys() ?? [])], [12]);
    const next = await w.plan();
    assert.deepEqual(ids(next.gh), [], 'keyed by id, the rename is no change');
    assert.match(reports(next.gh).join('\n'), /bob \(github 600\) member/);
  });

  it('an IdP-synced team refuses changes: reported, the rest applies, then the team is left alone', async () => {
    const w = world({ teams: { web: { members: ['people/web'] }, sso: { members: ['people/web'] } } });
    const p = await w.plan();
    assert.deepEqual(ids(p.gh), ['invite:11', 'org-role:12', 'team:web:set:12', 'team:sso:set:12', 'org-remove:15']);
    const results = await w.apply(p);
    assert.deepEqual(statuses(results), [
      'invite:11 applied',
      'org-role:12 applied',
      'team:web:set:12 applied',
      'team:sso:set:12 failed',
      'org-remove:15 applied',
    ]);
    assert.equal(results[3]?.errorCode, 'TARGET_FORBIDDEN');
    assert.match(results[3]?.message ?? '', /team sso refused the membership change \(HTTP 403\)/);

    const next = await w.plan();
    assert.deepEqual(ids(next.gh), []);
    assert.match(
      reports(next.gh).join('\n'),
      /team sso is left alone: GitHub refused a membership change at .* \(This team is synchronized with an identity provider/,
    );
  });
});
