import type {
  CancelInvitationChange,
  DesiredMember,
  DesiredTeam,
  GithubChange,
  GithubDesired,
  GithubObserved,
  InviteChange,
  ObservedInvitation,
  ObservedMember,
  ObservedTeam,
  OrgRemoveChange,
  OrgRole,
  OrgRoleChange,
  TeamRemoveChange,
  TeamSetChange,
} from './types.ts';

/** The invitation role that grants an org role. */
export const INVITATION_ROLE: Record<OrgRole, string> = { admin: 'admin', member: 'direct_member' };

/** `alice (github 123)`: how messages name an account. */
export function who(githubId: number, name: string | null | undefined): string {
  return name ? `${name} (github ${githubId})` : `github ${githubId}`;
}

/** The desired and observed org members by GitHub id, and the known ids: what the diff and the findings look up. */
interface Lookup {
  readonly want: ReadonlyMap<number, DesiredMember>;
  readonly members: ReadonlyMap<number, ObservedMember>;
  readonly known: ReadonlySet<number>;
}

// The diff and the findings of a run ask about the same desired state and observation (60k members for 100k
// people), through the invitations and the removals both: the maps are made once, kept with the desired state,
// weakly, for the observation they were made from; asked with another observation, they are made afresh.
const lookups = new WeakMap<GithubDesired, { readonly observed: GithubObserved; readonly lookup: Lookup }>();

function lookupOf(desired: GithubDesired, observed: GithubObserved): Lookup {
  const memo = lookups.get(desired);
  if (memo?.observed === observed) return memo.lookup;
  // Indexed loops here and in orgRemovals: run once per plan, an iterator makes a result object per member (60k).
  const want = new Map<number, DesiredMember>();
  for (let i = 0; i < desired.members.length; i++) {
    const m = desired.members[i] as DesiredMember;
    want.set(m.githubId, m);
  }
  const members = new Map<number, ObservedMember>();
  for (let i = 0; i < observed.members.length; i++) {
    const m = observed.members[i] as ObservedMember;
    members.set(m.id, m);
  }
  const lookup = { want, members, known: new Set(desired.known) };
  lookups.set(desired, { observed, lookup });
  return lookup;
}

/** What the diff decided about each pending invitation: keep it, cancel it, or leave it to a human (reported). */
export interface InvitationVerdict {
  readonly invitation: ObservedInvitation;
  readonly action: 'keep' | 'cancel' | 'unmanaged';
  readonly reason: string;
}

/**
 * Classifies pending invitations (admin / direct_member ones; others are never touched):
 * - for a wanted person who is not a member yet: kept, unless it grants more than wanted (an `admin` invitation for a
 *   would-be member), which is cancelled and re-issued; a `direct_member` invitation for a would-be owner is kept (the
 *   role is raised after acceptance);
 * - for a person gatehouse knows but no group grants, or to an account the credential itself invited: stale, cancelled
 *   (so the credential should be a dedicated account or an App, not a human owner's token);
 * - anything else (email invitations, strangers invited by a human): unmanaged, cancelled only under
 *   `unmanagedMembers: remove`.
 */
export function classifyInvitations(desired: GithubDesired, observed: GithubObserved): InvitationVerdict[] {
  const { want, members, known } = lookupOf(desired, observed);
  const remove = desired.unmanagedMembers === 'remove';
  const out: InvitationVerdict[] = [];
  for (const invitation of observed.invitations) {
    if (invitation.role !== 'admin' && invitation.role !== 'direct_member') continue;
    const id = invitation.inviteeId;
    const d = id === null ? undefined : want.get(id);
    const verdict = (action: InvitationVerdict['action'], reason: string) => out.push({ invitation, action, reason });
    if (d && id !== null && !members.has(id)) {
      if (invitation.role === 'admin' && d.role === 'member') verdict('cancel', 'grants admin, but member is wanted');
      else verdict('keep', 'pending');
    } else if (d) verdict('keep', 'already a member');
    else if (id !== null && known.has(id)) verdict('cancel', 'no group grants this person access any more');
    else if (id !== null && invitation.inviterId !== null && invitation.inviterId === observed.self?.id) {
      // gatehouse only invites by id, so an email invitation is never its own, whoever sent it.
      verdict('cancel', 'sent by this credential, and no group grants it');
    } else if (remove) verdict('cancel', 'unmanaged invitation (unmanagedMembers: remove)');
    else verdict('unmanaged', id === null ? 'invitation by email or to an unknown account' : 'no known person');
  }
  return out;
}

/** Org members no group grants: known people (removed) and unmanaged accounts (removed or reported per policy). */
export function orgRemovals(
  desired: GithubDesired,
  observed: GithubObserved,
): { remove: { member: ObservedMember; known: boolean }[]; unmanaged: ObservedMember[] } {
  const { want, known } = lookupOf(desired, observed);
  const remove: { member: ObservedMember; known: boolean }[] = [];
  const unmanaged: ObservedMember[] = [];
  for (let i = 0; i < observed.members.length; i++) {
    const m = observed.members[i] as ObservedMember;
    if (want.has(m.id)) continue;
    if (known.has(m.id)) remove.push({ member: m, known: true });
    else if (desired.unmanagedMembers === 'remove') remove.push({ member: m, known: false });
    else unmanaged.push(m);
  }
  return { remove, unmanaged };
}

/**
 * Pure, deterministic diff. Changes come in this order, each group sorted by GitHub id (teams in config order):
 * cancelled invitations, invitations, promotions, team additions and role changes, team removals, demotions, org
 * removals — so that a run cut short has granted before it took away, and cancels precede re-invitations.
 *
 * Team changes are planned only for teams that exist and are manageable, and only for people who are already org
 * members (a new member's teams ride on the invitation's `team_ids`). A person removed from the org is not also removed
 * from its teams: GitHub does that. Destructive: removals, cancellations, and demotions (admin → member, maintainer →
 * member).
 */
export function diffGithub(desired: GithubDesired, observed: GithubObserved): GithubChange[] {
  const { members } = lookupOf(desired, observed);
  const teamsBySlug = new Map(observed.teams.map((t) => [t.slug, t]));
  const invitations = classifyInvitations(desired, observed);
  const kept = new Set(invitations.filter((v) => v.action === 'keep').map((v) => v.invitation.inviteeId));

  const cancels: CancelInvitationChange[] = invitations
    .filter((v) => v.action === 'cancel')
    .map(({ invitation: inv, reason }) => ({
      kind: 'github-cancel-invitation',
      id: `cancel-invitation:${inv.id}`,
      summary: `cancel invitation ${inv.id} of ${inv.inviteeId === null ? (inv.login ?? 'an email address') : who(inv.inviteeId, inv.login)}: ${reason}`,
      destructive: true,
      invitationId: inv.id,
      githubId: inv.inviteeId,
      login: inv.login,
    }));

  const invited = desired.members.filter((d) => !members.has(d.githubId) && !kept.has(d.githubId));
  // The existing, manageable teams each invitee is wanted in, in config order: one pass over the teams' members for
  // all invitees (scanning every team for each invitee was quadratic: 300 invitations × 150k team memberships).
  const teamsOfInvitee = new Map<number, { id: number; slug: string }[]>(invited.map((d) => [d.githubId, []]));
  for (const t of desired.teams) {
    const o = teamsBySlug.get(t.slug);
    if (!o || o.unmanageable !== null) continue;
    for (const m of t.members) {
      const list = teamsOfInvitee.get(m.githubId);
      // Once per team, however often the team lists the id.
      if (list && list.at(-1)?.slug !== t.slug) list.push({ id: o.id, slug: t.slug });
    }
  }

  const invites: InviteChange[] = invited.map((d: DesiredMember) => {
    const teams = teamsOfInvitee.get(d.githubId) ?? [];
    return {
      kind: 'github-invite',
      id: `invite:${d.githubId}`,
      summary: `invite ${who(d.githubId, d.person)} as ${d.role}${teams.length ? ` with teams ${teams.map((t) => t.slug).join(', ')}` : ''}`,
      destructive: false,
      githubId: d.githubId,
      login: null,
      person: d.person,
      role: d.role,
      teams,
    };
  });

  const roles: OrgRoleChange[] = desired.members.flatMap((d) => {
    const m = members.get(d.githubId);
    if (!m || m.role === d.role) return [];
    return [
      {
        kind: 'github-org-role',
        id: `org-role:${d.githubId}`,
        summary: `org role of ${who(m.id, m.login)}: ${m.role} → ${d.role}`,
        destructive: d.role === 'member',
        githubId: m.id,
        login: m.login,
        from: m.role,
        to: d.role,
      } satisfies OrgRoleChange,
    ];
  });

  const { remove } = orgRemovals(desired, observed);
  const leaving = new Set(remove.map((r) => r.member.id));
  const removals: OrgRemoveChange[] = remove.map(({ member: m, known }) => ({
    kind: 'github-org-remove',
    id: `org-remove:${m.id}`,
    summary: `remove ${who(m.id, m.login)} (${m.role}) from org ${observed.org}${known ? '' : ' (unmanaged)'}`,
    destructive: true,
    githubId: m.id,
    login: m.login,
    role: m.role,
    known,
  }));

  const teamSets: TeamSetChange[] = [];
  const teamRemovals: TeamRemoveChange[] = [];
  for (const t of desired.teams) {
    const o = teamsBySlug.get(t.slug);
    if (!o || o.unmanageable !== null || o.members === null) continue;
    // Both lists nearly always come sorted by id, each id once (the desired state is made so, the observation is
    // read so): walked in step, without a map and a set per team of its members (220k for 100k people). Else by id.
    const ds = t.members;
    const os = o.members;
    const inStep = ascendingIds(ds, (d) => d.githubId) && ascendingIds(os, (m) => m.id);
    const have = inStep ? undefined : new Map(os.map((m) => [m.id, m]));
    let k = 0;
    for (let i = 0; i < ds.length; i++) {
      const d = ds[i] as DesiredTeamMember;
      const org = members.get(d.githubId);
      if (!org) continue;
      let cur: ObservedTeamMember | undefined;
      if (have) cur = have.get(d.githubId);
      else {
        while (k < os.length && (os[k] as ObservedTeamMember).id < d.githubId) k++;
        cur = os[k]?.id === d.githubId ? os[k] : undefined;
      }
      if (cur?.role === d.role) continue;
      teamSets.push({
        kind: 'github-team-set',
        id: `team:${t.slug}:set:${d.githubId}`,
        summary: cur
          ? `team ${t.slug}: ${who(d.githubId, org.login)} ${cur.role} → ${d.role}`
          : `team ${t.slug}: add ${who(d.githubId, org.login)} as ${d.role}`,
        destructive: cur?.role === 'maintainer' && d.role === 'member',
        githubId: d.githubId,
        login: org.login,
        slug: t.slug,
        role: d.role,
        from: cur?.role ?? null,
      });
    }
    const want = inStep ? undefined : new Set(ds.map((m) => m.githubId));
    let j = 0;
    for (let i = 0; i < os.length; i++) {
      const m = os[i] as ObservedTeamMember;
      let wanted: boolean;
      if (want) wanted = want.has(m.id);
      else {
        while (j < ds.length && (ds[j] as DesiredTeamMember).githubId < m.id) j++;
        wanted = ds[j]?.githubId === m.id;
      }
      if (wanted || leaving.has(m.id)) continue;
      teamRemovals.push({
        kind: 'github-team-remove',
        id: `team:${t.slug}:remove:${m.id}`,
        summary: `team ${t.slug}: remove ${who(m.id, m.login)} (${m.role})`,
        destructive: true,
        githubId: m.id,
        login: m.login,
        slug: t.slug,
        role: m.role,
      });
    }
  }

  return [
    ...cancels,
    ...invites,
    ...roles.filter((r) => r.to === 'admin'),
    ...teamSets,
    ...teamRemovals,
    ...roles.filter((r) => r.to === 'member'),
    ...removals,
  ];
}

type DesiredTeamMember = DesiredTeam['members'][number];
type ObservedTeamMember = NonNullable<ObservedTeam['members']>[number];

/** True when each id is greater than the one before: sorted, each once. */
function ascendingIds<T>(xs: readonly T[], id: (x: T) => number): boolean {
  for (let i = 1; i < xs.length; i++) if (!(id(xs[i - 1] as T) < id(xs[i] as T))) return false;
  return true;
}
