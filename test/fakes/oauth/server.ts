import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { assertNoViolations, closeServer, createFakeServer, listenLocal, readBody } from '../http-fake.ts';

export interface OAuthFakeOptions {
  readonly name: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The one redirect URI registered for the client (GitHub and Discord both require an exact match). */
  readonly redirectUri: string;
  /** Called for each access token issued, so the API fake answers for it (`/user`, `/users/@me`). */
  readonly onToken: (user: string, accessToken: string) => void;
}

interface Grant {
  readonly user: string;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly scope: string;
}

/**
 * An OAuth 2.0 authorization server on 127.0.0.1 with the authorization code flow as GitHub's web application flow and
 * Discord's OAuth2 run it: `GET /authorize` (the user `signedIn` at the provider consents at once and is redirected
 * back with `code` and the same `state`), `POST /token` (form-encoded; client id and secret, the exact redirect URI,
 * the code once, and the PKCE S256 verifier matching the challenge). Anything else the client gets wrong is answered
 * as the providers answer it (400, `error`) and recorded in `violations`, which fail `assertClean()`.
 *
 * Does NOT model: a consent page, refresh tokens, token revocation, the device flow.
 */
export class OAuthFake {
  readonly o: OAuthFakeOptions;
  /** Who is signed in at the provider; `GET /authorize` answers 403 when nobody is. */
  signedIn: string | undefined;
  readonly violations: string[] = [];
  /** Scopes requested, one entry per authorization. */
  readonly scopes: string[] = [];
  readonly #codes = new Map<string, Grant>();
  #server: Server | undefined;
  #port = 0;

  constructor(o: OAuthFakeOptions) {
    this.o = o;
  }

  get authorizeUrl(): string {
    return `http://127.0.0.1:${this.#port}/authorize`;
  }

  get tokenUrl(): string {
    return `http://127.0.0.1:${this.#port}/token`;
  }

  async start(): Promise<this> {
    const server = createFakeServer(
      (req, res) => this.#handle(req, res),
      (e) => this.violations.push(`fake crashed: ${String(e)}`),
    );
    this.#port = await listenLocal(server);
    this.#server = server;
    return this;
  }

  close(): Promise<void> {
    return closeServer(this.#server);
  }

  assertClean(): void {
    assertNoViolations(`${this.o.name} OAuth fake`, this.violations);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    if (req.method === 'GET' && url.pathname === '/authorize') return this.#authorize(url.searchParams, res);
    if (req.method === 'POST' && url.pathname === '/token') return this.#token(req, res);
    res.writeHead(404).end();
  }

  #authorize(q: URLSearchParams, res: ServerResponse): void {
    const bad = (why: string) => {
      this.violations.push(`authorize: ${why}`);
      res.writeHead(400, { 'content-type': 'text/plain' }).end(why);
    };
    if (q.get('response_type') !== 'code') return bad('response_type is not code');
    if (q.get('client_id') !== this.o.clientId) return bad('unknown client_id');
    if (q.get('redirect_uri') !== this.o.redirectUri) return bad('redirect_uri does not match the registered one');
    const state = q.get('state');
    if (!state || state.length < 16) return bad('no unguessable state');
    const challenge = q.get('code_challenge');
    if (!challenge || q.get('code_challenge_method') !== 'S256') return bad('no PKCE S256 challenge');
    if (this.signedIn === undefined) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('nobody is signed in at the provider');
      return;
    }
    const scope = q.get('scope') ?? '';
    this.scopes.push(scope);
    const code = randomBytes(16).toString('hex');
    this.#codes.set(code, { user: this.signedIn, redirectUri: this.o.redirectUri, challenge, scope });
    const back = new URL(this.o.redirectUri);
    back.searchParams.set('code', code);
    back.searchParams.set('state', state);
    res.writeHead(302, { location: back.toString() }).end();
  }

  async #token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const refuse = (error: string, why: string) => {
      this.violations.push(`token: ${why}`);
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error }));
    };
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded'))
      return refuse('invalid_request', 'body is not form-encoded');
    if (form.get('client_id') !== this.o.clientId || form.get('client_secret') !== this.o.clientSecret)
      return refuse('invalid_client', 'wrong client credentials');
    const code = form.get('code') ?? '';
    const grant = this.#codes.get(code);
    this.#codes.delete(code);
    if (!grant) return refuse('invalid_grant', 'unknown or used code');
    if (form.get('redirect_uri') !== grant.redirectUri) return refuse('invalid_grant', 'redirect_uri differs');
    const verifier = form.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge)
      return refuse('invalid_grant', 'PKCE verifier does not match the challenge');
    const accessToken = `oauth_${randomBytes(16).toString('hex')}`;
    this.o.onToken(grant.user, accessToken);
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ access_token: accessToken, token_type: 'bearer', scope: grant.scope }));
  }
}

export async function startOAuthFake(o: OAuthFakeOptions): Promise<OAuthFake> {
  return new OAuthFake(o).start();
}
