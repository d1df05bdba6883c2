import { timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Logger } from 'pino';
import { describeError, isGatehouseError } from '../../core/errors.ts';
import { describeLink, type Link, type LinkDecision, type LinkStore, type LinkTokens } from '../../core/links.ts';
import type { SqlSessions, WebSession } from '../../store/sessions.ts';
import { token } from '../../store/sessions.ts';
import { esc, forbiddenPage, messagePage, page, queuePage } from './html.ts';
import { authorizeUrl, discordUser, exchangeCode, githubUser, pkcePair, type OAuthClient } from './oauth.ts';

export const SESSION_COOKIE = 'gatehouse_session';
/** An anonymous session only carries an OAuth round trip. */
const SIGN_IN_TTL_MS = 10 * 60_000;

export interface LinksWebDeps {
  readonly sessions: SqlSessions;
  readonly links: LinkStore;
  readonly tokens: LinkTokens;
  readonly decide: (input: {
    id: string;
    decision: LinkDecision;
    decider: string;
    actor: string;
    reason?: string;
  }) => Promise<Link>;
  /** Whether a person is an approver, read fresh (throws when it cannot be told). */
  readonly isApprover: (person: string) => Promise<boolean>;
  /** Posts a new request to the approvers' Discord channel, when configured. */
  readonly announce?: (link: Link) => Promise<void>;
  readonly github: OAuthClient;
  readonly discord: OAuthClient;
  readonly publicUrl: string;
  readonly sessionTtlMs: number;
  readonly timeoutMs: number;
  readonly logger: Logger;
}

/**
 * The web side of account links, server-rendered, no script:
 *
 * - `GET /login` → Discord OAuth2 (scope `identify`) → `/auth/discord/callback`: signed in as `discord:<id>`.
 * - `GET /link/start?token=` (from `/link github` in Discord): signed in as the Discord user the token was issued to.
 * - `POST /link/github` → GitHub's web application flow (no scope, `state` bound to the session, PKCE S256) →
 *   `/auth/github/callback`: the numeric id and login come from GitHub's `/user` for the token just issued, and a
 *   pending request is recorded for the signed-in person. No route takes an account id from the requester.
 * - `GET /links`: the approvers' queue; `POST /links/:id/decide`: approve or reject with a reason.
 *
 * Session cookie `HttpOnly; Secure; SameSite=Lax`; every form carries the session's CSRF token and a POST without it
 * (or with another) is refused with 403 and changes nothing; the approver check runs on the server for every page and
 * action, fresh each time.
 */
export function linksWeb(d: LinksWebDeps): Hono {
  const app = new Hono();
  const base = d.publicUrl.replace(/\/+$/, '');
  const discordCallback = `${base}/auth/discord/callback`;
  const githubCallback = `${base}/auth/github/callback`;

  const session = async (c: Context) => d.sessions.get(getCookie(c, SESSION_COOKIE));
  const startSession = (c: Context, s: WebSession, ttlMs: number) =>
    setCookie(c, SESSION_COOKIE, s.id, {
      httpOnly: true,
      secure: true,
      sameSite: 'Lax',
      path: '/',
      maxAge: Math.floor(ttlMs / 1000),
    });
  const forbidden = (c: Context, why: string, who?: string) => c.html(forbiddenPage(why, who), 403);
  const formOk = async (c: Context, s: WebSession | undefined): Promise<Record<string, string> | undefined> => {
    const form = await c.req.parseBody();
    const sent = typeof form.csrf === 'string' ? form.csrf : '';
    if (!s || !same(sent, s.csrf)) return undefined;
    return Object.fromEntries(Object.entries(form).filter((e): e is [string, string] => typeof e[1] === 'string'));
  };

  app.get('/', async (c) => {
    const s = await session(c);
    if (!s?.person) return c.html(page('Sign in', '<p><a id="sign-in" href="/login">Sign in with Discord</a></p>'));
    const mine = (await d.links.list({ person: s.person })).at(-1);
    const status = mine
      ? `<p id="status">Your link: ${esc(mine.status)} — ${esc(describeLink(mine))}</p>`
      : '<p id="status">No GitHub account linked.</p>';
    return c.html(
      page(
        'Your GitHub link',
        `${status}<form method="post" action="/link/github"><input type="hidden" name="csrf" value="${esc(s.csrf)}">
<button id="link-github">Link my GitHub account</button></form><p><a href="/links">Approval queue</a></p>`,
        s.person,
      ),
    );
  });

  app.get('/login', async (c) => {
    const state = token();
    const { verifier, challenge } = pkcePair();
    const s = await d.sessions.create({}, SIGN_IN_TTL_MS, { state, verifier });
    startSession(c, s, SIGN_IN_TTL_MS);
    return c.redirect(authorizeUrl(d.discord, { redirectUri: discordCallback, state, challenge, scope: 'identify' }));
  });

  app.get('/auth/discord/callback', async (c) => {
    const s = await session(c);
    const code = c.req.query('code');
    if (!s?.oauthState || !s.pkceVerifier || !code || !same(c.req.query('state') ?? '', s.oauthState))
      return forbidden(c, 'This sign-in was not started in this browser, or it expired. Sign in again.');
    await d.sessions.delete(s.id);
    const accessToken = await exchangeCode(
      d.discord,
      { code, redirectUri: discordCallback, verifier: s.pkceVerifier },
      d.timeoutMs,
    );
    const user = await discordUser(d.discord, accessToken, d.timeoutMs);
    const signedIn = await d.sessions.create({ person: `discord:${user.id}`, discord: user.id }, d.sessionTtlMs);
    startSession(c, signedIn, d.sessionTtlMs);
    return c.redirect('/');
  });

  app.get('/link/start', async (c) => {
    const who = await d.tokens.consume(c.req.query('token') ?? '', new Date());
    if (!who) return forbidden(c, 'This link expired or was already used. Ask for a new one with /link github.');
    const s = await d.sessions.create(who, d.sessionTtlMs);
    startSession(c, s, d.sessionTtlMs);
    return c.redirect('/');
  });

  app.post('/link/github', async (c) => {
    const s = await session(c);
    if (!s?.person) return forbidden(c, 'Sign in first.');
    if (!(await formOk(c, s))) return forbidden(c, 'The form token is missing or wrong. Reload the page and retry.');
    const state = token();
    const { verifier, challenge } = pkcePair();
    await d.sessions.setOAuth(s.id, { state, verifier });
    // No scope: the public profile (numeric id, login) is all a link needs.
    return c.redirect(authorizeUrl(d.github, { redirectUri: githubCallback, state, challenge, scope: '' }));
  });

  app.get('/auth/github/callback', async (c) => {
    const s = await session(c);
    const code = c.req.query('code');
    if (!s?.person) return forbidden(c, 'Sign in first.');
    if (!s.oauthState || !s.pkceVerifier || !code || !same(c.req.query('state') ?? '', s.oauthState))
      return forbidden(c, 'This GitHub authorization was not started in this session. Start again.', s.person);
    await d.sessions.setOAuth(s.id, undefined);
    const accessToken = await exchangeCode(
      d.github,
      { code, redirectUri: githubCallback, verifier: s.pkceVerifier },
      d.timeoutMs,
    );
    // The only place a GitHub id enters gatehouse: GitHub's answer about the token it just issued.
    const gh = await githubUser(d.github, accessToken, d.timeoutMs);
    let link: Link;
    try {
      link = await d.links.request(
        {
          person: s.person,
          ...(s.discord ? { discord: s.discord } : {}),
          ...(s.ldap ? { ldap: s.ldap } : {}),
          githubId: gh.id,
          githubLogin: gh.login,
          requestedBy: s.person,
        },
        new Date(),
      );
    } catch (e) {
      if (isGatehouseError(e) && e.code === 'USAGE')
        return c.html(messagePage('Not recorded', e.message, s.person), 409);
      throw e;
    }
    if (d.announce)
      await d
        .announce(link)
        .catch((e: unknown) =>
          d.logger.warn({ link: link.id, error: describeError(e) }, 'could not post the request to Discord'),
        );
    return c.html(messagePage('Request recorded', `${describeLink(link)} is pending; an approver decides.`, s.person));
  });

  app.get('/links', async (c) => {
    const s = await session(c);
    if (!s?.person) return c.redirect('/login');
    const denied = await notApprover(d, s.person);
    if (denied) return forbidden(c, denied, s.person);
    return c.html(queuePage(await d.links.list({ status: 'pending' }), s.csrf, s.person));
  });

  app.post('/links/:id/decide', async (c) => {
    const s = await session(c);
    if (!s?.person) return forbidden(c, 'Sign in first.');
    const form = await formOk(c, s);
    if (!form) return forbidden(c, 'The form token is missing or wrong. Reload the page and retry.', s.person);
    const decision = form.decision;
    if (decision !== 'approve' && decision !== 'reject') return forbidden(c, 'Unknown decision.', s.person);
    const reason = form.reason?.trim();
    try {
      const link = await d.decide({
        id: c.req.param('id'),
        decision,
        decider: s.person,
        actor: `web:${s.person}`,
        ...(reason ? { reason } : {}),
      });
      return c.html(
        queuePage(await d.links.list({ status: 'pending' }), s.csrf, s.person, `${link.status}: ${describeLink(link)}`),
      );
    } catch (e) {
      if (isGatehouseError(e) && e.code === 'FORBIDDEN') return forbidden(c, e.message, s.person);
      if (isGatehouseError(e) && e.code === 'USAGE') return c.html(messagePage('Not done', e.message, s.person), 409);
      throw e;
    }
  });

  app.post('/logout', async (c) => {
    const s = await session(c);
    if (s && (await formOk(c, s))) await d.sessions.delete(s.id);
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: true });
    return c.redirect('/');
  });

  app.onError((e, c) => {
    d.logger.warn({ path: c.req.path, error: describeError(e) }, 'link web request failed');
    // An OAuth server or API that refused or timed out is upstream's failure (502); anything else is ours (500).
    const upstream = isGatehouseError(e) && (e.code === 'SOURCE_INVALID_DATA' || e.code === 'TIMEOUT');
    return c.html(
      messagePage('Something went wrong', upstream ? e.message : 'internal error; nothing was changed'),
      upstream ? 502 : 500,
    );
  });

  return app;
}

async function notApprover(d: LinksWebDeps, person: string): Promise<string | undefined> {
  try {
    return (await d.isApprover(person)) ? undefined : `${person} is not an approver.`;
  } catch (e) {
    return `Could not check that ${person} is an approver: ${describeError(e)}`;
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
