import type { DesiredContext } from '../../core/contracts.ts';
import { byNumericAccount, indexPeople, parseGroupRef, resolveGroup } from '../../core/people.ts';
import { peopleSources, type GithubConfig } from './config.ts';
import type { DesiredMember, DesiredTeam, GithubDesired, OrgRole, TeamRole } from './types.ts';

/**
 * Desired state of the organisation, a pure function of the facts and the config:
 *
 * - org role: `admin` for people of an `admins` group, else `member` for people of a `members` group or of any team;
 * - per configured team: `maintainer` for people of a `maintainers` group, else `member`.
 *
 * People are resolved through the people sources by person id and granted by their numeric GitHub id. A person without
 * a GitHub id, an unknown person id, or a GitHub id claimed by two people grants nothing and is listed in `problems`. A
 * group that a readable source does not emit is listed in `missingGroups` (the guard then blocks removals: a renamed
 * Discord role must not empty the org). An unreadable source contributes nothing; the core completeness guard blocks
 * removals then.
 */
export function desiredState(config: GithubConfig, ctx: DesiredContext): GithubDesired {
  const people = indexPeople(ctx, peopleSources(config));
  const accounts = byNumericAccount(people.byId.values(), 'github');
  const problems = new Set<string>([...people.problems, ...accounts.problems]);
  const missingGroups = new Set<string>();

  const resolve = (text: string): { githubId: number; person: string }[] => {
    const ref = parseGroupRef(text);
    if (!ref) return [];
    const g = resolveGroup(ctx, ref, people);
    if (g.status === 'missing') missingGroups.add(text);
    for (const id of g.unknown) problems.add(`group ${text} names ${id}, whom no people source declares`);
    const out: { githubId: number; person: string }[] = [];
    for (const p of g.members) {
      const githubId = p.accounts.github;
      if (githubId === undefined) {
        problems.add(`person ${p.id} (group ${text}) has no github account; nothing is granted`);
        continue;
      }
      // A conflicting claim was reported above and grants nothing.
      if (accounts.byAccount.get(githubId)?.id !== p.id) continue;
      out.push({ githubId, person: p.id });
    }
    return out;
  };

  const org = new Map<number, { person: string; role: OrgRole }>();
  const grantOrg = (list: readonly string[], role: OrgRole) => {
    for (const text of list) {
      for (const m of resolve(text)) {
        const had = org.get(m.githubId);
        if (!had || (had.role === 'member' && role === 'admin')) org.set(m.githubId, { person: m.person, role });
      }
    }
  };
  grantOrg(config.admins, 'admin');
  grantOrg(config.members, 'member');

  const teams: DesiredTeam[] = Object.entries(config.teams).map(([slug, t]) => {
    const roles = new Map<number, { person: string; role: TeamRole }>();
    for (const [list, role] of [
      [t.maintainers, 'maintainer'],
      [t.members, 'member'],
    ] as const) {
      for (const text of list) {
        for (const m of resolve(text)) {
          if (!roles.has(m.githubId)) roles.set(m.githubId, { person: m.person, role });
        }
      }
    }
    for (const [githubId, m] of roles) if (!org.has(githubId)) org.set(githubId, { person: m.person, role: 'member' });
    return {
      slug,
      members: [...roles].sort((a, b) => a[0] - b[0]).map(([githubId, m]) => ({ githubId, ...m })),
    };
  });

  const members: DesiredMember[] = [...org].sort((a, b) => a[0] - b[0]).map(([githubId, m]) => ({ githubId, ...m }));
  return {
    org: config.org,
    members,
    teams,
    known: [...accounts.byAccount.keys()].sort((a, b) => a - b),
    unmanagedMembers: config.unmanagedMembers,
    protected: [...new Set(config.protected)].sort((a, b) => a - b),
    limits: { ...config.guards },
    missingGroups: [...missingGroups].sort(),
    problems: [...problems].sort(),
  };
}
