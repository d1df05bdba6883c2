import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
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
import { createValidator, loadSpec, specPath, type OpenApiValidator } from '../openapi/index.ts';
import {
  BOT_USER,
  commandJson,
  guildJson,
  memberJson,
  messageJson,
  roleJson,
  userJson,
  type DiscordState,
  type FakeMember,
  type FakeMessage,
  type FakeRole,
} from './state.ts';

/** The REST operations the fake models, by the description's operationId. */
export type DiscordOperation =
  | 'get_guild'
  | 'list_guild_roles'
  | 'list_guild_members'
  | 'get_bot_gateway'
  | 'create_message'
  | 'update_message'
  | 'bulk_set_guild_application_commands'
  | 'get_my_user';

/** A deliberate misbehaviour for the next matching request. */
export type Fault =
  /**
   * A 5xx. Discord's description documents no 5xx for any operation, yet the real API answers 500/502/503 in outages:
   * these responses are exempt from response validation (and only these).
   */
  | { readonly kind: 'server-error'; readonly status: 500 | 502 | 503 }
  /** 429 with `retry_after` (seconds) in the body and `Retry-After` header, as Discord sends it. Validated. */
  | { readonly kind: 'rate-limited'; readonly retryAfter: number }
  /** A members page cut to `keep` entries although more follow: a list that silently looks finished. Validated. */
  | { readonly kind: 'partial-page'; readonly keep: number }
  /** The connection is destroyed without a response. */
  | { readonly kind: 'reset' };

export const faults = {
  serverError: (status: 500 | 502 | 503 = 500): Fault => ({ kind: 'server-error', status }),
  rateLimited: (retryAfterSeconds: number): Fault => ({ kind: 'rate-limited', retryAfter: retryAfterSeconds }),
  partialPage: (keep: number): Fault => ({ kind: 'partial-page', keep }),
  reset: (): Fault => ({ kind: 'reset' }),
};

export type RequestLogEntry = LoggedRequest<Fault['kind']>;

const BASE = '/api/v10';
const HEARTBEAT_INTERVAL_MS = 41_250;

let shared: OpenApiValidator | undefined;
function discordValidator(): OpenApiValidator {
  shared ??= createValidator(loadSpec(specPath('discord-openapi.json')), { basePath: BASE });
  return shared;
}

/**
 * A fake Discord: the REST operations the discord source and discord.js login use, and a minimal gateway, on
 * 127.0.0.1 with an ephemeral port. Point @discordjs/rest at `apiUrl` (`api` option); discord.js finds the gateway
 * through `GET /gateway/bot`, which answers with this server's `ws://` URL.
 *
 * Every REST request and response is validated against Discord's published OpenAPI description
 * (`test/fakes/specs/discord-openapi.json`); departures land in `violations` and fail `assertClean()`. The fake answers
 * like Discord: `Authorization: Bot <token>` or 401 `{code: 0, message: '401: Unauthorized'}`, 404 `Unknown Guild`
 * (10004), members sorted by user id with `limit` 1–1000 and `after`.
 *
 * Gateway: HELLO → IDENTIFY (token checked; 4004 close otherwise) → READY (the guild unavailable) → GUILD_CREATE;
 * heartbeats are ACKed; `addMember` / `updateMember` / `removeMember` dispatch GUILD_MEMBER_ADD / _UPDATE / _REMOVE
 * to identified sessions (sequence numbers increase). JSON encoding, no compression.
 *
 * Does NOT model: any other REST operation (a request to one is a violation and gets 501), rate limits on its own
 * (inject them), RESUME (a resume attempt is answered with INVALID_SESSION), sharding, presences, channels, zlib.
 */
export class DiscordFake {
  readonly token: string;
  readonly state: DiscordState;
  readonly requests: RequestLogEntry[] = [];
  readonly violations: string[] = [];
  /** Gateway opcodes received from clients, in order (1 heartbeat, 2 identify, …). */
  readonly gatewayOps: number[] = [];
  /** OAuth2 access tokens (from the Discord OAuth fake) → the member's user id they act as. */
  readonly oauthTokens = new Map<string, string>();
  #server: Server | undefined;
  #wss: WebSocketServer | undefined;
  #port = 0;
  readonly #faults = new FaultQueue<DiscordOperation, Fault>();
  readonly #sessions = new Set<{ ws: WebSocket; seq: number }>();
  readonly #validator = discordValidator();

  constructor(options: { token?: string; guildId?: string } = {}) {
    this.token = options.token ?? 'fake-discord-bot-token-0123456789';
    const guildId = options.guildId ?? '900000000000000001';
    this.state = {
      guildId,
      guildName: 'Fake Guild',
      ownerId: '900000000000000002',
      roles: new Map([[guildId, { id: guildId, name: '@everyone', position: 0 }]]),
      members: new Map(),
      channels: new Set(),
      messages: new Map(),
      commands: [],
    };
  }

  /** A text channel the bot may post in. */
  addChannel(id: string): void {
    this.state.channels.add(id);
  }

  /** For @discordjs/rest's `api` option: `http://127.0.0.1:PORT/api`. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.#port}/api`;
  }

  async start(): Promise<this> {
    const server = createFakeServer(
      (req, res) => this.#handle(req, res),
      (e) => this.violations.push(`fake crashed: ${String(e)}`),
    );
    const wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => this.#gateway(ws)));
    const port = await listenLocal(server);
    this.#server = server;
    this.#wss = wss;
    this.#port = port;
    return this;
  }

  async close(): Promise<void> {
    for (const s of this.#sessions) s.ws.terminate();
    this.#sessions.clear();
    this.#wss?.close();
    await closeServer(this.#server);
  }

  addRole(id: string, name: string): FakeRole {
    const role = { id, name, position: this.state.roles.size };
    this.state.roles.set(id, role);
    return role;
  }

  /** Adds a member (dispatching GUILD_MEMBER_ADD). */
  addMember(m: Partial<FakeMember> & { id: string }): FakeMember {
    const member: FakeMember = {
      username: `user${m.id.slice(-6)}`,
      globalName: null,
      nick: null,
      bot: false,
      roles: [],
      joinedAt: '2024-01-01T00:00:00.000000+00:00',
      ...m,
    };
    this.state.members.set(member.id, member);
    this.#dispatch('GUILD_MEMBER_ADD', { guild_id: this.state.guildId, ...memberJson(member) });
    return member;
  }

  /** Changes a member's roles (dispatching GUILD_MEMBER_UPDATE). */
  setRoles(id: string, roles: readonly string[]): void {
    const m = this.state.members.get(id);
    if (!m) throw new Error(`no member ${id}`);
    m.roles = [...roles];
    const { mute: _mute, deaf: _deaf, ...rest } = memberJson(m);
    this.#dispatch('GUILD_MEMBER_UPDATE', { guild_id: this.state.guildId, ...rest });
  }

  /** Removes a member (dispatching GUILD_MEMBER_REMOVE). */
  removeMember(id: string): void {
    const m = this.state.members.get(id);
    if (!m) return;
    this.state.members.delete(id);
    this.#dispatch('GUILD_MEMBER_REMOVE', { guild_id: this.state.guildId, user: memberJson(m).user });
  }

  inject(operation: DiscordOperation | '*', ...list: Fault[]): void {
    this.#faults.push(operation, list);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  /** Fails when any request or response departed from Discord's description. */
  assertClean(): void {
    assertNoViolations('Discord fake', this.violations);
  }

  #dispatch(t: string, d: unknown): void {
    for (const s of this.#sessions) s.ws.send(JSON.stringify({ op: 0, t, s: ++s.seq, d }));
  }

  #gateway(ws: WebSocket): void {
    const session = { ws, seq: 0 };
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: HEARTBEAT_INTERVAL_MS }, s: null, t: null }));
    ws.on('message', (raw: Buffer) => {
      let msg: { op?: number; d?: unknown };
      try {
        msg = JSON.parse(raw.toString('utf8')) as { op?: number; d?: unknown };
      } catch {
        ws.close(4002, 'Decode error');
        return;
      }
      this.gatewayOps.push(msg.op ?? -1);
      if (msg.op === 1) ws.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
      else if (msg.op === 6) ws.send(JSON.stringify({ op: 9, d: false, s: null, t: null }));
      else if (msg.op === 2) {
        const token = (msg.d as { token?: string } | undefined)?.token ?? '';
        if (token.replace(/^Bot /, '') !== this.token) {
          ws.close(4004, 'Authentication failed.');
          return;
        }
        this.#sessions.add(session);
        const send = (t: string, d: unknown) => ws.send(JSON.stringify({ op: 0, t, s: ++session.seq, d }));
        send('READY', {
          v: 10,
          user: {
            id: '900000000000000009',
            username: 'gatehouse',
            discriminator: '0',
            avatar: null,
            bot: true,
            global_name: null,
            flags: 0,
          },
          guilds: [{ id: this.state.guildId, unavailable: true }],
          session_id: 'fake-session',
          resume_gateway_url: `ws://127.0.0.1:${this.#port}`,
          application: { id: '900000000000000009', flags: 0 },
          private_channels: [],
        });
        send('GUILD_CREATE', {
          ...guildJson(this.state, false),
          unavailable: false,
          member_count: this.state.members.size,
          large: false,
          joined_at: '2024-01-01T00:00:00.000000+00:00',
          members: [],
          channels: [],
          threads: [],
          presences: [],
          voice_states: [],
          stage_instances: [],
          guild_scheduled_events: [],
          soundboard_sounds: [],
        });
      }
    });
    ws.on('close', () => this.#sessions.delete(session));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { url, method, operationId, body } = await receiveRequest(req, this.#validator, this.violations);
    const entry: RequestLogEntry = {
      method,
      path: url.pathname,
      query: url.search,
      ...(operationId === undefined ? {} : { operationId }),
    };
    this.requests.push(entry);
    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}, validate = true) =>
      this.#send(req, res, entry, status, payload, headers, validate);

    const op = operationId as DiscordOperation | undefined;
    const modelled: readonly string[] = [
      'get_guild',
      'list_guild_roles',
      'list_guild_members',
      'get_bot_gateway',
      'create_message',
      'update_message',
      'bulk_set_guild_application_commands',
      'get_my_user',
    ];
    if (op === undefined || !modelled.includes(op)) {
      if (op !== undefined) {
        this.violations.push(`request ${method} ${url.pathname}: ${op} is not modelled by the fake`);
        return reply(501, { code: 0, message: 'Not implemented by the fake' }, {}, false);
      }
      return reply(404, { code: 0, message: '404: Not Found' }, {}, false);
    }
    const fault = this.#faults.take(op);
    if (fault?.kind === 'reset') {
      entry.fault = 'reset';
      entry.status = 0;
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'server-error') {
      entry.fault = fault.kind;
      return reply(fault.status, { code: 0, message: `${fault.status}: Internal Server Error` }, {}, false);
    }
    if (fault?.kind === 'rate-limited') {
      entry.fault = fault.kind;
      return reply(
        429,
        { code: 0, message: 'You are being rate limited.', retry_after: fault.retryAfter, global: false },
        { 'retry-after': String(Math.ceil(fault.retryAfter)), 'x-ratelimit-scope': 'user' },
      );
    }
    if (op === 'get_my_user') {
      // An OAuth2 user token (scope identify) answers for its user; the bot token for the bot.
      const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      const userId = bearer === undefined ? undefined : this.oauthTokens.get(bearer);
      const m = userId === undefined ? undefined : this.state.members.get(userId);
      // UserPIIResponse: the public user plus what the owner of the token may see.
      const pii = { mfa_enabled: false, locale: 'en-US' };
      if (m) return reply(200, { ...userJson(m), ...pii });
      if (req.headers.authorization === `Bot ${this.token}`) return reply(200, { ...BOT_USER, ...pii });
      return reply(401, { code: 0, message: '401: Unauthorized' });
    }
    if (req.headers.authorization !== `Bot ${this.token}`) return reply(401, { code: 0, message: '401: Unauthorized' });
    if (op === 'get_bot_gateway') {
      return reply(200, {
        url: `ws://127.0.0.1:${this.#port}`,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
      });
    }
    if (op === 'create_message' || op === 'update_message') return this.#message(op, url.pathname, body, reply);
    if (op === 'bulk_set_guild_application_commands') {
      const [, app, guild] = /^\/api\/v10\/applications\/(\d+)\/guilds\/(\d+)\/commands$/.exec(url.pathname) ?? [];
      if (guild !== this.state.guildId) return reply(404, { code: 10004, message: 'Unknown Guild' });
      const list = JSON.parse(body) as { name: string; description: string; options?: unknown[] }[];
      this.state.commands = list.map((c, i) => ({
        id: String(910000000000000000n + BigInt(i)),
        name: c.name,
        description: c.description,
        ...(c.options ? { options: c.options } : {}),
      }));
      return reply(
        200,
        this.state.commands.map((c) => commandJson(c, app as string, guild)),
      );
    }
    const guildId = /\/guilds\/(\d+)/.exec(url.pathname)?.[1];
    if (guildId !== this.state.guildId) return reply(404, { code: 10004, message: 'Unknown Guild' });
    if (op === 'get_guild') return reply(200, guildJson(this.state, url.searchParams.get('with_counts') === 'true'));
    if (op === 'list_guild_roles') return reply(200, [...this.state.roles.values()].map(roleJson));
    const limit = Number(url.searchParams.get('limit') ?? '1');
    const after = BigInt(url.searchParams.get('after') ?? '0');
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      return reply(400, { code: 50035, message: 'Invalid Form Body' });
    }
    let page = [...this.state.members.values()]
      .filter((m) => BigInt(m.id) > after)
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
      .slice(0, limit);
    if (fault?.kind === 'partial-page') {
      entry.fault = fault.kind;
      page = page.slice(0, fault.keep);
    }
    return reply(200, page.map(memberJson));
  }

  #message(
    op: 'create_message' | 'update_message',
    path: string,
    body: string,
    reply: (status: number, payload: unknown) => void,
  ): void {
    const [, channelId, messageId] = /^\/api\/v10\/channels\/(\d+)\/messages(?:\/(\d+))?$/.exec(path) ?? [];
    if (!channelId || !this.state.channels.has(channelId))
      return reply(404, { code: 10003, message: 'Unknown Channel' });
    const sent = JSON.parse(body) as { content?: string; components?: unknown[] };
    const at = new Date().toISOString();
    if (op === 'create_message') {
      const id = String(920000000000000000n + BigInt(this.state.messages.size));
      const m: FakeMessage = {
        id,
        channelId,
        content: sent.content ?? '',
        components: sent.components ?? [],
        timestamp: at,
        editedTimestamp: null,
      };
      this.state.messages.set(id, m);
      return reply(200, messageJson(m));
    }
    const m = messageId === undefined ? undefined : this.state.messages.get(messageId);
    if (!m || m.channelId !== channelId) return reply(404, { code: 10008, message: 'Unknown Message' });
    if (sent.content !== undefined) m.content = sent.content;
    if (sent.components !== undefined) m.components = sent.components;
    m.editedTimestamp = at;
    return reply(200, messageJson(m));
  }

  #send(
    req: IncomingMessage,
    res: ServerResponse,
    entry: RequestLogEntry,
    status: number,
    payload: unknown,
    headers: Record<string, string>,
    validate: boolean,
  ): void {
    const all = { 'content-type': 'application/json', ...headers };
    sendResponse(
      this.#validator,
      this.violations,
      { req, res },
      entry,
      { status, headers: all, text: JSON.stringify(payload) },
      validate,
    );
  }
}

/** Starts a fake; close it with `await fake.close()`. */
export async function startDiscordFake(options: { token?: string; guildId?: string } = {}): Promise<DiscordFake> {
  return new DiscordFake(options).start();
}
