import { Document, isMap, isScalar, isSeq } from 'yaml';
import type { GithubObserved } from './types.ts';

export interface DumpOptions {
  /** Name of the github target in the written config. Default `github`. */
  readonly target?: string;
  /** Name of the static source that declares the people and groups. Default `github-people`. */
  readonly source?: string;
  /** Written only when not the public API. */
  readonly apiUrl?: string;
  /**
   * Teams of pending invitations (invitation id → team slugs; `GET /orgs/{org}/invitations/{id}/teams`): the invitee
   * joins them on acceptance, so they belong in those teams' member groups, or the next run would remove them.
   */
  readonly invitationTeams?: ReadonlyMap<number, readonly string[]>;
}

interface DumpPerson {
  readonly id: string;
  readonly githubId: number;
  readonly login: string;
  readonly pending: boolean;
}

/**
 * The organisation as gatehouse configuration, to adopt an existing org (like peribolos' `--dump`): a `static` source
 * declaring every member and pending invitee as a person with their numeric GitHub id (the login as a comment: logins
 * change, ids do not), groups for owners, members and each team's maintainers and members, and a `github` target
 * mapping those groups back. Applied unchanged, it plans no change.
 *
 * Person ids are the lowercased logins at dump time; they are gatehouse's own ids and need not follow later renames.
 * Left out: invitations by email or to unknown accounts, enterprise teams and teams GitHub refused writes to (listed
 * as comments), and teams without members (listed as a comment). Pure.
 */
export function dumpConfig(observed: GithubObserved, options: DumpOptions = {}): string {
  const source = options.source ?? 'github-people';
  const targetName = options.target ?? 'github';
  const org = observed.org;

  const people = new Map<number, DumpPerson>();
  const add = (githubId: number, login: string, pending: boolean) => {
    if (!people.has(githubId)) people.set(githubId, { id: login.toLowerCase(), githubId, login, pending });
  };
  for (const m of observed.members) add(m.id, m.login, false);
  const invited = observed.invitations.filter(
    (i) => i.inviteeId !== null && i.login !== null && (i.role === 'admin' || i.role === 'direct_member'),
  );
  for (const i of invited) add(i.inviteeId as number, i.login as string, true);
  const idOf = (githubId: number) => people.get(githubId)?.id ?? String(githubId);

  const groups: Record<string, string[]> = {};
  const admins = [
    ...observed.members.filter((m) => m.role === 'admin').map((m) => idOf(m.id)),
    ...invited.filter((i) => i.role === 'admin').map((i) => idOf(i.inviteeId as number)),
  ].sort();
  const members = [
    ...observed.members.filter((m) => m.role === 'member').map((m) => idOf(m.id)),
    ...invited.filter((i) => i.role === 'direct_member').map((i) => idOf(i.inviteeId as number)),
  ].sort();
  const adminsGroup = `${org.toLowerCase()}-admins`;
  const membersGroup = `${org.toLowerCase()}-members`;
  if (admins.length) groups[adminsGroup] = admins;
  if (members.length) groups[membersGroup] = members;

  const teams: Record<string, { maintainers?: string[]; members?: string[] }> = {};
  const skipped: string[] = [];
  for (const t of observed.teams) {
    if (t.unmanageable !== null) {
      skipped.push(`${t.slug} (${t.unmanageable})`);
      continue;
    }
    const list = [...(t.members ?? [])];
    for (const i of invited) {
      if (options.invitationTeams?.get(i.id)?.includes(t.slug) && !list.some((m) => m.id === i.inviteeId)) {
        list.push({ id: i.inviteeId as number, login: i.login as string, role: 'member' });
      }
    }
    if (list.length === 0) {
      skipped.push(`${t.slug} (no members)`);
      continue;
    }
    const entry: { maintainers?: string[]; members?: string[] } = {};
    for (const role of ['maintainer', 'member'] as const) {
      const ids = list
        .filter((m) => m.role === role)
        .map((m) => idOf(m.id))
        .sort();
      if (ids.length === 0) continue;
      const group = `team-${t.slug}-${role}s`;
      groups[group] = ids;
      entry[role === 'maintainer' ? 'maintainers' : 'members'] = [`${source}/${group}`];
    }
    teams[t.slug] = entry;
  }

  const sorted = [...people.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const target: Record<string, unknown> = {
    type: 'github',
    org,
    ...(options.apiUrl && options.apiUrl !== 'https://api.github.com' ? { apiUrl: options.apiUrl } : {}),
    auth: { token: '${env:GITHUB_TOKEN}' },
    ...(admins.length ? { admins: [`${source}/${adminsGroup}`] } : {}),
    ...(members.length ? { members: [`${source}/${membersGroup}`] } : {}),
    teams,
    unmanagedMembers: 'report',
  };
  const doc = new Document({
    sources: {
      [source]: {
        type: 'static',
        description: `People and groups of GitHub org ${org}, as dumped by gatehouse github dump`,
        people: sorted.map((p) => ({ id: p.id, github: p.githubId })),
        groups,
      },
    },
    targets: { [targetName]: target },
  });
  doc.commentBefore =
    ` Written by \`gatehouse github dump\` from GitHub org ${org}. Review, then merge into your configuration.\n` +
    ' People are keyed by numeric GitHub id; the comment after each id is the login at dump time.' +
    (skipped.length ? `\n Teams left out: ${skipped.join('; ')}.` : '');

  // Comment each `github: <id>` with the login, and pending invitations as such.
  const peopleSeq = doc.getIn(['sources', source, 'people'], true);
  if (isSeq(peopleSeq)) {
    peopleSeq.items.forEach((item, i) => {
      const p = sorted[i];
      if (!p || !isMap(item)) return;
      const value = item.get('github', true);
      if (isScalar(value)) value.comment = ` ${p.login}${p.pending ? ' (invitation pending)' : ''}`;
    });
  }
  return doc.toString({ lineWidth: 120 });
}
