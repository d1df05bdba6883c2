import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { faults, GithubFake } from '../fakes/github/index.ts';
import { ids, statuses, World } from './world.ts';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const APP = { appId: 4242, installationId: 777 };

let fake: GithubFake;
let token: string;

before(async () => {
  fake = await new GithubFake({ org: 'acme', rateLimit: 1_000_000, app: { ...APP, publicKey } }).start();
});
after(() => fake.close());
afterEach(() => {
  assert.equal(fake.pendingFaults(), 0, 'every injected fault was served');
  fake.assertClean();
});
beforeEach(() => {
  const s = fake.state;
  for (const m of [s.users, s.org.members, s.org.invitations, s.org.teams, s.tokens, s.installationTokens]) m.clear();
  fake.resetCounts();
  fake.clearViolations();
  fake.addUser('owner', 1);
  fake.addMember(1, 'admin');
  token = fake.issueToken(1, 'ghp_SECRETSECRETSECRET0123456789');
});

/** 250 members (ids 100..349), all wanted; team t1 wanted with the first three. */
function bigOrg(w: World): void {
  w.people = { owner: 1 };
  w.groups = { admins: ['owner'], helpers: [], t1: [] };
  for (let i = 0; i < 250; i++) {
    const u = fake.addUser(`user${i}`, 100 + i);
    fake.addMember(u.id);
    w.people[`p${i}`] = u.id;
    w.groups.helpers?.push(`p${i}`);
    if (i < 3) w.groups.t1?.push(`p${i}`);
  }
  fake.addTeam('t1', { id: 900 });
}

const config = {
  admins: ['people/admins'],
  members: ['people/helpers'],
  teams: { t1: { members: ['people/t1'] } },
  guards: { minAdmins: 1 },
};

describe('github client: conditional reads, pagination, spacing, auth', () => {
  it('pages through Link headers; an unchanged org answers 304 on every page; a change costs only its pages', async () => {
    const w = new World(fake, token, config);
    bigOrg(w);
    const first = await w.plan();
    assert.deepEqual(ids(first.gh), ['team:t1:set:100', 'team:t1:set:101', 'team:t1:set:102']);
    const pages = fake.requests.filter((r) => r.path === '/orgs/acme/members' && r.query.includes('role=all'));
    assert.deepEqual(
      pages.map((r) => new URLSearchParams(r.query).get('page') ?? '1'),
      ['1', '2', '3'],
      'three pages of 100, following rel="next"',
    );
    await w.apply(first);
    await w.plan(); // the run after an apply pays for the pages the writes changed (here: team t1's)

    fake.resetCounts();
    const unchanged = await w.plan();
    assert.deepEqual(ids(unchanged.gh), []);
    assert.deepEqual(fake.snapshot(), {
      requests: fake.counts.requests,
      get: fake.counts.requests,
      nonGet: 0,
      notModified: fake.counts.requests,
      primary: 0,
    });
    assert.equal(fake.byOperation.get('orgs/list-members')?.notModified, 4, '3 pages of role=all + 1 of role=admin');

    // A new member at the end changes only the last page of role=all.
    fake.resetCounts();
    const late = fake.addUser('late', 5000);
    fake.addMember(late.id);
    w.people.late = late.id;
    w.groups.helpers?.push('late');
    assert.deepEqual(ids((await w.plan()).gh), []);
    assert.equal(fake.counts.primary, 1);
  });

  it('keeps writes at least writeSpacingMs apart', async () => {
    const w = new World(fake, token, { ...config, writeSpacingMs: 120 });
    bigOrg(w);
    await w.apply(await w.plan());
    const writes = fake.requests.filter((r) => r.method !== 'GET');
    assert.equal(writes.length, 3);
    const gaps = writes.slice(1).map((r, i) => r.at - (writes[i]?.at ?? 0));
    assert.ok(
      gaps.every((g) => g >= 110),
      `gaps ${gaps.map((g) => Math.round(g)).join(', ')} ms`,
    );
  });

  it('authenticates as a GitHub App installation; the App has no user, so there is no self to protect', async () => {
    const w = new World(fake, null, { ...config, auth: { app: { ...APP, privateKey: PEM } } });
    w.people = { owner: 1, bob: fake.addUser('bob', 12).id };
    w.groups = { admins: ['owner'], helpers: ['bob'], t1: [] };
    fake.addTeam('t1', { id: 900 });
    const p = await w.plan();
    assert.equal(p.gh.error, undefined, p.gh.error?.message);
    assert.equal((p.observed.get('gh') as { self: unknown }).self, null);
    assert.deepEqual(ids(p.gh), ['invite:12']);
    assert.deepEqual(statuses(await w.apply(p)), ['invite:12 applied']);
    const minted = fake.requests.filter((r) => r.operationId === 'apps/create-installation-access-token');
    assert.equal(minted.length, 1, 'one installation token, reused');
    assert.equal(fake.requests.filter((r) => r.operationId === 'users/get-authenticated').length, 0);
    assert.ok(!w.logLines.join('\n').includes('PRIVATE KEY'));
  });

  it('never logs or reports the token, even on failures and rate limits', async () => {
    const w = new World(fake, token, config);
    bigOrg(w);
    const p = await w.plan();
    fake.inject('teams/add-or-update-membership-for-user-in-org', faults.secondaryLimit(1, 403));
    fake.inject('teams/add-or-update-membership-for-user-in-org', faults.serverError(502), faults.serverError(502));
    const results = await w.apply(p);
    assert.ok(results.some((r) => r.status === 'failed'));
    const everything = [w.logLines.join('\n'), JSON.stringify(p.plan), JSON.stringify(results)].join('\n');
    assert.ok(w.logLines.length > 0);
    assert.ok(!everything.includes(token), 'the token appears nowhere');
  });
});
