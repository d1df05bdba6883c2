import { maxShrinkGuard } from '../../core/guards.ts';
import type { GuardVerdict } from '../../core/plan.ts';
import { who } from './diff.ts';
import type { GithubChange, GithubDesired, GithubObserved, InviteChange, TeamRemoveChange } from './types.ts';

/**
 * The GitHub target's guards, pure. Each rejection blocks exactly the changes it names (the target is not atomic):
 *
 * - `missing-group`: a configured group that a readable source does not emit blocks every destructive change;
 * - `org-removal-fraction` / `team-removal-fraction`: removing more than the configured fraction of the org's members,
 *   or of one team's, in one run blocks those removals (a single removal never trips it: it is not a mass removal);
 * - `min-admins`: demotions and removals of owners that would leave fewer than `minAdmins` owners are blocked; owners a
 *   plan promotes do not count, since a promotion can fail while the demotion succeeds (the demotion then goes through
 *   on the next run, once the promotion is observed);
 * - `self`: nothing removes or demotes the account the credential acts as (tokens only: an App acts as no user);
 * - `protected`: nothing removes or demotes a protected GitHub id;
 * - `invitation-budget`: invitations beyond what is left of the 24 h budget (invitations GitHub shows as created in
 *   the last 24 h count against it) wait for a later run, in plan order.
 *
 * Source completeness is the core's (`completenessGuard`); this target marks removals, cancellations and demotions as
 * destructive so it applies. Findings that block nothing (unmanaged members, unresolvable people, unmanageable teams)
 * are the target's `notes` (see `findings.ts`).
 */
export function guardGithub(
  changes: readonly GithubChange[],
  desired: GithubDesired,
  observed: GithubObserved,
): GuardVerdict[] {
  const verdicts: GuardVerdict[] = [];
  const reject = (guard: string, ids: readonly string[], message: string) => {
    if (ids.length > 0) verdicts.push({ guard, outcome: 'reject', changeIds: [...ids], message });
  };
  const destructive = changes.filter((c) => c.destructive);

  if (desired.missingGroups.length > 0) {
    reject(
      'missing-group',
      destructive.map((c) => c.id),
      `group(s) ${desired.missingGroups.join(', ')} not found in their source; nothing is removed or demoted until ` +
        'the config or the source is fixed',
    );
  }

  const orgRemovals = changes.filter((c) => c.kind === 'github-org-remove');
  fractionGuard(
    verdicts,
    'org-removal-fraction',
    `org ${observed.org}`,
    observed.members.length,
    orgRemovals.map((c) => c.id),
    desired.limits.maxOrgRemovalFraction,
  );

  const bySlug = new Map<string, TeamRemoveChange[]>();
  for (const c of changes) if (c.kind === 'github-team-remove') bySlug.set(c.slug, [...(bySlug.get(c.slug) ?? []), c]);
  for (const [slug, list] of bySlug) {
    const before = observed.teams.find((t) => t.slug === slug)?.members?.length ?? 0;
    fractionGuard(
      verdicts,
      'team-removal-fraction',
      `team ${slug}`,
      before,
      list.map((c) => c.id),
      desired.limits.maxTeamRemovalFraction,
    );
  }

  const admins = observed.members.filter((m) => m.role === 'admin').length;
  const losing = changes.filter(
    (c) =>
      (c.kind === 'github-org-role' && c.from === 'admin' && c.to === 'member') ||
      (c.kind === 'github-org-remove' && c.role === 'admin'),
  );
  const after = admins - losing.length;
  if (losing.length > 0 && after < desired.limits.minAdmins) {
    reject(
      'min-admins',
      losing.map((c) => c.id),
      `org ${observed.org} would keep ${after} owner(s) (${admins} → ${after}), fewer than minAdmins ${desired.limits.minAdmins}`,
    );
  }

  const self = observed.self;
  if (self) {
    reject(
      'self',
      destructive.filter((c) => c.githubId === self.id).map((c) => c.id),
      `never removes or demotes ${who(self.id, self.login)}: the account gatehouse authenticates as`,
    );
  }

  const protectedIds = new Set(desired.protected);
  const hits = destructive.filter((c) => c.githubId !== null && protectedIds.has(c.githubId));
  reject(
    'protected',
    hits.map((c) => c.id),
    `never removes or demotes protected account(s): ${[...new Set(hits.map((c) => who(c.githubId ?? 0, c.login)))].join(', ')}`,
  );

  const invites = changes.filter((c): c is InviteChange => c.kind === 'github-invite');
  const budget = desired.limits.invitationBudget;
  const left = Math.max(0, budget - observed.invitationsLast24h);
  if (invites.length > left) {
    reject(
      'invitation-budget',
      invites.slice(left).map((c) => c.id),
      `${invites.length} invitation(s) planned but only ${left} of the ${budget} per 24 h remain ` +
        `(${observed.invitationsLast24h} sent in the last 24 h); ${invites.length - left} wait for a later run`,
    );
  }
  return verdicts;
}

function fractionGuard(
  verdicts: GuardVerdict[],
  guard: string,
  label: string,
  before: number,
  ids: readonly string[],
  maxFraction: number,
): void {
  if (ids.length <= 1) return;
  const v = maxShrinkGuard(
    { label, changeId: '', before, after: Math.max(0, before - ids.length), removed: ids.length },
    maxFraction,
    guard,
  );
  if (v) verdicts.push({ ...v, changeIds: [...ids] });
}
