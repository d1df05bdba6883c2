import { classifyInvitations, orgRemovals, who } from './diff.ts';
import { listNames as list } from '../../core/names.ts';
import type { GithubDesired, GithubObserved } from './types.ts';

/**
 * What the plan should tell a human but no change does: people that could not be resolved, unmanaged members and
 * invitations left alone (`unmanagedMembers: report`), failed invitations, configured teams that are missing or
 * unmanageable. Pure; one line each, deterministic order.
 */
export function findings(desired: GithubDesired, observed: GithubObserved): string[] {
  const out = [...desired.problems];

  const { unmanaged } = orgRemovals(desired, observed);
  if (unmanaged.length > 0) {
    out.push(
      `${unmanaged.length} org member(s) that no person claims are left alone (unmanagedMembers: report): ` +
        list(unmanaged.map((m) => `${who(m.id, m.login)} ${m.role}`)),
    );
  }
  const strays = classifyInvitations(desired, observed).filter((v) => v.action === 'unmanaged');
  if (strays.length > 0) {
    out.push(
      `${strays.length} pending invitation(s) no person claims are left alone: ` +
        list(strays.map(({ invitation: i }) => `${i.id} (${i.login ?? 'by email'}, ${i.role})`)),
    );
  }
  if (observed.failedInvitations.length > 0) {
    out.push(
      `${observed.failedInvitations.length} failed invitation(s): ` +
        list(
          observed.failedInvitations.map(
            (f) =>
              `${f.login ?? 'by email'} (${f.failedReason ?? 'no reason given'}, ${f.failedAt ?? 'at an unknown time'})`,
          ),
        ),
    );
  }
  const teams = new Map(observed.teams.map((t) => [t.slug, t]));
  for (const t of desired.teams) {
    const o = teams.get(t.slug);
    if (!o)
      out.push(
        `team ${t.slug} does not exist in org ${observed.org}; create it on GitHub (gatehouse never creates teams)`,
      );
    else if (o.unmanageable !== null) out.push(`team ${t.slug} is left alone: ${o.unmanageable}`);
  }
  return out;
}
