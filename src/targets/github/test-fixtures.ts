import type { DesiredContext } from '../../core/contracts.ts';
import type { Person, ResolvedSource } from '../../core/model.ts';
import type { PluginDeps } from '../../plugins.ts';
import { githubSchema, type GithubConfig } from './config.ts';
import type { GithubDesired, GithubObserved, ObservedMember, ObservedTeam, OrgRole, TeamRole } from './types.ts';
import { testDeps } from '../../testing/plugin-deps.ts';

/** Shared fixtures of this folder's unit tests. */

export const deps = (): PluginDeps => testDeps({ baseDir: '/etc/gatehouse' });

/** A parsed config for org `acme` with a token; groups come from source `people`. */
export function config(overrides: Record<string, unknown> = {}): GithubConfig {
  return githubSchema.parse({
    type: 'github',
    org: 'acme',
    auth: { token: 'ghp_test_token_0123456789' },
    members: ['people/helpers'],
    ...overrides,
  });
}

/** `alice` → person `alice` with github id from `ids` (or none when absent). */
export function people(ids: Record<string, number | undefined>): Person[] {
  return Object.entries(ids).map(([id, github]) => ({ id, accounts: github === undefined ? {} : { github } }));
}

/** A DesiredContext with one source `people` declaring `persons` and `groups`. */
export function context(
  persons: readonly Person[],
  groups: Record<string, readonly string[]>,
  status: ResolvedSource['status'] = 'live',
): DesiredContext {
  const source: ResolvedSource = {
    name: 'people',
    type: 'static',
    status,
    facts:
      status === 'missing'
        ? {}
        : { people: persons, groups: Object.entries(groups).map(([name, members]) => ({ name, members })) },
    notes: [],
  };
  return { sources: new Map([['people', source]]) };
}

/** A desired state with defaults; `members` as `[githubId, role]` (person id `p<id>`). */
export function desired(
  members: readonly [number, OrgRole][],
  extra: Partial<GithubDesired> & { teamMembers?: Record<string, readonly [number, TeamRole][]> } = {},
): GithubDesired {
  const { teamMembers, ...rest } = extra;
  return {
    org: 'acme',
    members: members.map(([githubId, role]) => ({ githubId, person: `p${githubId}`, role })),
    teams: Object.entries(teamMembers ?? {}).map(([slug, list]) => ({
      slug,
      members: list.map(([githubId, role]) => ({ githubId, person: `p${githubId}`, role })),
    })),
    known: members.map(([id]) => id),
    unmanagedMembers: 'report',
    protected: [],
    limits: { maxOrgRemovalFraction: 0.25, maxTeamRemovalFraction: 0.25, minAdmins: 1, invitationBudget: 50 },
    missingGroups: [],
    problems: [],
    ...rest,
  };
}

/** An observation; members as `[id, role]` (login `u<id>`), teams as slug → `[id, role]` (team id 900 + index). */
export function observed(
  members: readonly [number, OrgRole][],
  extra: Partial<GithubObserved> & { teamMembers?: Record<string, readonly [number, TeamRole][]> } = {},
): GithubObserved {
  const { teamMembers, ...rest } = extra;
  const list: ObservedMember[] = members.map(([id, role]) => ({ id, login: `u${id}`, role }));
  const teams: ObservedTeam[] = Object.entries(teamMembers ?? {}).map(([slug, m], i) => ({
    id: 900 + i,
    slug,
    unmanageable: null,
    members: m.map(([id, role]) => ({ id, login: `u${id}`, role })),
  }));
  return {
    org: 'acme',
    self: { id: 1, login: 'u1' },
    members: list,
    invitations: [],
    failedInvitations: [],
    teams,
    invitationsLast24h: 0,
    ...rest,
  };
}
