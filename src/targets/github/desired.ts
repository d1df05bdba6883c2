import type { DesiredContext } from '../../core/contracts.ts';
import type { Person } from '../../core/model.ts';
import { listNames, MAX_LISTED } from '../../core/names.ts';
import { byNumericAccount, indexPeople, parseGroupRef, resolveGroup } from '../../core/people.ts';
import { peopleSources, type GithubConfig } from './config.ts';
import type { DesiredMember, DesiredTeam, GithubDesired } from './types.ts';

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

  // Each granted GitHub id is one person's, at one position of the index (a contested id grants nothing): org roles and
  // team members are kept by position, and put in id order by sorting positions by id, without a map by id.
  const orgRoleAt = new Uint8Array(list.length);
  // One member object per person, shared by the org and every team that has them as a member (220k team memberships
  // for 100k people are then ~60k objects); admins and maintainers get their own.
  const asMember = new Array<DesiredMember | undefined>(list.length);
  const memberAt = (at: number): DesiredMember =>
    (asMember[at] ??= { githubId: idAt[at] as number, person: (list[at] as Person).id, role: 'member' });
  for (const [texts, role] of [
    [config.admins, ADMIN],
    [config.members, MEMBER],
  ] as const) {
    for (const text of texts)
      resolve(text, (at) => {
        if (orgRoleAt[at]! < role) orgRoleAt[at] = role;
      });
  }

  const teams: DesiredTeam[] = Object.entries(config.teams).map(([slug, t]) => {
    type TeamMember = DesiredTeam['members'][number];
    // Maintainers first: a person named by both keeps the first role met, as in a map filled in that order. A team of
    // one group (the usual one) names each person once, in that group's role: no map of who was met is needed.
    const single = t.maintainers.length + t.members.length === 1;
    const singleRole = t.maintainers.length === 1 ? 'maintainer' : 'member';
    const roleOf = new Map<number, 'maintainer' | 'member'>();
    const positions: number[] = [];
    for (const [texts, role] of [
      [t.maintainers, 'maintainer'],
      [t.members, 'member'],
    ] as const) {
      for (const text of texts)
        resolve(text, (at) => {
          if (!single) {
            if (roleOf.has(at)) return;
            roleOf.set(at, role);
          }
          positions.push(at);
          if (orgRoleAt[at] === NONE) orgRoleAt[at] = MEMBER;
        });
    }
    const sorted = byIdAt(positions, idAt);
    const members = new Array<TeamMember>(sorted.length);
    for (let i = 0; i < sorted.length; i++) {
      const at = sorted[i] as number;
      members[i] =
        (single ? singleRole : roleOf.get(at)) === 'maintainer'
          ? { githubId: idAt[at] as number, person: (list[at] as Person).id, role: 'maintainer' }
          : (memberAt(at) as TeamMember);
    }
    return { slug, members };
  });

  const granted: number[] = [];
  for (let at = 0; at < orgRoleAt.length; at++) if (orgRoleAt[at] !== NONE) granted.push(at);
  const byId = byIdAt(granted, idAt);
  const members = new Array<DesiredMember>(byId.length);
  for (let i = 0; i < byId.length; i++) {
    const at = byId[i] as number;
    members[i] =
      orgRoleAt[at] === ADMIN
        ? { githubId: idAt[at] as number, person: (list[at] as Person).id, role: 'admin' }
        : memberAt(at);
  }
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

/** A person's org role (`orgRoleAt`), ordered so the higher role wins. */
const NONE = 0;
const MEMBER = 1;
const ADMIN = 2;

/** Packed sort keys hold a position in their low bits: 2^21 positions (2M people), ids below 2^32, exact below 2^53. */
const POSITION_BITS = 2 ** 21;
const MAX_PACKED_ID = 2 ** 32;

/**
 * The positions ordered by the id each has in `idAt` (ids of distinct positions are distinct). Each (id, position) is
 * packed into one number, id · 2^21 + position, and a typed array of them sorted: no comparator call per comparison
 * and no map from id back to position (220k team memberships for 100k people). Ids or positions too large to pack
 * exactly are sorted with a comparator instead.
 */
export function byIdAt(positions: readonly number[], idAt: readonly number[]): number[] {
  const packed = new Float64Array(positions.length);
  for (let i = 0; i < positions.length; i++) {
    const at = positions[i] as number;
    const id = idAt[at] as number;
    if (!(Number.isInteger(id) && id >= 0 && id < MAX_PACKED_ID && at < POSITION_BITS))
      return [...positions].sort((a, b) => (idAt[a] as number) - (idAt[b] as number));
    packed[i] = id * POSITION_BITS + at;
  }
  packed.sort();
  const out = new Array<number>(packed.length);
  for (let i = 0; i < packed.length; i++) out[i] = (packed[i] as number) % POSITION_BITS;
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
