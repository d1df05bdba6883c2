import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  assertNoViolations,
  closeServer,
  createFakeServer,
  FaultQueue,
  listenLocal,
  type LoggedRequest,
  receiveRequest,
  sendResponse,
} from '../http-fake.ts';
import type { OpenApiValidator } from '../openapi/index.ts';
import { handlers, type Handler, type Principal, type Reply } from './handlers.ts';
import { githubValidator } from './spec.ts';
import {
  emptyState,
  removeMember,
  type FakeInvitation,
  type FakeOrgRole,
  type FakeTeam,
  type FakeTeamRole,
  type FakeUser,
  type GithubState,
} from './state.ts';
import { error } from './wire.ts';

/** A deliberate misbehaviour for a matching request. Injected answers are validated like any other. */
export type Fault =
  | { readonly kind: 'status'; readonly status: 500 | 502 | 503 }
  /** GitHub's secondary rate limit: 403 or 429, a message naming it, and `retry-after` in seconds. */
  | { readonly kind: 'secondary-limit'; readonly status: 403 | 429; readonly retryAfter: number }
  /** The connection is destroyed without an answer. */
  | { readonly kind: 'reset' };

export const faults = {
  serverError: (status: 500 | 502 | 503 = 502): Fault => ({ kind: 'status', status }),
  secondaryLimit: (retryAfter = 1, status: 403 | 429 = 403): Fault => ({ kind: 'secondary-limit', status, retryAfter }),
  reset: (): Fault => ({ kind: 'reset' }),
};

export interface RequestLogEntry extends LoggedRequest<Fault['kind']> {
  /** Milliseconds since the fake started (monotonic), when the request arrived. */
  readonly at: number;
}

/** Request counts: what a run cost. `primary` is what GitHub charges to the primary rate limit (every non-304). */
export interface RequestCounts {
  requests: number;
  get: number;
  nonGet: number;
  notModified: number;
  primary: number;
}

export interface GithubFakeOptions {
  readonly org?: string;
  /** Primary quota per hour (`x-ratelimit-limit`). Default 5000. */
  readonly rateLimit?: number;
  /** A GitHub App whose JWTs (RS256, signed with the matching private key) may mint installation tokens. */
  readonly app?: { readonly appId: number; readonly installationId: number; readonly publicKey: string | KeyObject };
}

/**
 * A stateful fake of the part of GitHub's REST API that organisation and team sync uses, on 127.0.0.1 with an
 * ephemeral port, meant to be driven by the real Octokit.
 *
 * Every request and response is validated against GitHub's own description (`@octokit/openapi`, api.github.com), with
 * the documented adaptations of {@link adaptGithubSpec}; departures are recorded in `violations` and `assertClean()`
 * fails the test. It models: users (renames; deletion answers 404), an org with members by role, invitations (a
 * membership PUT for a non-member creates one), failed invitations, teams and team memberships, teams synchronised
 * with an identity provider (membership writes answer 403) and enterprise teams, weak ETags with 304s (which do not
 * spend quota), Link-header pagination (`per_page` up to 100, default 30), `x-ratelimit-*` headers and an exhausted
 * primary quota, secondary-limit 403/429 with `retry-after`, 5xx and connection resets (injected), tokens and GitHub
 * App installation tokens.
 *
 * Does NOT model: any other operation (a request to one is a violation and gets 501), OAuth scopes or fine-grained
 * permissions (an org owner's token or an installation token may do everything; a non-owner's may only read), SSO,
 * the 50/500 invitation limit, secondary limits on its own (inject them), `Vary`-dependent caching.
 */
export class GithubFake {
  readonly state: GithubState;
  readonly requests: RequestLogEntry[] = [];
  readonly violations: string[] = [];
  readonly counts: RequestCounts = { requests: 0, get: 0, nonGet: 0, notModified: 0, primary: 0 };
  readonly byOperation = new Map<string, RequestCounts>();
  readonly rate: { limit: number; remaining: number; reset: number };
  /** Called for each request before it is answered: lets a test change the state in the middle of a run. */
  onRequest: ((entry: RequestLogEntry) => void) | undefined;
  /** The clock of invitation timestamps. */
  now: () => Date = () => new Date();
  #server: Server | undefined;
  #url = '';
  readonly #faults = new FaultQueue<string, Fault>();
  readonly #nth = new Map<string, { n: number; fault: Fault }[]>();
  readonly #seen = new Map<string, number>();
  readonly #t0 = performance.now();
  readonly #validator: OpenApiValidator = githubValidator();
  readonly #app: { appId: number; installationId: number; key: KeyObject } | undefined;

  constructor(options: GithubFakeOptions = {}) {
    this.state = emptyState(options.org ?? 'acme');
    const limit = options.rateLimit ?? 5000;
    this.rate = { limit, remaining: limit, reset: Math.floor(Date.now() / 1000) + 3600 };
    if (options.app) {
      const { publicKey } = options.app;
      this.#app = {
        appId: options.app.appId,
        installationId: options.app.installationId,
        key: typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey,
      };
    }
  }

  /** Base URL, e.g. `http://127.0.0.1:41234` (GitHub's API has no path prefix). */
  get url(): string {
    return this.#url;
  }

  async start(): Promise<this> {
    const server = createFakeServer(
      (req, res) => this.#handle(req, res),
      (e) => this.violations.push(`fake crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
    );
    const port = await listenLocal(server);
    this.#server = server;
    this.#url = `http://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    await closeServer(this.#server);
  }

  // ---- state helpers -------------------------------------------------------------------------------------------

  addUser(login: string, id?: number, type: FakeUser['type'] = 'User'): FakeUser {
    const user: FakeUser = { id: id ?? this.state.nextId++, login, type };
    this.state.users.set(user.id, user);
    return user;
  }

  /** A personal access token acting as `userId`. */
  issueToken(userId: number, token = `ghp_fake${userId}x${'0'.repeat(20)}`): string {
    this.state.tokens.set(token, userId);
    return token;
  }

  addMember(userId: number, role: FakeOrgRole = 'member'): void {
    this.#user(userId);
    this.state.org.members.set(userId, role);
  }

  addTeam(
    slug: string,
    options: { id?: number; name?: string; idpSynced?: boolean; type?: FakeTeam['type'] } = {},
  ): FakeTeam {
    const t: FakeTeam = {
      id: options.id ?? this.state.nextId++,
      slug,
      name: options.name ?? slug,
      type: options.type ?? 'organization',
      idpSynced: options.idpSynced ?? false,
      members: new Map(),
    };
    this.state.org.teams.set(slug, t);
    return t;
  }

  addTeamMember(slug: string, userId: number, role: FakeTeamRole = 'member'): void {
    const t = this.state.org.teams.get(slug);
    if (!t) throw new Error(`no team ${slug}`);
    if (!this.state.org.members.has(userId)) throw new Error(`user ${userId} is not an org member`);
    t.members.set(userId, role);
  }

  addInvitation(i: Partial<FakeInvitation> & { inviteeId: number | null; inviterId: number }): FakeInvitation {
    const inv: FakeInvitation = {
      id: i.id ?? this.state.nextId++,
      inviteeId: i.inviteeId,
      email: i.email ?? null,
      role: i.role ?? 'direct_member',
      createdAt: i.createdAt ?? this.now().toISOString(),
      inviterId: i.inviterId,
      teamIds: i.teamIds ?? [],
      ...(i.failedAt === undefined ? {} : { failedAt: i.failedAt, failedReason: i.failedReason ?? 'expired' }),
    };
    this.state.org.invitations.set(inv.id, inv);
    return inv;
  }

  /** The invitee accepts: becomes a member (owner for an admin invitation) and joins the invitation's teams. */
  acceptInvitation(id: number): void {
    const inv = this.state.org.invitations.get(id);
    if (!inv || inv.inviteeId === null || inv.failedAt !== undefined)
      throw new Error(`invitation ${id} is not pending`);
    this.state.org.invitations.delete(id);
    this.state.org.members.set(inv.inviteeId, inv.role === 'admin' ? 'admin' : 'member');
    for (const t of this.state.org.teams.values())
      if (inv.teamIds.includes(t.id)) t.members.set(inv.inviteeId, 'member');
  }

  failInvitation(id: number, reason = 'Invitation expired', at = this.now().toISOString()): void {
    const inv = this.state.org.invitations.get(id);
    if (!inv) throw new Error(`no invitation ${id}`);
    inv.failedAt = at;
    inv.failedReason = reason;
  }

  rename(userId: number, login: string): void {
    this.#user(userId).login = login;
  }

  /** The account is deleted: its lookups answer 404, and it leaves the org, its teams and its invitations. */
  deleteUser(userId: number): void {
    removeMember(this.state, userId);
    for (const [id, i] of this.state.org.invitations) if (i.inviteeId === userId) this.state.org.invitations.delete(id);
    this.state.users.delete(userId);
  }

  #user(id: number): FakeUser {
    const u = this.state.users.get(id);
    if (!u) throw new Error(`no user ${id}`);
    return u;
  }

  // ---- faults and counters -------------------------------------------------------------------------------------

  /** Queues faults for the next requests to `operationId` (e.g. `orgs/list-members`) or to any operation (`*`). */
  inject(operationId: string, ...list: Fault[]): void {
    this.#faults.push(operationId, list);
  }

  /** The `n`-th request to `operationId` from now on (1 = the next) gets `fault`. */
  failNth(operationId: string, n: number, fault: Fault): void {
    const seen = this.#seen.get(operationId) ?? 0;
    this.#nth.set(operationId, [...(this.#nth.get(operationId) ?? []), { n: seen + n, fault }]);
  }

  pendingFaults(): number {
    let n = this.#faults.size;
    for (const l of this.#nth.values()) n += l.length;
    return n;
  }

  resetCounts(): void {
    Object.assign(this.counts, { requests: 0, get: 0, nonGet: 0, notModified: 0, primary: 0 });
    this.byOperation.clear();
    this.requests.length = 0;
  }

  /** A copy of the counters, for before/after comparisons. */
  snapshot(): RequestCounts {
    return { ...this.counts };
  }

  clearViolations(): void {
    this.violations.length = 0;
  }

  /** Fails when any request or response departed from GitHub's description. */
  assertClean(): void {
    assertNoViolations('GitHub fake', this.violations, 30);
  }

  // ---- HTTP ----------------------------------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { url, method, body: raw, operationId } = await receiveRequest(req, this.#validator, this.violations);
    const entry: RequestLogEntry = {
      at: performance.now() - this.#t0,
      method,
      path: url.pathname,
      query: url.search,
      ...(operationId === undefined ? {} : { operationId }),
    };
    this.requests.push(entry);
    this.counts.requests++;
    if (method === 'GET') this.counts.get++;
    else this.counts.nonGet++;
    this.onRequest?.(entry);

    const send = (reply: Reply) => this.#send(req, res, entry, reply);
    if (operationId === undefined) return send({ status: 404, body: error('Not Found') });
    const handler: Handler | undefined = handlers[operationId];
    if (!handler) {
      this.violations.push(`request ${method} ${url.pathname}: ${operationId} is not modelled by the fake`);
      return send({ status: 501, body: error('Not implemented by the fake') });
    }
    const seen = (this.#seen.get(operationId) ?? 0) + 1;
    this.#seen.set(operationId, seen);

    const fault = this.#takeFault(operationId, seen);
    if (fault) {
      entry.fault = fault.kind;
      if (fault.kind === 'reset') {
        entry.status = 0;
        req.socket.destroy();
        return;
      }
      if (fault.kind === 'status') return send({ status: fault.status, body: error('Server Error') });
      return send({
        status: fault.status,
        headers: { 'retry-after': String(fault.retryAfter) },
        body: error(
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach ' +
            'out to GitHub Support for help, please include the request ID.',
        ),
      });
    }

    const principal = this.#authenticate(req.headers.authorization);
    if (!principal) {
      return send({
        status: 401,
        body: error(req.headers.authorization ? 'Bad credentials' : 'Requires authentication'),
      });
    }
    if (this.rate.remaining <= 0) {
      return send({ status: 403, body: error('API rate limit exceeded. (But here is the good news: ...)') });
    }
    let body: unknown;
    try {
      body = raw === '' ? undefined : (JSON.parse(raw) as unknown);
    } catch {
      return send({ status: 400, body: error('Problems parsing JSON') });
    }
    const match = this.#validator.matchOperation(method, url.pathname);
    const reply = handler({
      state: this.state,
      api: this.#url,
      params: match?.pathParams ?? {},
      query: url.searchParams,
      path: url.pathname,
      body,
      principal,
      now: this.now(),
      appInstallationId: this.#app?.installationId,
    });
    if (method === 'GET' && reply.status === 200) {
      const text = JSON.stringify(reply.body);
      const etag = `W/"${createHash('sha256')
        .update(text)
        .update('\n')
        .update(reply.headers?.link ?? '')
        .digest('hex')
        .slice(0, 32)}"`;
      const ifNoneMatch = req.headers['if-none-match'];
      if (typeof ifNoneMatch === 'string' && ifNoneMatch.split(',').some((t) => sameTag(t.trim(), etag))) {
        return send({ status: 304, headers: { etag } });
      }
      return send({ ...reply, headers: { ...reply.headers, etag } });
    }
    return send(reply);
  }

  #takeFault(operationId: string, seen: number): Fault | undefined {
    const nth = this.#nth.get(operationId);
    const i = nth?.findIndex((x) => x.n === seen) ?? -1;
    if (nth && i >= 0) return nth.splice(i, 1)[0]?.fault;
    return this.#faults.take(operationId);
  }

  #authenticate(header: string | undefined): Principal | undefined {
    const m = /^(?:token|bearer)\s+(\S+)$/i.exec(header ?? '');
    if (!m?.[1]) return undefined;
    const secret = m[1];
    const userId = this.state.tokens.get(secret);
    if (userId !== undefined) {
      const user = this.state.users.get(userId);
      return user ? { kind: 'user', user } : undefined;
    }
    const installation = this.state.installationTokens.get(secret);
    if (installation !== undefined) return { kind: 'installation', installationId: installation };
    if (this.#app && this.#verifyJwt(secret)) return { kind: 'app', appId: this.#app.appId };
    return undefined;
  }

  /** An RS256 JWT signed by the app's key, issued for the app, not expired (GitHub allows 10 minutes). */
  #verifyJwt(token: string): boolean {
    const app = this.#app;
    const parts = token.split('.');
    if (!app || parts.length !== 3) return false;
    const [h, p, s] = parts as [string, string, string];
    try {
      const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string };
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { iss?: unknown; exp?: unknown };
      if (header.alg !== 'RS256') return false;
      if (String(payload.iss) !== String(app.appId)) return false;
      if (typeof payload.exp !== 'number' || payload.exp * 1000 < Date.now()) return false;
      return verify('RSA-SHA256', Buffer.from(`${h}.${p}`), app.key, Buffer.from(s, 'base64url'));
    } catch {
      return false;
    }
  }

  #send(req: IncomingMessage, res: ServerResponse, entry: RequestLogEntry, reply: Reply): void {
    const notModified = reply.status === 304;
    if (notModified) this.counts.notModified++;
    else {
      this.counts.primary++;
      this.rate.remaining = Math.max(0, this.rate.remaining - 1);
    }
    const op = entry.operationId ?? `${entry.method} ${entry.path}`;
    const per = this.byOperation.get(op) ?? { requests: 0, get: 0, nonGet: 0, notModified: 0, primary: 0 };
    per.requests++;
    if (entry.method === 'GET') per.get++;
    else per.nonGet++;
    if (notModified) per.notModified++;
    else per.primary++;
    this.byOperation.set(op, per);

    const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
    const headers: Record<string, string> = {
      ...(text === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': String(this.rate.limit),
      'x-ratelimit-remaining': String(this.rate.remaining),
      'x-ratelimit-used': String(this.rate.limit - this.rate.remaining),
      'x-ratelimit-reset': String(this.rate.reset),
      'x-ratelimit-resource': 'core',
      ...reply.headers,
    };
    sendResponse(this.#validator, this.violations, { req, res }, entry, { status: reply.status, headers, text });
  }
}

function sameTag(a: string, b: string): boolean {
  const strip = (t: string) => t.replace(/^W\//, '');
  return a === '*' || strip(a) === strip(b);
}

/** Starts a fake; close it with `await fake.close()`. */
export async function startGithubFake(options: GithubFakeOptions = {}): Promise<GithubFake> {
  return new GithubFake(options).start();
}
