import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { Engine } from '../../src/engine.ts';
import { ServeMetrics } from '../../src/serve/metrics.ts';
import { buildApp } from '../../src/server/app.ts';
import { linksHttp } from '../../src/server/links/endpoint.ts';
import { ALICE, ALICE_GH, BOB, CAROL, LinksWorld } from './world.ts';

const BASE = 'https://gatehouse.test';

/**
 * A cookie-keeping client that follows redirects by hand: requests to BASE go to the app in process, the rest to the
 * fakes over loopback. Keeps every Set-Cookie header it saw, to check the cookie's attributes.
 */
class Client {
  readonly jar = new Map<string, string>();
  readonly setCookies: string[] = [];
  readonly app: ReturnType<typeof buildApp>;
  constructor(app: ReturnType<typeof buildApp>) {
    this.app = app;
  }

  async go(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    let next = url;
    let method = init.method ?? 'GET';
    let body: URLSearchParams | undefined = init.form ? new URLSearchParams(init.form) : undefined;
    for (let hop = 0; hop < 10; hop++) {
      const headers: Record<string, string> = {};
      if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
      const ours = next.startsWith(BASE);
      if (ours && this.jar.size) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
      const r = ours
        ? await this.app.request(next.slice(BASE.length), { method, headers, ...(body ? { body } : {}) })
        : await fetch(next, { method, headers, redirect: 'manual', ...(body ? { body } : {}) });
      if (ours)
        for (const c of r.headers.getSetCookie()) {
          this.setCookies.push(c);
          const [pair] = c.split(';');
          const i = (pair ?? '').indexOf('=');
          const [k, v] = [pair!.slice(0, i), pair!.slice(i + 1)];
          if (v === '') this.jar.delete(k);
          else this.jar.set(k, v);
        }
      const location = r.headers.get('location');
      if (r.status < 300 || r.status >= 400 || !location) return r;
      next = new URL(location, next).toString();
      method = 'GET';
      body = undefined;
    }
    throw new Error('too many redirects');
  }

  csrf(html: string): string {
    const m = /name="csrf" value="([^"]+)"/.exec(html);
    assert.ok(m, 'the page has a CSRF token');
    return m[1] as string;
  }
}

describe('link web flow and approval queue', () => {
  let w: LinksWorld;
  let engine: Engine;
  let app: ReturnType<typeof buildApp>;

  before(async () => {
    w = await LinksWorld.start(BASE);
    const logger = pino({ level: 'silent' });
    engine = await Engine.open({ configFile: w.config, logger, env: w.env });
    const http = linksHttp(engine, logger);
    app = buildApp({
      metrics: new ServeMetrics(),
      readiness: () => Promise.resolve({ ready: true, checks: {} }),
      exposeMetrics: false,
      web: () => http.web,
    });
  });
  after(async () => {
    await engine?.close();
    await w?.close();
  });

  async function signInWithDiscord(user: string): Promise<Client> {
    const c = new Client(app);
    w.discordOAuth.signedIn = user;
    const home = await c.go(`${BASE}/login`);
    assert.equal(home.status, 200);
    assert.match(await home.text(), new RegExp(`signed in as <span id="who">discord:${user}</span>`));
    return c;
  }

  it('a requester links GitHub through OAuth: the id comes from GitHub, never from the request', async () => {
    const c = await signInWithDiscord(ALICE);
    assert.deepEqual(w.discordOAuth.scopes, ['identify']);
    const cookie = c.setCookies.at(-1) ?? '';
    assert.match(cookie, /^gatehouse_session=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/);

    const home = await (await c.go(`${BASE}/`)).text();
    assert.equal((await c.go(`${BASE}/link/github`, { method: 'POST', form: {} })).status, 403, 'no CSRF token');
    assert.equal(
      (await c.go(`${BASE}/link/github`, { method: 'POST', form: { csrf: 'x'.repeat(43) } })).status,
      403,
      'a wrong CSRF token',
    );

    // Start the GitHub authorization but stop at the callback, to add what a requester might try to slip in.
    w.githubOAuth.signedIn = String(ALICE_GH);
    const start = await app.request('/link/github', {
      method: 'POST',
      headers: {
        cookie: `gatehouse_session=${c.jar.get('gatehouse_session')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ csrf: c.csrf(home), github_id: '1', id: '1' }),
    });
    assert.equal(start.status, 302);
    const authorize = new URL(start.headers.get('location') ?? '');
    assert.equal(authorize.origin + authorize.pathname, w.githubOAuth.authorizeUrl);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authorize.searchParams.get('scope'), '', 'no scope beyond the public profile');
    const back = await fetch(authorize, { redirect: 'manual' });
    const callback = new URL(back.headers.get('location') ?? '');
    callback.searchParams.set('github_id', '1');
    callback.searchParams.set('id', '1');
    callback.searchParams.set('login', 'owner');

    const wrongState = new URL(callback);
    wrongState.searchParams.set('state', 'forged-state-value-0123456789');
    assert.equal((await c.go(wrongState.toString())).status, 403, 'a state not bound to this session');

    const done = await c.go(callback.toString());
    assert.equal(done.status, 200);
    assert.match(await done.text(), /Request recorded/);
    const [link, ...more] = await engine.store.links.list({ person: `discord:${ALICE}` });
    assert.equal(more.length, 0);
    assert.deepEqual(
      [link?.status, link?.githubId, link?.githubLogin, link?.discord, link?.requestedBy],
      ['pending', ALICE_GH, 'alice-gh', ALICE, `discord:${ALICE}`],
    );
    const posted = [...w.discord.state.messages.values()].at(-1);
    assert.match(posted?.content ?? '', /→ github 4242 \(alice-gh\)/, 'the request is posted to the approvers');
    assert.equal((await c.go(`${BASE}/links`)).status, 403, 'alice is not an approver');
  });

  it('the queue: a non-approver gets 403; forms without or with a wrong CSRF token change nothing; an approver approves', async () => {
    const bob = await signInWithDiscord(BOB);
    const denied = await bob.go(`${BASE}/links`);
    assert.equal(denied.status, 403);
    assert.match(await denied.text(), /discord:800000000000000002 is not an approver/);

    const [link] = await engine.store.links.list({ status: 'pending' });
    assert.ok(link);
    const carol = await signInWithDiscord(CAROL);
    const queue = await (await carol.go(`${BASE}/links`)).text();
    assert.match(queue, new RegExp(`data-link="${link.id}"`));
    const csrf = carol.csrf(queue);
    const decide = (form: Record<string, string>, client = carol) =>
      client.go(`${BASE}/links/${link.id}/decide`, { method: 'POST', form });

    assert.equal((await decide({ decision: 'approve' })).status, 403, 'no CSRF token');
    assert.equal(
      (await decide({ decision: 'approve', csrf: csrf.replace(/.$/, csrf.endsWith('A') ? 'B' : 'A') })).status,
      403,
    );
    assert.equal(
      (await decide({ decision: 'approve', csrf: bob.csrf(await (await bob.go(`${BASE}/`)).text()) })).status,
      403,
      "another session's token",
    );
    assert.equal(
      (await decide({ decision: 'approve', csrf: bob.csrf(await (await bob.go(`${BASE}/`)).text()) }, bob)).status,
      403,
      'bob: not an approver',
    );
    assert.equal((await engine.store.links.get(link.id))?.status, 'pending', 'nothing changed');

    const ok = await decide({ decision: 'approve', csrf, reason: 'known member' });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /approved: discord:800000000000000001 → github 4242/);
    const decided = await engine.store.links.get(link.id);
    assert.deepEqual(
      [decided?.status, decided?.decidedBy, decided?.reason],
      ['approved', `discord:${CAROL}`, 'known member'],
    );
  });

  it('nobody approves their own request, even an approver', async () => {
    const carol = await signInWithDiscord(CAROL);
    w.githubOAuth.signedIn = '5151';
    const home = await (await carol.go(`${BASE}/`)).text();
    const recorded = await carol.go(`${BASE}/link/github`, { method: 'POST', form: { csrf: carol.csrf(home) } });
    assert.match(await recorded.text(), /Request recorded/);
    const [own] = await engine.store.links.list({ person: `discord:${CAROL}` });
    assert.ok(own);
    const queue = await (await carol.go(`${BASE}/links`)).text();
    const r = await carol.go(`${BASE}/links/${own.id}/decide`, {
      method: 'POST',
      form: { decision: 'approve', csrf: carol.csrf(queue) },
    });
    assert.equal(r.status, 403);
    assert.match(await r.text(), /cannot decide their own request/);
    assert.equal((await engine.store.links.get(own.id))?.status, 'pending');
    w.assertClean();
  });
});
