import type { Change } from '../../core/contracts.ts';

/** Organisation roles gatehouse grants. `billing_manager` is left to humans. */
export type OrgRole = 'admin' | 'member';
export type TeamRole = 'maintainer' | 'member';

/** One person's wanted access, keyed by numeric GitHub id (never the login). */
export interface DesiredMember {
  readonly githubId: number;
  /** Gatehouse person id, for messages. */
  readonly person: string;
  readonly role: OrgRole;
}

export interface DesiredTeam {
  readonly slug: string;
  /** Sorted by githubId. */
  readonly members: readonly { readonly githubId: number; readonly person: string; readonly role: TeamRole }[];
}

export interface GithubGuardLimits {
  readonly maxOrgRemovalFraction: number;
  readonly maxTeamRemovalFraction: number;
  readonly minAdmins: number;
  readonly invitationBudget: number;
}

/** Desired state of one organisation. Pure function of the facts and config; plain JSON. */
export interface GithubDesired {
  readonly org: string;
  /** Sorted by githubId. Team members are org members (role `member` unless an admin group grants more). */
  readonly members: readonly DesiredMember[];
  /** In config order. */
  readonly teams: readonly DesiredTeam[];
  /**
   * GitHub ids of every person the people sources declare. An org member among them whom no group grants is removed;
   * one outside is "unmanaged" and follows `unmanagedMembers`.
   */
  readonly known: readonly number[];
  readonly unmanagedMembers: 'report' | 'remove';
  readonly protected: readonly number[];
  readonly limits: GithubGuardLimits;
  /** Groups that a readable source does not emit: they must not read as "nobody", so removals are blocked. */
  readonly missingGroups: readonly string[];
  /** Problems resolving people (no github id, unknown person, conflicting declarations), for the plan. */
  readonly problems: readonly string[];
}

/** An org member as listed, with the login GitHub reports now (display only; writes re-resolve it by id). */
export interface ObservedMember {
  readonly id: number;
  readonly login: string;
  readonly role: OrgRole;
}

export interface ObservedInvitation {
  readonly id: number;
  /** Null for invitations by email. */
  readonly login: string | null;
  /** The invitee's user id, resolved from `login`; null when unknown (email invitation, account gone). */
  readonly inviteeId: number | null;
  /** `admin`, `direct_member`, or another role gatehouse leaves alone. */
  readonly role: string;
  readonly createdAt: string;
  readonly inviterId: number | null;
  readonly teamCount: number;
}

export interface ObservedFailedInvitation {
  readonly id: number;
  readonly login: string | null;
  readonly createdAt: string;
  readonly failedAt: string | null;
  readonly failedReason: string | null;
}

export interface ObservedTeam {
  readonly id: number;
  readonly slug: string;
  /**
   * Null when gatehouse may change the team's membership; otherwise why not: an enterprise-owned team, or a team whose
   * membership writes were refused (teams synchronised with an identity provider answer 403).
   */
  readonly unmanageable: string | null;
  /** Sorted by id; null for teams gatehouse does not manage (not listed). */
  readonly members: readonly { readonly id: number; readonly login: string; readonly role: TeamRole }[] | null;
}

/**
 * What the organisation looks like now. Plain JSON with no timestamps of the observation itself, so that an unchanged
 * org digests the same and a saved plan stays applicable.
 */
export interface GithubObserved {
  readonly org: string;
  /** The account the credential acts as (tokens); null for a GitHub App, which acts as no user. */
  readonly self: { readonly id: number; readonly login: string } | null;
  /** Sorted by id. */
  readonly members: readonly ObservedMember[];
  /** Pending invitations, sorted by id. */
  readonly invitations: readonly ObservedInvitation[];
  readonly failedInvitations: readonly ObservedFailedInvitation[];
  /** Every team of the org, sorted by slug; members listed for managed teams only. */
  readonly teams: readonly ObservedTeam[];
  /** Invitations (pending or failed) created in the 24 h before the observation: GitHub's budget window. */
  readonly invitationsLast24h: number;
}

interface GithubChangeBase extends Change {
  readonly githubId: number;
  /** Login when planned (display only: apply resolves the current login from the id). */
  readonly login: string | null;
}

/** `POST /orgs/{org}/invitations` with `invitee_id` and the ids of the teams the person belongs in. */
export interface InviteChange extends GithubChangeBase {
  readonly kind: 'github-invite';
  readonly person: string;
  readonly role: OrgRole;
  /** Teams the invitation adds the person to on acceptance: ids for the API, slugs to check them against config. */
  readonly teams: readonly { readonly id: number; readonly slug: string }[];
}

/** `PUT /orgs/{org}/memberships/{login}` with the new role: one call, never remove + re-add. */
export interface OrgRoleChange extends GithubChangeBase {
  readonly kind: 'github-org-role';
  readonly from: OrgRole;
  readonly to: OrgRole;
}

/** `DELETE /orgs/{org}/memberships/{login}`: also removes the person from every team. */
export interface OrgRemoveChange extends GithubChangeBase {
  readonly kind: 'github-org-remove';
  readonly role: OrgRole;
  /** False when the member is unmanaged (no known person) and `unmanagedMembers: remove` asked for it. */
  readonly known: boolean;
}

/** `DELETE /orgs/{org}/invitations/{invitation_id}`. */
export interface CancelInvitationChange extends Change {
  readonly kind: 'github-cancel-invitation';
  readonly invitationId: number;
  readonly githubId: number | null;
  readonly login: string | null;
}

/** `PUT /orgs/{org}/teams/{slug}/memberships/{login}` (add, or change role). */
export interface TeamSetChange extends GithubChangeBase {
  readonly kind: 'github-team-set';
  readonly slug: string;
  readonly role: TeamRole;
  /** Null: not in the team yet. */
  readonly from: TeamRole | null;
}

/** `DELETE /orgs/{org}/teams/{slug}/memberships/{login}`. */
export interface TeamRemoveChange extends GithubChangeBase {
  readonly kind: 'github-team-remove';
  readonly slug: string;
  readonly role: TeamRole;
}

export type GithubChange =
  InviteChange | OrgRoleChange | OrgRemoveChange | CancelInvitationChange | TeamSetChange | TeamRemoveChange;
