import * as z from 'zod';
import type { KeyValueCache } from '../../core/cache.ts';
import type { Change, ChangeResult } from '../../core/contracts.ts';
import { GatehouseError } from '../../core/errors.ts';
import { isHttpFailure, type GithubClient } from './client.ts';
import { httpError, type ConditionalReader } from './conditional.ts';
import { INVITATION_ROLE, who } from './diff.ts';
import { markTeamRefused } from './observe.ts';
import type { GithubChange, InviteChange } from './types.ts';

export interface ApplyOptions {
  readonly org: string;
  readonly octokit: GithubClient;
  /** For `GET /user/{id}`: conditional, so a login that did not change costs no quota. */
  readonly reader: ConditionalReader;
  readonly cache: KeyValueCache;
  /** Slugs of the configured teams: a change naming another team is refused. */
  readonly teams: ReadonlySet<string>;
  readonly now: () => Date;
}

const githubId = z.number().int().positive();
const slug = z.string().min(1);
const orgRole = z.enum(['admin', 'member']);
const teamRole = z.enum(['maintainer', 'member']);

/** What apply re-checks of a change it is given: a saved plan is a file someone may have edited. */
const changeSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('github-invite'),
    githubId,
    person: z.string(),
    role: orgRole,
    teams: z.array(z.object({ id: githubId, slug })),
  }),
  z.object({ kind: z.literal('github-org-role'), githubId, to: orgRole }),
  z.object({ kind: z.literal('github-org-remove'), githubId }),
  z.object({ kind: z.literal('github-cancel-invitation'), invitationId: githubId }),
  z.object({ kind: z.literal('github-team-set'), githubId, slug, role: teamRole }),
  z.object({ kind: z.literal('github-team-remove'), githubId, slug }),
]);

/**
 * Applies one change; idempotent, so a re-run after a partial failure converges:
 *
 * - every write that names a user by login first resolves the current login from the numeric id with `GET /user/{id}`
 *   (conditional, usually a free 304), so a renamed account is harmless and a login taken over by someone else is
 *   never written to; a deleted account fails the change with a message (removing one succeeds: it is gone);
 * - invitations go by `invitee_id` with the team ids; a role change is one `PUT` on the membership;
 * - removing what is already gone (404) succeeds;
 * - a 403 on a team membership write marks the team unmanageable for a day (see `markTeamRefused`): that is what
 *   GitHub answers for a team synchronised with an identity provider.
 *
 * @throws GatehouseError PLAN_INVALID (malformed change), TARGET_FAILED / TARGET_FORBIDDEN (the request failed).
 */
export async function applyGithubChange(o: ApplyOptions, change: Change, signal: AbortSignal): Promise<ChangeResult> {
  const parsed = changeSchema.safeParse(change);
  if (!parsed.success) {
    throw new GatehouseError(
      'PLAN_INVALID',
      `change ${change.id}: not a valid GitHub change (${parsed.error.issues[0]?.message})`,
      {
        terminal: true,
      },
    );
  }
  const c = change as GithubChange;
  const done = (message: string): ChangeResult => ({ id: c.id, status: 'applied', message });
  if ('slug' in c && !o.teams.has(c.slug)) {
    throw new GatehouseError('PLAN_INVALID', `change ${c.id}: team ${c.slug} is not configured`, { terminal: true });
  }

  switch (c.kind) {
    case 'github-invite': {
      await checkInvitationTeams(o, c, signal);
      const login = await currentLogin(o, c.githubId, signal);
      if (login === null) throw gone(c.githubId, c.person);
      await write(o, `invite ${who(c.githubId, login)}`, signal, 'POST /orgs/{org}/invitations', {
        org: o.org,
        invitee_id: c.githubId,
        role: INVITATION_ROLE[c.role],
        team_ids: c.teams.map((t) => t.id),
      });
      return done(`invited ${login} as ${c.role}`);
    }
    case 'github-org-role': {
      const login = await currentLogin(o, c.githubId, signal);
      if (login === null) throw gone(c.githubId, c.login);
      const res = await write(o, `set org role of ${login}`, signal, 'PUT /orgs/{org}/memberships/{username}', {
        org: o.org,
        username: login,
        role: c.to,
      });
      const state = (res.data as { state?: unknown } | undefined)?.state;
      if (state !== 'active') {
        // The person left between plan and apply: the PUT just invited them. Say so rather than call it done.
        throw new GatehouseError(
          'TARGET_FAILED',
          `${login} is not an active member any more; GitHub answered ${String(state)}`,
        );
      }
      return done(`${login} is now ${c.to}`);
    }
    case 'github-org-remove': {
      const login = await currentLogin(o, c.githubId, signal);
      if (login === null) return done(`github ${c.githubId} no longer exists`);
      const gone404 = await remove(
        o,
        `remove ${login} from org ${o.org}`,
        signal,
        'DELETE /orgs/{org}/memberships/{username}',
        {
          org: o.org,
          username: login,
        },
      );
      return done(gone404 ? `${login} was not a member any more` : `removed ${login}`);
    }
    case 'github-cancel-invitation': {
      const gone404 = await remove(
        o,
        `cancel invitation ${c.invitationId}`,
        signal,
        'DELETE /orgs/{org}/invitations/{invitation_id}',
        {
          org: o.org,
          invitation_id: c.invitationId,
        },
      );
      return done(gone404 ? 'the invitation was already gone' : 'cancelled');
    }
    case 'github-team-set': {
      const login = await currentLogin(o, c.githubId, signal);
      if (login === null) throw gone(c.githubId, c.login);
      try {
        await write(
          o,
          `team ${c.slug}: set ${login}`,
          signal,
          'PUT /orgs/{org}/teams/{team_slug}/memberships/{username}',
          {
            org: o.org,
            team_slug: c.slug,
            username: login,
            role: c.role,
          },
        );
      } catch (e) {
        throw await teamRefused(o, c.slug, e);
      }
      return done(`${login} is ${c.role} of ${c.slug}`);
    }
    case 'github-team-remove': {
      const login = await currentLogin(o, c.githubId, signal);
      if (login === null) return done(`github ${c.githubId} no longer exists`);
      let gone404: boolean;
      try {
        gone404 = await remove(
          o,
          `team ${c.slug}: remove ${login}`,
          signal,
          'DELETE /orgs/{org}/teams/{team_slug}/memberships/{username}',
          {
            org: o.org,
            team_slug: c.slug,
            username: login,
          },
        );
      } catch (e) {
        throw await teamRefused(o, c.slug, e);
      }
      return done(gone404 ? `${login} was not in ${c.slug} any more` : `removed ${login} from ${c.slug}`);
    }
  }
}

/**
 * An invitation's team ids must be teams this target manages: each slug configured, and each id that slug's id now
 * (the teams listing is conditional, so usually a free 304). Otherwise an edited plan could slip a person into any team.
 */
async function checkInvitationTeams(o: ApplyOptions, c: InviteChange, signal: AbortSignal): Promise<void> {
  if (c.teams.length === 0) return;
  for (const t of c.teams) {
    if (!o.teams.has(t.slug)) {
      throw new GatehouseError('PLAN_INVALID', `change ${c.id}: team ${t.slug} is not configured`, { terminal: true });
    }
  }
  const listed = await o.reader.list(
    `/orgs/${encodeURIComponent(o.org)}/teams`,
    (x) => z.object({ id: z.number(), slug: z.string() }).parse(x),
    signal,
  );
  const ids = new Map(listed.map((t) => [t.slug, t.id]));
  for (const t of c.teams) {
    if (ids.get(t.slug) !== t.id) {
      throw new GatehouseError('PLAN_INVALID', `change ${c.id}: team id ${t.id} is not team ${t.slug}`, {
        terminal: true,
      });
    }
  }
}

async function currentLogin(o: ApplyOptions, id: number, signal: AbortSignal): Promise<string | null> {
  const u = await o.reader.get(
    `/user/${id}`,
    (body) => z.object({ id: z.number(), login: z.string().min(1) }).parse(body),
    signal,
  );
  if (!u) return null;
  if (u.id !== id) throw new GatehouseError('TARGET_FAILED', `GET /user/${id} answered for user ${u.id}`);
  return u.login;
}

function gone(id: number, name: string | null): GatehouseError {
  return new GatehouseError(
    'TARGET_FAILED',
    `GitHub account ${who(id, name)} no longer exists (deleted); nothing was changed — update the person's github id`,
    { terminal: true },
  );
}

async function write(
  o: ApplyOptions,
  what: string,
  signal: AbortSignal,
  route: string,
  params: Record<string, unknown>,
): Promise<{ data: unknown }> {
  signal.throwIfAborted();
  try {
    return await o.octokit.request(route, { ...params, request: { signal } });
  } catch (e) {
    throw httpError(what, e);
  }
}

/** A DELETE; true when the thing was already gone (404). */
async function remove(
  o: ApplyOptions,
  what: string,
  signal: AbortSignal,
  route: string,
  params: Record<string, unknown>,
): Promise<boolean> {
  signal.throwIfAborted();
  try {
    await o.octokit.request(route, { ...params, request: { signal } });
    return false;
  } catch (e) {
    if (isHttpFailure(e) && e.status === 404) return true;
    throw httpError(what, e);
  }
}

async function teamRefused(o: ApplyOptions, slug: string, e: unknown): Promise<Error> {
  const cause = e instanceof GatehouseError ? e.cause : e;
  // A secondary limit the throttling plugin gave up on is also a 403, but not the team's doing.
  if (isHttpFailure(cause) && cause.status === 403 && !/secondary rate/i.test(cause.message)) {
    const message = (cause.response?.data as { message?: unknown } | undefined)?.message;
    await markTeamRefused(o.cache, o.org, slug, o.now(), typeof message === 'string' ? message : 'HTTP 403');
    return new GatehouseError(
      'TARGET_FORBIDDEN',
      `team ${slug} refused the membership change (HTTP 403): a team synchronised with an identity provider is ` +
        'managed there; gatehouse leaves it alone for a day',
      { cause, terminal: true },
    );
  }
  return e instanceof Error ? e : new GatehouseError('TARGET_FAILED', String(e));
}
