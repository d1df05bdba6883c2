import type { FakeInvitation, FakeOrg, FakeTeam, FakeUser, GithubState } from './state.ts';

/**
 * The JSON GitHub sends for each object, with every field the description marks required. URLs point at the fake's
 * own base (`api`) so that a client following them stays on loopback; `html_url`s use github.com as GitHub does.
 */

const FIXED_TIME = '2020-01-01T00:00:00Z';

export function simpleUser(api: string, u: FakeUser): Record<string, unknown> {
  const base = `${api}/users/${u.login}`;
  return {
    login: u.login,
    id: u.id,
    node_id: `U_${u.id.toString(36)}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
    gravatar_id: '',
    url: base,
    html_url: `https://github.com/${u.login}`,
    followers_url: `${base}/followers`,
    following_url: `${base}/following{/other_user}`,
    gists_url: `${base}/gists{/gist_id}`,
    starred_url: `${base}/starred{/owner}{/repo}`,
    subscriptions_url: `${base}/subscriptions`,
    organizations_url: `${base}/orgs`,
    repos_url: `${base}/repos`,
    events_url: `${base}/events{/privacy}`,
    received_events_url: `${base}/received_events`,
    type: u.type,
    site_admin: false,
    user_view_type: 'public',
  };
}

/** `GET /user/{id}`, `GET /users/{login}`: the public view. */
export function publicUser(api: string, u: FakeUser): Record<string, unknown> {
  return {
    ...simpleUser(api, u),
    name: null,
    company: null,
    blog: '',
    location: null,
    email: null,
    hireable: null,
    bio: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: FIXED_TIME,
    updated_at: FIXED_TIME,
  };
}

/** `GET /user` for a token: the private view of the authenticated user. */
export function privateUser(api: string, u: FakeUser): Record<string, unknown> {
  return {
    ...publicUser(api, u),
    user_view_type: 'private',
    private_gists: 0,
    total_private_repos: 0,
    owned_private_repos: 0,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: true,
  };
}

export function orgSimple(api: string, org: FakeOrg): Record<string, unknown> {
  const base = `${api}/orgs/${org.login}`;
  return {
    login: org.login,
    id: org.id,
    node_id: `O_${org.id.toString(36)}`,
    url: base,
    repos_url: `${base}/repos`,
    events_url: `${base}/events`,
    hooks_url: `${base}/hooks`,
    issues_url: `${base}/issues`,
    members_url: `${base}/members{/member}`,
    public_members_url: `${base}/public_members{/member}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${org.id}?v=4`,
    description: null,
  };
}

export function team(api: string, org: FakeOrg, t: FakeTeam): Record<string, unknown> {
  const base = `${api}/organizations/${org.id}/team/${t.id}`;
  return {
    id: t.id,
    node_id: `T_${t.id.toString(36)}`,
    url: base,
    html_url: `https://github.com/orgs/${org.login}/teams/${t.slug}`,
    name: t.name,
    slug: t.slug,
    description: null,
    privacy: 'closed',
    notification_setting: 'notifications_enabled',
    permission: 'pull',
    members_url: `${base}/members{/member}`,
    repositories_url: `${base}/repos`,
    type: t.type,
    organization_id: org.id,
    parent: null,
  };
}

export function invitation(api: string, state: GithubState, i: FakeInvitation): Record<string, unknown> {
  const invitee = i.inviteeId === null ? undefined : state.users.get(i.inviteeId);
  const inviter = state.users.get(i.inviterId) ?? {
    id: i.inviterId,
    login: `ghost-${i.inviterId}`,
    type: 'User' as const,
  };
  return {
    id: i.id,
    node_id: `OI_${i.id.toString(36)}`,
    login: invitee?.login ?? null,
    email: i.email,
    role: i.role,
    created_at: i.createdAt,
    failed_at: i.failedAt ?? null,
    failed_reason: i.failedReason ?? null,
    inviter: simpleUser(api, inviter),
    team_count: i.teamIds.length,
    invitation_teams_url: `${api}/organizations/${state.org.id}/invitations/${i.id}/teams`,
    invitation_source: 'member',
  };
}

export function orgMembership(api: string, org: FakeOrg, u: FakeUser, state: 'active' | 'pending', role: string) {
  return {
    url: `${api}/orgs/${org.login}/memberships/${u.login}`,
    state,
    role,
    organization_url: `${api}/orgs/${org.login}`,
    organization: orgSimple(api, org),
    user: simpleUser(api, u),
  };
}

export function teamMembership(api: string, org: FakeOrg, t: FakeTeam, u: FakeUser, role: string, state: string) {
  return { url: `${api}/organizations/${org.id}/team/${t.id}/memberships/${u.login}`, role, state };
}

export function error(message: string): Record<string, unknown> {
  return { message, documentation_url: 'https://docs.github.com/rest' };
}

export function validationError(message: string, field: string, code = 'invalid'): Record<string, unknown> {
  return { ...error('Validation Failed'), errors: [{ resource: 'Organization', field, code, message }] };
}
