import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { faults, GithubFake } from './index.ts';

let fake: GithubFake;
let token: string;

before(async () => {
  fake = await new GithubFake({ org: 'acme', rateLimit: 100_000 }).start();
});
after(() => fake.close());
beforeEach(() => {
  const s = fake.state;
  s.users.clear();
  s.org.members.clear();
  s.org.invitations.clear();
  s.org.teams.clear();
  s.tokens.clear();
  fake.resetCounts();
  fake.clearViolations();
  fake.addUser('owner', 1);
  fake.addMember(1, 'admin');
  token = fake.issueToken(1);
});
afterEach(() => assert.equal(fake.pendingFaults(), 0, 'every injected fault was served'));

async function call(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; auth?: string | null } = {},
) {
  const auth = options.auth === undefined ? token : options.auth;
  const res = await fetch(`${fake.url}${path}`, {
    method,
    headers: {
      accept: 'application/vnd.github+json',
      ...(auth === null ? {} : { authorization: `Bearer ${auth}` }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: () => JSON.parse(text) as unknown };
}

describe('GitHub fake', () => {
  it('listens on loopback only', () => {
    assert.match(fake.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('paginates with Link headers, 30 per page by default and at most 100', async () => {
    for (let i = 0; i < 249; i++) fake.addMember(fake.addUser(`u${i}`, 100 + i).id);
    const p1 = await call('GET', '/orgs/acme/members?per_page=100');
    assert.equal((p1.json() as unknown[]).length, 100);
    const link = p1.headers.get('link') ?? '';
    assert.match(link, /<http:\/\/127\.0\.0\.1:\d+\/orgs\/acme\/members\?per_page=100&page=2>; rel="next"/);
    assert.match(link, /page=3>; rel="last"/);
    const p3 = await call('GET', '/orgs/acme/members?per_page=100&page=3');
    assert.equal((p3.json() as unknown[]).length, 50);
    assert.doesNotMatch(p3.headers.get('link') ?? '', /rel="next"/);
    assert.equal(((await call('GET', '/orgs/acme/members')).json() as unknown[]).length, 30);
    assert.equal(((await call('GET', '/orgs/acme/members?per_page=500')).json() as unknown[]).length, 100);
    fake.assertClean();
  });

  it('answers 304 to a matching If-None-Match without spending quota', async () => {
    const first = await call('GET', '/orgs/acme/members');
    const etag = first.headers.get('etag') ?? '';
    const remaining = Number(first.headers.get('x-ratelimit-remaining'));
    const again = await call('GET', '/orgs/acme/members', { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal(Number(again.headers.get('x-ratelimit-remaining')), remaining);
    assert.deepEqual(fake.snapshot(), { requests: 2, get: 2, nonGet: 0, notModified: 1, primary: 1 });
    fake.addMember(fake.addUser('new', 7).id);
    const changed = await call('GET', '/orgs/acme/members', { headers: { 'if-none-match': etag } });
    assert.equal(changed.status, 200);
    assert.equal(Number(changed.headers.get('x-ratelimit-remaining')), remaining - 1);
    fake.assertClean();
  });

  it('a membership PUT for a non-member creates a pending invitation', async () => {
    fake.addUser('newbie', 5);
    const r = await call('PUT', '/orgs/acme/memberships/newbie', { body: { role: 'member' } });
    assert.equal(r.status, 200);
    assert.equal((r.json() as { state: string }).state, 'pending');
    const invitations = (await call('GET', '/orgs/acme/invitations')).json() as { login: string; role: string }[];
    assert.deepEqual(
      invitations.map((i) => [i.login, i.role]),
      [['newbie', 'direct_member']],
    );
    assert.equal(fake.state.org.members.has(5), false);
    fake.assertClean();
  });

  it('an IdP-synced team refuses membership writes with 403', async () => {
    fake.addTeam('sso', { idpSynced: true });
    fake.addMember(fake.addUser('m', 5).id);
    const put = await call('PUT', '/orgs/acme/teams/sso/memberships/m', { body: { role: 'member' } });
    assert.equal(put.status, 403);
    assert.equal((await call('DELETE', '/orgs/acme/teams/sso/memberships/m')).status, 403);
    fake.assertClean();
  });

  it('serves renamed users by id under the new login, and 404 for deleted ones', async () => {
    fake.addUser('old-name', 5);
    fake.rename(5, 'new-name');
    assert.equal(((await call('GET', '/user/5')).json() as { login: string }).login, 'new-name');
    assert.equal((await call('GET', '/users/old-name')).status, 404);
    fake.deleteUser(5);
    assert.equal((await call('GET', '/user/5')).status, 404);
    fake.assertClean();
  });

  it('injects a secondary limit with retry-after, and a 5xx on the Nth request of an operation', async () => {
    fake.inject('orgs/list-members', faults.secondaryLimit(7, 429));
    const limited = await call('GET', '/orgs/acme/members');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '7');
    assert.match((limited.json() as { message: string }).message, /secondary rate limit/);
    fake.failNth('teams/list', 2, faults.serverError(502));
    assert.equal((await call('GET', '/orgs/acme/teams')).status, 200);
    assert.equal((await call('GET', '/orgs/acme/teams')).status, 502);
    assert.equal((await call('GET', '/orgs/acme/teams')).status, 200);
    fake.assertClean();
  });

  it('answers 403 with x-ratelimit-remaining 0 once the primary quota is spent', async () => {
    fake.rate.remaining = 1;
    assert.equal((await call('GET', '/orgs/acme/teams')).status, 200);
    const out = await call('GET', '/orgs/acme/teams');
    assert.equal(out.status, 403);
    assert.equal(out.headers.get('x-ratelimit-remaining'), '0');
    fake.rate.remaining = fake.rate.limit;
    fake.assertClean();
  });

  it('records what the description rejects: unknown routes, invalid bodies, unmodelled operations', async () => {
    assert.equal((await call('GET', '/orgs/acme/memberz')).status, 404);
    assert.match(fake.violations.join('\n'), /no such route/);
    fake.clearViolations();

    fake.addMember(fake.addUser('m', 5).id);
    await call('PUT', '/orgs/acme/memberships/m', { body: { role: 'owner' } });
    assert.match(fake.violations.join('\n'), /request body\/role: must be equal to one of the allowed values/);
    fake.clearViolations();

    await call('GET', '/orgs/acme/members?role=owner');
    assert.match(fake.violations.join('\n'), /query parameter role/);
    fake.clearViolations();

    assert.equal((await call('GET', '/orgs/acme')).status, 501);
    assert.match(fake.violations.join('\n'), /orgs\/get is not modelled/);
    fake.clearViolations();
  });

  it('refuses missing or bad credentials with 401, and writes by a non-owner with 403', async () => {
    assert.equal((await call('GET', '/orgs/acme/members', { auth: null })).status, 401);
    assert.equal((await call('GET', '/orgs/acme/members', { auth: 'nope' })).status, 401);
    const member = fake.addUser('m', 5);
    fake.addMember(member.id);
    const weak = fake.issueToken(member.id);
    assert.equal((await call('DELETE', '/orgs/acme/memberships/owner', { auth: weak })).status, 403);
    fake.assertClean();
  });
});
