import { createHash } from 'node:crypto';
import { GatehouseError } from '../../core/errors.ts';
import { token } from '../../store/sessions.ts';

/** An OAuth 2.0 client of an authorization server (GitHub's web application flow, Discord's OAuth2). */
export interface OAuthClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly apiUrl: string;
}

/** A PKCE pair (RFC 7636, S256): the verifier stays in the session, the challenge goes in the authorize URL. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = token();
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Where to send the browser to authorize: code flow, `state` bound to the session, PKCE S256. */
export function authorizeUrl(
  c: OAuthClient,
  o: { redirectUri: string; state: string; challenge: string; scope: string },
): string {
  const u = new URL(c.authorizeUrl);
  u.search = new URLSearchParams({
    response_type: 'code',
    client_id: c.clientId,
    redirect_uri: o.redirectUri,
    state: o.state,
    scope: o.scope,
    code_challenge: o.challenge,
    code_challenge_method: 'S256',
  }).toString();
  return u.toString();
}

/**
 * Exchanges an authorization code for an access token (form-encoded, JSON answer: both GitHub and Discord accept it).
 * @throws GatehouseError SOURCE_INVALID_DATA when the server refuses or answers without a token; TIMEOUT past `timeoutMs`.
 */
export async function exchangeCode(
  c: OAuthClient,
  o: { code: string; redirectUri: string; verifier: string },
  timeoutMs: number,
): Promise<string> {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: c.clientId,
    client_secret: c.clientSecret,
    code: o.code,
    redirect_uri: o.redirectUri,
    code_verifier: o.verifier,
  });
  const r = await call(`POST ${new URL(c.tokenUrl).host}`, timeoutMs, (signal) =>
    fetch(c.tokenUrl, {
      method: 'POST',
      body,
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      signal,
    }),
  );
  const json = (await r.json().catch(() => ({}))) as { access_token?: unknown; error?: unknown };
  if (!r.ok || typeof json.access_token !== 'string')
    throw new GatehouseError(
      'SOURCE_INVALID_DATA',
      `the authorization server refused the code (${r.status}${typeof json.error === 'string' ? `: ${json.error}` : ''})`,
    );
  return json.access_token;
}

/** The GitHub account the token belongs to (`GET /user`): its numeric id, and its login for display. */
export async function githubUser(c: OAuthClient, accessToken: string, timeoutMs: number) {
  const r = await call('GET github /user', timeoutMs, (signal) =>
    fetch(`${c.apiUrl.replace(/\/+$/, '')}/user`, {
      headers: {
        authorization: `Bearer ${accessToken}`,
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
      },
      signal,
    }),
  );
  const u = (await r.json().catch(() => ({}))) as { id?: unknown; login?: unknown };
  if (!r.ok || !Number.isSafeInteger(u.id) || (u.id as number) <= 0 || typeof u.login !== 'string')
    throw new GatehouseError('SOURCE_INVALID_DATA', `GitHub's /user gave no account (${r.status})`);
  return { id: u.id as number, login: u.login };
}

/** The Discord user the token belongs to (`GET /users/@me`, scope identify). */
export async function discordUser(c: OAuthClient, accessToken: string, timeoutMs: number) {
  const r = await call('GET discord /users/@me', timeoutMs, (signal) =>
    fetch(`${c.apiUrl.replace(/\/+$/, '')}/v10/users/@me`, {
      headers: { authorization: `Bearer ${accessToken}` },
      signal,
    }),
  );
  const u = (await r.json().catch(() => ({}))) as { id?: unknown; username?: unknown };
  if (!r.ok || typeof u.id !== 'string' || !/^\d{17,20}$/.test(u.id))
    throw new GatehouseError('SOURCE_INVALID_DATA', `Discord's /users/@me gave no user (${r.status})`);
  return { id: u.id, username: typeof u.username === 'string' ? u.username : u.id };
}

async function call(what: string, timeoutMs: number, f: (signal: AbortSignal) => Promise<Response>) {
  try {
    return await f(AbortSignal.timeout(timeoutMs));
  } catch (e) {
    if (e instanceof Error && e.name === 'TimeoutError')
      throw new GatehouseError('TIMEOUT', `${what} did not answer within ${timeoutMs} ms`, { cause: e });
    throw new GatehouseError('SOURCE_INVALID_DATA', `${what} failed: ${(e as Error).message}`, { cause: e });
  }
}
