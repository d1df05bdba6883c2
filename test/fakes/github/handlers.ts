import { randomBytes } from 'node:crypto';
import {
  pendingInvitationOf,
  removeMember,
  userByLogin,
  type FakeInvitation,
  type FakeTeam,
  type FakeUser,
  type GithubState,
} from './state.ts';
import * as wire from './wire.ts';

export type Principal =
  | { readonly kind: 'user'; readonly user: FakeUser }
  | { readonly kind: 'installation'; readonly installationId: number }
  | { readonly kind: 'app'; readonly appId: number };

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export interface HandlerContext {
  readonly state: GithubState;
  readonly api: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly path: string;
  readonly body: unknown;
  readonly principal: Principal;
  readonly now: Date;
  readonly appInstallationId: number | undefined;
}

export type Handler = (ctx: HandlerContext) => Reply;

const notFound: Reply = { status: 404, body: wire.error('Not Found') };
const ok = (body: unknown, headers?: Record<string, string>): Reply => ({
  status: 200,
  body,
  ...(headers ? { headers } : {}),
});

/**
 * One page of `items` by `per_page` (default 30, at most 100, as GitHub) and `page` (default 1), with GitHub's Link
 * header (`next`, `last`, `first`, `prev`) pointing at the fake.
 */
function paginate<T>(ctx: HandlerContext, items: readonly T[], render: (x: T) => unknown): Reply {
  const perPage = Math.min(100, Math.max(1, intParam(ctx.query.get('per_page'), 30)));
  const page = Math.max(1, intParam(ctx.query.get('page'), 1));
  const pages = Math.max(1, Math.ceil(items.length / perPage));
  const link = (n: number) => {
    const q = new URLSearchParams(ctx.query);
    q.set('page', String(n));
    if (!q.has('per_page')) q.set('per_page', String(perPage));
    return `${ctx.api}${ctx.path}?${q.toString()}`;
  };
  const rels: string[] = [];
  if (page < pages) rels.push(`<${link(page + 1)}>; rel="next"`, `<${link(pages)}>; rel="last"`);
  if (page > 1) rels.push(`<${link(1)}>; rel="first"`, `<${link(page - 1)}>; rel="prev"`);
  const data = items.slice((page - 1) * perPage, page * perPage).map(render);
  return ok(data, rels.length ? { link: rels.join(', ') } : undefined);
}

function intParam(raw: string | null, fallback: number): number {
  return raw !== null && /^\d+$/.test(raw) ? Number(raw) : fallback;
}

function orgOf(ctx: HandlerContext): boolean {
  return (ctx.params.org ?? '').toLowerCase() === ctx.state.org.login.toLowerCase();
}

/** Writes need an org owner's token or an installation token. */
function mayWrite(ctx: HandlerContext): boolean {
  const p = ctx.principal;
  if (p.kind === 'installation') return true;
  return p.kind === 'user' && ctx.state.org.members.get(p.user.id) === 'admin';
}

const forbidden: Reply = { status: 403, body: wire.error('You must be an organization owner to do that.') };
const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;

function members(ctx: HandlerContext): FakeUser[] {
  return [...ctx.state.org.members.keys()].flatMap((id) => ctx.state.users.get(id) ?? []).sort(byId);
}

function team(ctx: HandlerContext): FakeTeam | undefined {
  return ctx.state.org.teams.get(ctx.params.team_slug ?? '');
}

function pending(ctx: HandlerContext): FakeInvitation[] {
  return [...ctx.state.org.invitations.values()].filter((i) => i.failedAt === undefined).sort(byId);
}

function createInvitation(ctx: HandlerContext, inviteeId: number, role: FakeInvitation['role'], teamIds: number[]) {
  const inviterId = ctx.principal.kind === 'user' ? ctx.principal.user.id : 0;
  const inv: FakeInvitation = {
    id: ctx.state.nextId++,
    inviteeId,
    email: null,
    role,
    createdAt: ctx.now.toISOString(),
    inviterId,
    teamIds,
  };
  ctx.state.org.invitations.set(inv.id, inv);
  return inv;
}

export const handlers: Readonly<Record<string, Handler>> = {
  'users/get-authenticated': (ctx) => {
    if (ctx.principal.kind !== 'user') {
      return { status: 403, body: wire.error('Resource not accessible by integration') };
    }
    return ok(wire.privateUser(ctx.api, ctx.principal.user));
  },

  'users/get-by-id': (ctx) => {
    const u = ctx.state.users.get(Number(ctx.params.account_id));
    return u ? ok(wire.publicUser(ctx.api, u)) : notFound;
  },

  'users/get-by-username': (ctx) => {
    const u = userByLogin(ctx.state, ctx.params.username ?? '');
    return u ? ok(wire.publicUser(ctx.api, u)) : notFound;
  },

  'orgs/list-members': (ctx) => {
    if (!orgOf(ctx)) return notFound;
    const role = ctx.query.get('role') ?? 'all';
    const list = members(ctx).filter((u) => role === 'all' || ctx.state.org.members.get(u.id) === role);
    return paginate(ctx, list, (u) => wire.simpleUser(ctx.api, u));
  },

  'orgs/get-membership-for-user': (ctx) => {
    if (!orgOf(ctx)) return notFound;
    const u = userByLogin(ctx.state, ctx.params.username ?? '');
    if (!u) return notFound;
    const role = ctx.state.org.members.get(u.id);
    if (role) return ok(wire.orgMembership(ctx.api, ctx.state.org, u, 'active', role));
    const inv = pendingInvitationOf(ctx.state, u.id);
    if (!inv) return notFound;
    return ok(wire.orgMembership(ctx.api, ctx.state.org, u, 'pending', inv.role === 'admin' ? 'admin' : 'member'));
  },

  'orgs/set-membership-for-user': (ctx) => {
    if (!orgOf(ctx)) return notFound;
    if (!mayWrite(ctx)) return forbidden;
    const u = userByLogin(ctx.state, ctx.params.username ?? '');
    if (!u) return notFound;
    const role = (ctx.body as { role?: string } | undefined)?.role === 'admin' ? 'admin' : 'member';
    if (ctx.state.org.members.has(u.id)) {
      ctx.state.org.members.set(u.id, role);
      return ok(wire.orgMembership(ctx.api, ctx.state.org, u, 'active', role));
    }
    // GitHub: "If the user is not a member, this invites them" — the membership is pending until accepted.
    if (!pendingInvitationOf(ctx.state, u.id))
      createInvitation(ctx, u.id, role === 'admin' ? 'admin' : 'direct_member', []);
    return ok(wire.orgMembership(ctx.api, ctx.state.org, u, 'pending', role));
  },

  'orgs/remove-membership-for-user': (ctx) => {
    if (!orgOf(ctx)) return notFound;
    if (!mayWrite(ctx)) return forbidden;
    const u = userByLogin(ctx.state, ctx.params.username ?? '');
    if (!u) return notFound;
    if (removeMember(ctx.state, u.id)) return { status: 204 };
    const inv = pendingInvitationOf(ctx.state, u.id);
    if (!inv) return notFound;
    ctx.state.org.invitations.delete(inv.id);
    return { status: 204 };
  },

  'orgs/list-pending-invitations': (ctx) => {
    if (!orgOf(ctx)) return notFound;
    const role = ctx.query.get('role') ?? 'all';
    const list = pending(ctx).filter((i) => role === 'all' || i.role === role);
    return paginate(ctx, list, (i) => wire.invitation(ctx.api, ctx.state, i));
  },

  'orgs/list-failed-invitations': (ctx) => {
    if (!orgOf(ctx)) return notFound;
    const list = [...ctx.state.org.invitations.values()].filter((i) => i.failedAt !== undefined).sort(byId);
    return paginate(ctx, list, (i) => wire.invitation(ctx.api, ctx.state, i));
  },

  'orgs/create-invitation': (ctx) => {
    if (!orgOf(ctx)) return notFound;
    if (!mayWrite(ctx)) return forbidden;
    const b = (ctx.body ?? {}) as { invitee_id?: number; email?: string; role?: string; team_ids?: number[] };
    if (b.invitee_id === undefined) {
      return {
        status: 422,
        body: wire.validationError('the fake models invitations by invitee_id only', 'invitee_id'),
      };
    }
    const u = ctx.state.users.get(b.invitee_id);
    if (!u) return { status: 422, body: wire.validationError('Invitee is not a valid user', 'invitee_id') };
    if (ctx.state.org.members.has(u.id)) {
      return {
        status: 422,
        body: wire.validationError('Invitee is already a part of this organization', 'invitee_id'),
      };
    }
    if (pendingInvitationOf(ctx.state, u.id)) {
      return { status: 422, body: wire.validationError('Invitee is already invited', 'invitee_id') };
    }
    const teamIds = b.team_ids ?? [];
    const known = new Set([...ctx.state.org.teams.values()].map((t) => t.id));
    if (teamIds.some((id) => !known.has(id))) {
      return { status: 422, body: wire.validationError('Team does not belong to this organization', 'team_ids') };
    }
    const role = b.role === 'admin' ? 'admin' : b.role === 'billing_manager' ? 'billing_manager' : 'direct_member';
    const inv = createInvitation(ctx, u.id, role, [...teamIds]);
    return { status: 201, body: wire.invitation(ctx.api, ctx.state, inv) };
  },

  'orgs/cancel-invitation': (ctx) => {
    if (!orgOf(ctx)) return notFound;
    if (!mayWrite(ctx)) return forbidden;
    const inv = ctx.state.org.invitations.get(Number(ctx.params.invitation_id));
    if (!inv || inv.failedAt !== undefined) return notFound;
    ctx.state.org.invitations.delete(inv.id);
    return { status: 204 };
  },

  'orgs/list-invitation-teams': (ctx) => {
    if (!orgOf(ctx)) return notFound;
    const inv = ctx.state.org.invitations.get(Number(ctx.params.invitation_id));
    if (!inv) return notFound;
    const teams = [...ctx.state.org.teams.values()].filter((t) => inv.teamIds.includes(t.id)).sort(byId);
    return paginate(ctx, teams, (t) => wire.team(ctx.api, ctx.state.org, t));
  },

  'teams/list': (ctx) => {
    if (!orgOf(ctx)) return notFound;
    const type = ctx.query.get('team_type') ?? 'all';
    const list = [...ctx.state.org.teams.values()]
      .filter((t) => type === 'all' || t.type === type)
      .sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
    return paginate(ctx, list, (t) => wire.team(ctx.api, ctx.state.org, t));
  },

  'teams/list-members-in-org': (ctx) => {
    const t = orgOf(ctx) ? team(ctx) : undefined;
    if (!t) return notFound;
    const role = ctx.query.get('role') ?? 'all';
    const list = [...t.members]
      .filter(([, r]) => role === 'all' || r === role)
      .flatMap(([id]) => ctx.state.users.get(id) ?? [])
      .sort(byId);
    return paginate(ctx, list, (u) => wire.simpleUser(ctx.api, u));
  },

  'teams/add-or-update-membership-for-user-in-org': (ctx) => {
    const t = orgOf(ctx) ? team(ctx) : undefined;
    if (!t) return notFound;
    if (!mayWrite(ctx)) return forbidden;
    if (t.idpSynced) return idpRefusal;
    const u = userByLogin(ctx.state, ctx.params.username ?? '');
    if (!u) return notFound;
    const role = (ctx.body as { role?: string } | undefined)?.role === 'maintainer' ? 'maintainer' : 'member';
    if (ctx.state.org.members.has(u.id)) {
      t.members.set(u.id, role);
      return ok(wire.teamMembership(ctx.api, ctx.state.org, t, u, role, 'active'));
    }
    // "An organization owner can add someone who is not part of the team's organization to a team ... this endpoint
    // will send an invitation"; the team membership stays pending until then.
    const inv = pendingInvitationOf(ctx.state, u.id) ?? createInvitation(ctx, u.id, 'direct_member', []);
    if (!inv.teamIds.includes(t.id)) inv.teamIds.push(t.id);
    return ok(wire.teamMembership(ctx.api, ctx.state.org, t, u, role, 'pending'));
  },

  'teams/remove-membership-for-user-in-org': (ctx) => {
    const t = orgOf(ctx) ? team(ctx) : undefined;
    if (!t) return notFound;
    if (!mayWrite(ctx)) return forbidden;
    if (t.idpSynced) return idpRefusal;
    const u = userByLogin(ctx.state, ctx.params.username ?? '');
    if (!u || !t.members.delete(u.id)) return notFound;
    return { status: 204 };
  },

  'apps/create-installation-access-token': (ctx) => {
    if (ctx.principal.kind !== 'app') {
      return { status: 401, body: wire.error('A JSON web token could not be decoded') };
    }
    const id = Number(ctx.params.installation_id);
    if (id !== ctx.appInstallationId) return notFound;
    const token = `ghs_${randomBytes(18).toString('base64url')}`;
    ctx.state.installationTokens.set(token, id);
    return {
      status: 201,
      body: {
        token,
        expires_at: new Date(ctx.now.getTime() + 3600_000).toISOString(),
        permissions: { members: 'write' },
        repository_selection: 'all',
      },
    };
  },
};

/**
 * What a membership write to an IdP-synchronised team answers. The description documents the 403 ("Forbidden if team
 * synchronization is set up") but not its text; the message here is the fake's own.
 */
const idpRefusal: Reply = {
  status: 403,
  body: wire.error('This team is synchronized with an identity provider; manage its membership there.'),
};
