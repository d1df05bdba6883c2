import type { DesiredContext } from '../../core/contracts.ts';
import type { Person } from '../../core/model.ts';
import { listNames, MAX_LISTED } from '../../core/names.ts';
import { byNumericAccount, indexPeople, parseGroupRef, resolveGroup } from '../../core/people.ts';
import { peopleSources, type GithubConfig } from './config.ts';
import type { DesiredMember, DesiredTeam, GithubDesired, OrgRole } from './types.ts';

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
 * removals then. Problems about members come one line per group as written, with a count and the first few person
 * ids: a directory of 100k people, most without a GitHub account, is a finding a human reads, not 100k lines.
 */
export function desiredState(config: GithubConfig, ctx: DesiredContext): GithubDesired {
  const people = indexPeople(ctx, peopleSources(config));
  const accounts = byNumericAccount(people.list, 'github');
  // A claim that is not contested is its claimant's own (byAccount holds every person of the index with an id that
  // nobody else claims): only when some account is contested does a member's claim need looking up.
  const contested = accounts.problems.length > 0;
  const problems: string[] = [...people.problems, ...accounts.problems];
  const missingGroups = new Set<string>();
  // Each group text is resolved to the same members every time: a text seen again adds no problem.
  const reported = new Set<string>();

  // What each person of the index grants, worked out once per person by position (a membership reads two arrays by
  // position, not the person's accounts: 350k memberships for 100k people): GRANTS with their id in `idAt`, LACKS
  // without a GitHub id, nothing when their claim is contested (reported above).
  const { list } = people;
  const grantAt = new Uint8Array(list.length);
  // A plain array, not a Float64Array: an id read from it stays a small integer, as the person's own is, so the members
  // made from it hold it as one (a double read back would make every DesiredMember's id a boxed number for the diff).
  const idAt = new Array<number>(list.length).fill(0);
  for (let at = 0; at < list.length; at++) {
    const p = list[at] as Person;
    const githubId = p.accounts.github;
    if (githubId === undefined) grantAt[at] = LACKS;
    else if (!contested || accounts.byAccount.get(githubId)?.id === p.id) {
      grantAt[at] = GRANTS;
      idAt[at] = githubId;
    }
  }

  // Each member of a group is handed to `grant` (by position in the index) as it is resolved: no list of grants per
  // group, nor per member.
  const resolve = (text: string, grant: (at: number) => void): void => {
    const ref = parseGroupRef(text);
    if (!ref) return;
    const g = resolveGroup(ctx, ref, people);
    if (g.status === 'missing') missingGroups.add(text);
    const first = !reported.has(text);
    reported.add(text);
    if (first && g.unknown.length > 0)
      problems.push(`group ${text}: ${g.unknown.length} member(s) no people source declares: ${listNames(g.unknown)}`);
    // Members without a GitHub id: counted, and the first few named (members come by person id).
    let lacking = 0;
    const named: string[] = [];
    const { positions } = g;
    for (let i = 0; i < positions.length; i++) {
      const at = positions[i] as number;
      const state = grantAt[at];
      if (state === GRANTS) grant(at);
      else if (first && state === LACKS && lacking++ < MAX_LISTED) named.push((list[at] as Person).id);
    }
    if (first && lacking > 0)
      problems.push(
        `group ${text}: ${lacking} member(s) have no github account; nothing is granted to them: ` +
          listNames(named, MAX_LISTED, lacking),
      );
  };

  const org = new Map<number, DesiredMember>();
  const grantOrg = (texts: readonly string[], role: OrgRole) => {
    for (const text of texts) {
      resolve(text, (at) => {
        const githubId = idAt[at] as number;
        const had = org.get(githubId);
        if (!had || (had.role === 'member' && role === 'admin'))
          org.set(githubId, { githubId, person: (list[at] as Person).id, role });
      });
    }
  };
  grantOrg(config.admins, 'admin');
  grantOrg(config.members, 'member');

  const teams: DesiredTeam[] = Object.entries(config.teams).map(([slug, t]) => {
    type TeamMember = DesiredTeam['members'][number];
    // A team of one group of members (the usual one): its members are distinct people and their granted ids distinct
    // (a contested id grants nothing), so no map is needed to keep each once; they come by person id, and are put in
    // id order only when their ids are not ascending already.
    if (t.maintainers.length === 0 && t.members.length === 1) {
      const found: TeamMember[] = [];
      let ascending = true;
      resolve(t.members[0] as string, (at) => {
        const githubId = idAt[at] as number;
        if (found.length > 0 && !((found[found.length - 1] as TeamMember).githubId < githubId)) ascending = false;
        found.push({ githubId, person: (list[at] as Person).id, role: 'member' });
      });
      for (let i = 0; i < found.length; i++) {
        const m = found[i] as TeamMember;
        if (!org.has(m.githubId)) org.set(m.githubId, { githubId: m.githubId, person: m.person, role: 'member' });
      }
      return { slug, members: ascending ? found : byAscendingId(new Map(found.map((m) => [m.githubId, m]))) };
    }
    const roles = new Map<number, TeamMember>();
    for (const [texts, role] of [
      [t.maintainers, 'maintainer'],
      [t.members, 'member'],
    ] as const) {
      for (const text of texts) {
        resolve(text, (at) => {
          const githubId = idAt[at] as number;
          if (!roles.has(githubId)) roles.set(githubId, { githubId, person: (list[at] as Person).id, role });
        });
      }
    }
    roles.forEach((m, githubId) => {
      if (!org.has(githubId)) org.set(githubId, { githubId, person: m.person, role: 'member' });
    });
    return { slug, members: byAscendingId(roles) };
  });

  const members: DesiredMember[] = byAscendingId(org);
  return {
    org: config.org,
    members,
    teams,
    known: ascendingIds(accounts.byAccount),
    unmanagedMembers: config.unmanagedMembers,
    protected: [...new Set(config.protected)].sort((a, b) => a - b),
    limits: { ...config.guards },
    missingGroups: [...missingGroups].sort(),
    problems: [...new Set(problems)].sort(),
  };
}

/** What a person of the index grants (`grantAt`): nothing (a contested claim), by their GitHub id, or nothing for lack of one. */
const GRANTS = 1;
const LACKS = 2;

/**
 * The values by ascending key: the keys sorted as numbers in a typed array (no comparator call per comparison: 220k
 * team memberships for 100k people), each value then found by its key.
 */
function byAscendingId<T>(byId: ReadonlyMap<number, T>): T[] {
  const ids = new Float64Array(byId.size);
  let n = 0;
  byId.forEach((_, id) => {
    ids[n++] = id;
  });
  ids.sort();
  const out = new Array<T>(ids.length);
  for (let i = 0; i < ids.length; i++) out[i] = byId.get(ids[i] as number) as T;
  return out;
}

/** The ids in ascending order (a typed array sorts numbers without a comparator call per comparison). */
function ascendingIds(ids: ReadonlyMap<number, unknown>): number[] {
  const sorted = new Float64Array(ids.size);
  let n = 0;
  ids.forEach((_, id) => {
    sorted[n++] = id;
  });
  return Array.from(sorted.sort());
}
