import { DiscordAPIError, type REST } from '@discordjs/rest';
import { requestTimeout, withDeadline } from '../../core/deadline.ts';
import { GatehouseError, describeError, isGatehouseError } from '../../core/errors.ts';
import type { Group, Person, SourceRead } from '../../core/model.ts';

/** The fields of a guild member this source reads (Discord's GuildMemberResponse). */
export interface MemberWire {
  readonly user: {
    readonly id: string;
    readonly username: string;
    readonly global_name?: string | null;
    readonly bot?: boolean;
  };
  readonly nick?: string | null;
  readonly roles: readonly string[];
}

export interface RoleWire {
  readonly id: string;
  readonly name: string;
}

export interface DiscordReadInput {
  readonly guildId: string;
  readonly roleGroups: 'id' | 'name' | 'both';
  readonly includeBots: boolean;
  readonly memberCountTolerance: number;
  readonly maxMembers: number;
  readonly rest: Pick<REST, 'get'>;
  /** `rest`'s own timeout of each attempt, and the bound of one request with its retries (`run.requestTimeout`). */
  readonly timeouts?: { readonly attemptMs: number; readonly requestMs: number };
  /** For messages; defaults to Discord's. */
  readonly apiUrl?: string;
}

/** Discord's largest page of `GET /guilds/{id}/members`. */
export const PAGE_LIMIT = 1000;

/**
 * Reads roles, then every member (pages of 1000, `after` = the last user id), and cross-checks the count against the
 * guild's `approximate_member_count`.
 *
 * People: `discord:<user id>`, display name = guild nickname, else global name, else username; bots left out unless
 * `includeBots`. Groups: one per role, named by its id and/or its name (see `roleGroups`); the `@everyone` role (its id
 * is the guild id) holds every member, so it can serve as "is in the guild".
 *
 * Never a short list: a failed request (after @discordjs/rest's retries and 429 waits), ids that do not increase
 * across pages, more than `maxMembers`, or a count far from the guild's approximate count → `complete: false` with a
 * note. A refused token (401/403) or unknown guild (404) is thrown as a terminal SOURCE_INCOMPLETE. A request that gets
 * no complete answer within `timeouts` is thrown as TIMEOUT naming the API host and route (the pipeline counts the read
 * as incomplete).
 */
export async function readDiscord(input: DiscordReadInput, signal: AbortSignal): Promise<SourceRead> {
  const notes: string[] = [];
  try {
    const guild = (await get(
      input,
      `/guilds/${input.guildId}`,
      new URLSearchParams({ with_counts: 'true' }),
      signal,
    )) as {
      approximate_member_count?: number;
    };
    const roles = (await get(input, `/guilds/${input.guildId}/roles`, undefined, signal)) as RoleWire[];
    const members = await listMembers(input, signal);
    const expected = guild.approximate_member_count;
    if (typeof expected === 'number') {
      const slack = Math.ceil(expected * input.memberCountTolerance) + 5;
      if (Math.abs(members.length - expected) > slack) {
        return incomplete(
          notes,
          `read ${members.length} members but the guild reports about ${expected}; the member list is partial`,
        );
      }
    }
    const facts = toFacts(input, roles, members, notes);
    return { complete: true, facts, notes: [...new Set(notes)] };
  } catch (e) {
    if (e instanceof GatehouseError && e.code === 'SOURCE_INCOMPLETE' && !e.terminal)
      return incomplete(notes, e.message);
    throw e;
  }
}

function incomplete(notes: string[], why: string): SourceRead {
  return { complete: false, facts: {}, notes: [...notes, why] };
}

async function listMembers(input: DiscordReadInput, signal: AbortSignal): Promise<MemberWire[]> {
  const out: MemberWire[] = [];
  let after = '0';
  const maxPages = Math.ceil(input.maxMembers / PAGE_LIMIT) + 1;
  for (let page = 0; page < maxPages; page++) {
    const query = new URLSearchParams({ limit: String(PAGE_LIMIT), after });
    const batch = (await get(input, `/guilds/${input.guildId}/members`, query, signal)) as MemberWire[];
    if (!Array.isArray(batch)) throw incompleteError('a members page is not a list');
    for (const m of batch) {
      const id = m?.user?.id;
      if (typeof id !== 'string' || !/^\d+$/.test(id) || BigInt(id) <= BigInt(after)) {
        throw incompleteError(`member ids do not increase across pages (after ${after}: ${String(id)})`);
      }
      after = id;
      out.push(m);
    }
    if (out.length > input.maxMembers) throw incompleteError(`more than maxMembers (${input.maxMembers}) members`);
    if (batch.length < PAGE_LIMIT) return out;
  }
  throw incompleteError(`more than maxMembers (${input.maxMembers}) members`);
}

function toFacts(input: DiscordReadInput, roles: readonly RoleWire[], members: readonly MemberWire[], notes: string[]) {
  const people: Person[] = [];
  const byRole = new Map<string, string[]>(roles.map((r) => [r.id, []]));
  let bots = 0;
  for (const m of members) {
    if (m.user.bot && !input.includeBots) {
      bots++;
      continue;
    }
    const id = `discord:${m.user.id}`;
    const displayName = m.nick ?? m.user.global_name ?? m.user.username;
    people.push({ id, displayName, accounts: { discord: m.user.id } });
    byRole.get(input.guildId)?.push(id);
    for (const r of new Set(m.roles)) {
      if (r === input.guildId) continue;
      const list = byRole.get(r);
      if (list) list.push(id);
      else notes.push(`member ${m.user.id} has unknown role ${r}`);
    }
  }
  if (bots > 0) notes.push(`${bots} bot(s) left out`);
  const groups: Group[] = [];
  const nameCount = new Map<string, number>();
  for (const r of roles) nameCount.set(r.name, (nameCount.get(r.name) ?? 0) + 1);
  const ids = new Set(roles.map((r) => r.id));
  for (const r of roles) {
    const members = [...(byRole.get(r.id) ?? [])].sort();
    if (input.roleGroups !== 'name') groups.push({ name: r.id, members });
    if (input.roleGroups === 'id') continue;
    if ((nameCount.get(r.name) ?? 0) > 1)
      notes.push(`role name ${JSON.stringify(r.name)} is shared by several roles: no group by that name`);
    else if (ids.has(r.name))
      notes.push(`role name ${JSON.stringify(r.name)} is also a role id: no group by that name`);
    else groups.push({ name: r.name, members });
  }
  people.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  groups.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { people, groups };
}

async function get(input: DiscordReadInput, route: string, query: URLSearchParams | undefined, signal: AbortSignal) {
  const what = `GET ${hostOf(input.apiUrl)}${route}`;
  const call = (s: AbortSignal) => input.rest.get(route as `/${string}`, { ...(query ? { query } : {}), signal: s });
  try {
    // @discordjs/rest times out each attempt only until the headers arrive, and retries; the deadline bounds the whole
    // request, body and retries included.
    return input.timeouts ? await withDeadline(what, input.timeouts.requestMs, signal, call) : await call(signal);
  } catch (e) {
    if (isGatehouseError(e)) throw e;
    // What @discordjs/rest throws when its own per-attempt timeout ran out on the last attempt.
    if (e instanceof Error && e.name === 'AbortError' && !signal.aborted && input.timeouts) {
      throw requestTimeout(what, input.timeouts.attemptMs);
    }
    if (e instanceof DiscordAPIError && [401, 403, 404].includes(e.status)) {
      const why =
        e.status === 404 ? `guild ${input.guildId} not found (or the bot is not in it)` : 'the bot token was refused';
      throw new GatehouseError('SOURCE_INCOMPLETE', `GET ${route}: ${e.status}: ${why}`, { terminal: true, cause: e });
    }
    throw incompleteError(`GET ${route} failed: ${describeError(e)}`);
  }
}

function hostOf(apiUrl: string | undefined): string {
  try {
    return new URL(apiUrl ?? 'https://discord.com/api').host;
  } catch {
    return 'discord';
  }
}

function incompleteError(message: string): GatehouseError {
  return new GatehouseError('SOURCE_INCOMPLETE', message);
}
