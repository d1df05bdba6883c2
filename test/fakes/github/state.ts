/** Everything the GitHub fake serves. Tests read and mutate it directly, between or during requests. */

export interface FakeUser {
  readonly id: number;
  login: string;
  type: 'User' | 'Bot';
}

export type FakeOrgRole = 'admin' | 'member';
export type FakeTeamRole = 'maintainer' | 'member';

export interface FakeInvitation {
  readonly id: number;
  /** Null for invitations by email. */
  readonly inviteeId: number | null;
  readonly email: string | null;
  readonly role: 'admin' | 'direct_member' | 'billing_manager';
  readonly createdAt: string;
  readonly inviterId: number;
  readonly teamIds: number[];
  /** Set when the invitation failed (expired, bounced); failed ones move to the failed list. */
  failedAt?: string;
  failedReason?: string;
}

export interface FakeTeam {
  readonly id: number;
  readonly slug: string;
  readonly name: string;
  readonly type: 'organization' | 'enterprise';
  /** Synchronised with an identity provider: membership writes answer 403. */
  idpSynced: boolean;
  readonly members: Map<number, FakeTeamRole>;
}

export interface FakeOrg {
  readonly id: number;
  readonly login: string;
  readonly members: Map<number, FakeOrgRole>;
  readonly invitations: Map<number, FakeInvitation>;
  readonly teams: Map<string, FakeTeam>;
}

export interface GithubState {
  readonly users: Map<number, FakeUser>;
  readonly org: FakeOrg;
  /** Personal access tokens → the user they act as. */
  readonly tokens: Map<string, number>;
  /** Installation tokens issued to the app → installation id. */
  readonly installationTokens: Map<string, number>;
  nextId: number;
}

export function emptyState(org: string, orgId = 9_000_001): GithubState {
  return {
    users: new Map(),
    org: { id: orgId, login: org, members: new Map(), invitations: new Map(), teams: new Map() },
    tokens: new Map(),
    installationTokens: new Map(),
    nextId: 50_000_000,
  };
}

export function userByLogin(state: GithubState, login: string): FakeUser | undefined {
  const want = login.toLowerCase();
  for (const u of state.users.values()) if (u.login.toLowerCase() === want) return u;
  return undefined;
}

/** Removing a member takes them out of every team too, as GitHub does. */
export function removeMember(state: GithubState, userId: number): boolean {
  const had = state.org.members.delete(userId);
  for (const t of state.org.teams.values()) t.members.delete(userId);
  return had;
}

export function pendingInvitationOf(state: GithubState, userId: number): FakeInvitation | undefined {
  for (const i of state.org.invitations.values()) if (i.inviteeId === userId && i.failedAt === undefined) return i;
  return undefined;
}
