import * as z from 'zod';
import type { KeyValueCache } from '../../core/cache.ts';
import type { ConditionalReader } from './conditional.ts';
import { mapLimit } from '../../core/map-limit.ts';
import type {
  GithubObserved,
  ObservedFailedInvitation,
  ObservedInvitation,
  ObservedMember,
  ObservedTeam,
  TeamRole,
} from './types.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

const user = z.object({ id: z.number().int().positive(), login: z.string().min(1) });
const invitation = z.object({
  id: z.number().int().positive(),
  login: z.string().nullable(),
  role: z.string(),
  created_at: z.string(),
  failed_at: z.string().nullish(),
  failed_reason: z.string().nullish(),
  inviter: z.object({ id: z.number().int() }).nullish(),
  team_count: z.number().int().nonnegative(),
});
const team = z.object({ id: z.number().int().positive(), slug: z.string().min(1), type: z.string().optional() });

const asUser = (x: unknown) => {
  const u = user.parse(x);
  return { id: u.id, login: u.login };
};

export interface ObserveOptions {
  readonly org: string;
  readonly reader: ConditionalReader;
  /** Whose members to list: the configured slugs, or `all` (for `gatehouse github dump`). */
  readonly teams: readonly string[] | 'all';
  /** True for token auth: the credential is a user that `GET /user` names. An App is no user. */
  readonly hasSelf: boolean;
  readonly cache: KeyValueCache;
  readonly concurrency: number;
  readonly now: () => Date;
}

/**
 * Reads the organisation with conditional requests only (see {@link ConditionalReader}):
 *
 * - `GET /user` (token auth): the credential's own account, for the self guard;
 * - org members twice, `role=admin` and `role=all` (two listings instead of a lookup per member);
 * - pending and failed invitations; the invitee of each pending invitation is resolved from its login with
 *   `GET /users/{login}`, since the listing carries no user id;
 * - every team (enterprise-owned ones are unmanageable), then for each managed team its members, `role=maintainer`
 *   and `role=all`. A team whose membership writes GitHub refused (what an identity-provider-synchronised team
 *   answers) is marked unmanageable for a day (see {@link markTeamRefused}), then tried again.
 *
 * Reads only. Fails as a whole (TARGET_FAILED / TARGET_FORBIDDEN) when any listing fails: a partial org must never
 * read as members to remove.
 */
export async function observeGithub(o: ObserveOptions, signal: AbortSignal): Promise<GithubObserved> {
  const org = encodeURIComponent(o.org);
  const r = o.reader;
  const [self, admins, all, pending, failed, teams] = await Promise.all([
    o.hasSelf ? r.get('/user', asUser, signal) : Promise.resolve(undefined),
    r.list(`/orgs/${org}/members?role=admin`, asUser, signal),
    r.list(`/orgs/${org}/members?role=all`, asUser, signal),
    r.list(`/orgs/${org}/invitations`, (x) => invitation.parse(x), signal),
    r.list(`/orgs/${org}/failed_invitations`, (x) => invitation.parse(x), signal),
    r.list(`/orgs/${org}/teams`, (x) => team.parse(x), signal),
  ]);

  const adminIds = new Set(admins.map((a) => a.id));
  const byId = new Map<number, ObservedMember>();
  // A member seen only in the admin listing (promoted between the two reads) is still a member.
  for (const u of [...all, ...admins]) byId.set(u.id, { ...u, role: adminIds.has(u.id) ? 'admin' : 'member' });
  const members = [...byId.values()].sort((a, b) => a.id - b.id);

  const logins = [...new Set(pending.flatMap((i) => (i.login ? [i.login] : [])))].sort();
  const ids = new Map<string, number | null>();
  await mapLimit(logins, o.concurrency, signal, async (login, s) => {
    const u = await r.get(`/users/${encodeURIComponent(login)}`, asUser, s);
    ids.set(login, u?.id ?? null);
  });
  const invitations: ObservedInvitation[] = pending
    .map((i) => ({
      id: i.id,
      login: i.login,
      inviteeId: i.login ? (ids.get(i.login) ?? null) : null,
      role: i.role,
      createdAt: i.created_at,
      inviterId: i.inviter?.id ?? null,
      teamCount: i.team_count,
    }))
    .sort((a, b) => a.id - b.id);
  const failedInvitations: ObservedFailedInvitation[] = failed
    .map((i) => ({
      id: i.id,
      login: i.login,
      createdAt: i.created_at,
      failedAt: i.failed_at ?? null,
      failedReason: i.failed_reason ?? null,
    }))
    .sort((a, b) => a.id - b.id);

  const now = o.now();
  const managed = o.teams === 'all' ? null : new Set(o.teams);
  const observedTeams: ObservedTeam[] = await mapLimit(
    [...teams].sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0)),
    o.concurrency,
    signal,
    async (t, signal): Promise<ObservedTeam> => {
      const enterprise =
        t.type === 'enterprise' ? 'an enterprise team: its membership is managed in the enterprise' : null;
      if (managed && !managed.has(t.slug)) return { id: t.id, slug: t.slug, unmanageable: enterprise, members: null };
      const unmanageable = enterprise ?? (await refusedTeam(o.cache, o.org, t.slug, now));
      const path = `/orgs/${org}/teams/${encodeURIComponent(t.slug)}/members`;
      const [maintainers, everyone] = await Promise.all([
        r.list(`${path}?role=maintainer`, asUser, signal),
        r.list(`${path}?role=all`, asUser, signal),
      ]);
      const lead = new Set(maintainers.map((m) => m.id));
      const list = new Map<number, { id: number; login: string; role: TeamRole }>();
      for (const u of [...everyone, ...maintainers])
        list.set(u.id, { ...u, role: lead.has(u.id) ? 'maintainer' : 'member' });
      return { id: t.id, slug: t.slug, unmanageable, members: [...list.values()].sort((a, b) => a.id - b.id) };
    },
  );

  const since = now.getTime() - DAY_MS;
  const recent = [...pending, ...failed].filter((i) => Date.parse(i.created_at) >= since).length;
  return {
    org: o.org,
    self: self ?? null,
    members,
    invitations,
    failedInvitations,
    teams: observedTeams,
    invitationsLast24h: recent,
  };
}

function refusedKey(org: string, slug: string): string {
  return `github:team-refused:${org.toLowerCase()}:${slug}`;
}

/**
 * Remembers that GitHub refused a membership write to a team (403), which is what a team synchronised with an
 * identity provider answers; observe then reports the team as unmanageable instead of planning the same refused
 * writes every run. The mark lasts a day, after which one write is tried again (team sync may have been turned off).
 */
export async function markTeamRefused(
  cache: KeyValueCache,
  org: string,
  slug: string,
  at: Date,
  message: string,
): Promise<void> {
  await cache.set(refusedKey(org, slug), { body: { at: at.toISOString(), message } });
}

async function refusedTeam(cache: KeyValueCache, org: string, slug: string, now: Date): Promise<string | null> {
  const entry = await cache.get(refusedKey(org, slug));
  const body = entry?.body as { at?: unknown; message?: unknown } | undefined;
  if (typeof body?.at !== 'string') return null;
  const at = Date.parse(body.at);
  if (!(now.getTime() - at < DAY_MS)) return null;
  const until = new Date(at + DAY_MS).toISOString();
  return (
    `GitHub refused a membership change at ${body.at} (${String(body.message)}), as it does for teams synchronised ` +
    `with an identity provider; manage it there. Tried again after ${until}.`
  );
}
