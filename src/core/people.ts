import type { DesiredContext } from './contracts.ts';
import type { Group, Person, PersonAccounts, ResolvedSource } from './model.ts';

/**
 * Pure helpers that turn the people and groups sources emitted into what a target grants: "the members of group G of
 * source S, as people with their linked accounts". Targets that grant access per person (GitHub, LDAP groups, mail)
 * share them, so every target reads groups the same way and reports the same problems.
 *
 * People and groups may come from different sources (a Discord source emits roles whose members are person ids that a
 * static source or the stored links declare); the index spans every source the caller names, in that order.
 */

/** A group of one source, written `source/group` in configuration. */
export interface GroupRef {
  readonly source: string;
  readonly group: string;
}

/**
 * Parses `source/group`. Source names cannot contain `/` (see the config schema), so the first `/` separates them and
 * the group name may contain more (Discord role names do).
 * @returns undefined when either part is empty.
 */
export function parseGroupRef(text: string): GroupRef | undefined {
  const i = text.indexOf('/');
  if (i <= 0 || i === text.length - 1) return undefined;
  return { source: text.slice(0, i), group: text.slice(i + 1) };
}

/** The inverse of {@link parseGroupRef}. */
export function formatGroupRef(ref: GroupRef): string {
  return `${ref.source}/${ref.group}`;
}

/** Every person the named sources declare, by person id. */
export interface PeopleIndex {
  /** Each person once, in the order first declared (sources in the order named, each in its own order). */
  readonly list: readonly Person[];
  /** The position in `list` of each person id. */
  readonly positionOf: PositionLookup;
  /** The same people by id (made on first use: planning reads `list` and `positionOf`). */
  readonly byId: ReadonlyMap<string, Person>;
  /** Human-readable problems: the same person id declared differently by two sources (the first one is kept). */
  readonly problems: readonly string[];
}

/** Positions by person id (a map, or a map of the leading source's people and one of the rest). */
export interface PositionLookup {
  get(id: string): number | undefined;
  has(id: string): boolean;
}

/**
 * Indexes the people of `sources` (in that order; unknown or unreadable sources contribute nothing). When two sources
 * declare the same person id, accounts one of them lacks are taken from the other (a `links` source completes the
 * people of a Discord source with their GitHub ids); when they contradict (two different ids for one account kind)
 * the first declaration wins and the conflict is reported: merging those could grant one person's access to another.
 */
export function indexPeople(ctx: DesiredContext, sources: readonly string[]): PeopleIndex {
  const lists = sources.map((name) => ctx.sources.get(name)?.facts.people);
  const first = lists.find((l) => l !== undefined);
  if (!first) return buildPeopleIndex(sources, lists);
  // Every target of a run indexes the same sources' people (100k people took ~150 ms per target). The index is a pure
  // function of the source names and their people lists, which are immutable, and a new read yields new lists: keyed
  // weakly by the first list, it lives as long as the facts, and a memo whose lists are not these is replaced.
  const key = JSON.stringify(sources);
  let memos = peopleIndexes.get(first);
  if (!memos) {
    memos = new Map<string, PeopleMemo>();
    peopleIndexes.set(first, memos);
  }
  const memo = memos.get(key);
  if (memo && memo.lists.length === lists.length && memo.lists.every((l, i) => l === lists[i])) return memo.index;
  // An index of several sources starts as the index of its first one (another target may index it alone; a directory
  // and its links, and the directory for LDAP groups and mail): that one's 100k positions are found once, not again.
  const lead = lists[0] && sources.length > 1 ? indexPeople(ctx, sources.slice(0, 1)) : undefined;
  const index = buildPeopleIndex(sources, lists, lead);
  memos.set(key, { lists, index });
  return index;
}

interface PeopleMemo {
  readonly lists: readonly (readonly Person[] | undefined)[];
  readonly index: PeopleIndex;
}
const peopleIndexes = new WeakMap<readonly Person[], Map<string, PeopleMemo>>();

/**
 * Indexes the people of `lists` (of `sources`, in that order). With `lead`, the index of the first source alone: the
 * result starts from its state (its people, positions and problems) and only the other sources are read.
 */
function buildPeopleIndex(
  sources: readonly string[],
  lists: readonly (readonly Person[] | undefined)[],
  lead?: PeopleIndex,
): PeopleIndex {
  const list: Person[] = lead ? lead.list.slice() : [];
  const own = new Map<string, number>();
  const before = lead?.positionOf;
  const positionOf: PositionLookup = before
    ? {
        get: (id) => before.get(id) ?? own.get(id),
        has: (id) => before.has(id) || own.has(id),
      }
    : own;
  const problems: string[] = lead ? [...lead.problems] : [];
  // Which source first declared each person: only a conflict names it, so it is looked up then, not kept for all.
  let origins: Map<string, string> | undefined;
  const origin = {
    get(id: string): string | undefined {
      if (!origins) {
        origins = new Map();
        for (const [i, name] of sources.entries())
          for (const p of lists[i] ?? []) if (!origins.has(p.id)) origins.set(p.id, name);
      }
      return origins.get(id);
    },
  };
  // The first list read, when its ids are distinct: its people are then the first positions, in its order.
  let leading = lead ? leadingLists.get(lead) : undefined;
  let first = lead === undefined;
  for (const [i, name] of sources.entries()) {
    const people = lists[i];
    if (lead && i === 0) continue;
    // An indexed loop: an iterator makes a result object per person (100k) in code run once per index.
    const each = people ?? [];
    let k = 0;
    if (list.length === 0 && each.length > 0) {
      // The first people read: a source declares each person once, as a rule, so each id is only set, not looked up
      // first (100k lookups that all miss). Only when the positions are fewer than the people (an id declared twice)
      // is the list read again the general way, which merges or reports the second declaration.
      for (; k < each.length; k++) own.set((each[k] as Person).id, k);
      if (own.size === each.length) for (let j = 0; j < each.length; j++) list.push(each[j] as Person);
      else {
        own.clear();
        k = 0;
      }
    }
    for (; k < each.length; k++) {
      const p = each[k] as Person;
      const at = positionOf.get(p.id);
      const seen = at === undefined ? undefined : (list[at] as Person);
      if (at === undefined || seen === undefined) {
        own.set(p.id, list.length);
        list.push(p);
      } else if (sameAccounts(seen.accounts, p.accounts)) {
        continue;
      } else if (compatible(seen.accounts, p.accounts)) {
        // A later source only adds accounts the first left out (an approved link adding the GitHub id to a Discord
        // member): the same human, completed. The first declaration's display name and attributes stay.
        list[at] = { ...seen, accounts: mergeAccounts(seen.accounts, p.accounts) };
      } else {
        problems.push(
          `person ${p.id} is declared by ${origin.get(p.id)} and ${name} with different accounts; using ${origin.get(p.id)}`,
        );
      }
    }
    if (people && first) {
      first = false;
      if (list.length === people.length) leading = people;
    }
  }
  let byId: Map<string, Person> | undefined;
  const index: PeopleIndex = {
    list,
    positionOf,
    get byId() {
      return (byId ??= new Map(list.map((p) => [p.id, p])));
    },
    problems,
  };
  if (leading) leadingLists.set(index, leading);
  if (lead && leading) leadIndexes.set(index, lead);
  return index;
}

/** Per index of several sources whose first positions are its first source's people: the index of that source. */
const leadIndexes = new WeakMap<PeopleIndex, PeopleIndex>();

/** Per index whose first positions are exactly the people of a source's list, in order: that list. */
const leadingLists = new WeakMap<PeopleIndex, readonly Person[]>();

/** A group resolved to people. */
export interface ResolvedGroup {
  readonly ref: GroupRef;
  /**
   * `found`: the source is live or a snapshot and emitted the group. `missing`: the source was read but has no such group
   * (renamed role, typo) — its absence must not read as "nobody". `unavailable`: the source itself could not be read and
   * has no snapshot (the core completeness guard then blocks removals).
   */
  readonly status: 'found' | 'missing' | 'unavailable';
  /** Members that resolved to a known person, sorted by person id. */
  readonly members: readonly Person[];
  /**
   * The position in the index's `list` of each of `members` (parallel to it): what a target works out per person can
   * be kept in arrays by position, without a lookup per membership.
   */
  readonly positions: Int32Array;
  /** Member ids no indexed source declares. */
  readonly unknown: readonly string[];
}

/**
 * The members of `ref` as people of the index (sorted by person id, each once, with their positions in the index's
 * `list`), and the member ids the index lacks. Resolved once per group and index, kept weakly by both.
 */
export function resolveGroup(ctx: DesiredContext, ref: GroupRef, people: PeopleIndex): ResolvedGroup {
  const source: ResolvedSource | undefined = ctx.sources.get(ref.source);
  if (!source || source.status === 'missing') return { ref, status: 'unavailable', ...NOBODY };
  const group = source.facts.groups && findGroup(source.facts.groups, ref.group);
  if (!group) return { ref, status: 'missing', ...NOBODY };
  // Targets of one run share the people index (indexPeople) and name the same groups (a team and an LDAP group of
  // one role, everyone as the org and as a base role): a group is resolved once per index, kept weakly by both.
  const found = resolution(group, people);
  return { ref, status: 'found', members: found.members, unknown: found.unknown, positions: found.positions };
}

/** The group resolved against the index, once per group and index. */
function resolution(group: Group, people: PeopleIndex): Resolution {
  let resolved = resolvedGroups.get(people);
  if (!resolved) {
    resolved = new WeakMap();
    resolvedGroups.set(people, resolved);
  }
  let found = resolved.get(group);
  if (!found) {
    // An index of several sources resolves through the index of its first source (which another target likely
    // resolves too): each member is looked up once per run, in that one.
    const lead = leadIndexes.get(people);
    if (lead) resolution(group, lead);
    found = resolveInLead(group, people) ?? resolveById(group, people);
    resolved.set(group, found);
  }
  return found;
}

interface Resolution {
  readonly members: readonly Person[];
  readonly unknown: readonly string[];
  readonly positions: Int32Array;
}

/** Each member id looked up in the index. */
function resolveById(group: Group, people: PeopleIndex): Resolution {
  const ids = distinctSorted(group);
  const members: Person[] = [];
  const unknown: string[] = [];
  const positions = new Int32Array(ids.length);
  const { list, positionOf } = people;
  // Each person is in the list once. A group of a large share of everyone (everyone itself) lists its members in
  // list order, mostly next to each other: the person after the last one found is tried first, read in order, before
  // the map. In a small group that guess would mostly miss, at the cost of reading a person the map need not read.
  const dense = ids.length * 4 >= list.length;
  let next = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string;
    const at = dense && next < list.length && (list[next] as Person).id === id ? next : positionOf.get(id);
    if (at === undefined) unknown.push(id);
    else {
      positions[members.length] = at;
      members.push(list[at] as Person);
      next = at + 1;
    }
  }
  const resolution = {
    members,
    unknown,
    positions: members.length === ids.length ? positions : positions.slice(0, members.length),
  };
  // What any index led by the same list can reuse: the members that are its people, by position, and the others.
  const lead = leadingLists.get(people);
  if (lead) {
    let inLead = resolution.positions;
    let outside = unknown;
    if (inLead.some((at) => at >= lead.length)) {
      inLead = inLead.filter((at) => at < lead.length);
      outside = ids.filter((id) => !((positionOf.get(id) ?? lead.length) < lead.length));
    }
    let byGroup = inLeadingLists.get(lead);
    if (!byGroup) {
      byGroup = new WeakMap();
      inLeadingLists.set(lead, byGroup);
    }
    byGroup.set(group, { positions: inLead, outside });
  }
  return resolution;
}

/**
 * Several targets index different sources led by the same one (GitHub by an LDAP directory and the links, LDAP groups
 * and mail by the directory alone): their first positions are that source's people, in its order. A group already
 * resolved against one such index is resolved against another by those positions, without a lookup per member,
 * unless one of the ids outside the lead is declared by this index (then each id is looked up).
 */
function resolveInLead(group: Group, people: PeopleIndex): Resolution | undefined {
  const lead = leadingLists.get(people);
  const known = lead && inLeadingLists.get(lead)?.get(group);
  if (!known) return undefined;
  for (const id of known.outside) if (people.positionOf.has(id)) return undefined;
  const { list } = people;
  const members = new Array<Person>(known.positions.length);
  for (let i = 0; i < members.length; i++) members[i] = list[known.positions[i] as number] as Person;
  return { members, unknown: known.outside, positions: known.positions };
}

/**
 * Per leading list, per group: the positions in that list of the members it declares (sorted by id), and the other
 * member ids, sorted.
 */
const inLeadingLists = new WeakMap<
  readonly Person[],
  WeakMap<Group, { readonly positions: Int32Array; readonly outside: readonly string[] }>
>();

const NOBODY = { members: [], unknown: [], positions: new Int32Array(0) } as const;

const resolvedGroups = new WeakMap<PeopleIndex, WeakMap<Group, Resolution>>();

// Facts are immutable once read (every type in model.ts is readonly), and one run resolves the same groups for every
// target: with 1k groups and 100k people, looking a group up by scanning the list, and sorting a large group's members
// again for each target that names it, were most of the cost of planning. Both are kept per facts object, weakly, so
// they live exactly as long as the facts of the run.
const groupIndexes = new WeakMap<readonly Group[], ReadonlyMap<string, Group>>();
const sortedMembers = new WeakMap<Group, readonly string[]>();

/** The first group of that name, as `groups.find` would return it. */
function findGroup(groups: readonly Group[], name: string): Group | undefined {
  let index = groupIndexes.get(groups);
  if (!index) {
    const byName = new Map<string, Group>();
    for (const g of groups) if (!byName.has(g.name)) byName.set(g.name, g);
    groupIndexes.set(groups, byName);
    index = byName;
  }
  return index.get(name);
}

/** The group's member ids, each once, sorted (code unit order, as `Array.prototype.sort` without a comparator). */
function distinctSorted(group: Group): readonly string[] {
  let ids = sortedMembers.get(group);
  if (!ids) {
    // The sources emit members distinct and sorted: then the list is the answer, without a set and a copy of it.
    ids = strictlyAscending(group.members) ? group.members : [...new Set(group.members)].sort();
    sortedMembers.set(group, ids);
  }
  return ids;
}

/** True when each id is greater than the one before (code unit order): sorted, and each once. */
function strictlyAscending(ids: readonly string[]): boolean {
  for (let i = 1; i < ids.length; i++) if (!((ids[i - 1] as string) < (ids[i] as string))) return false;
  return true;
}

/**
 * People indexed by one numeric account id (e.g. `github`), for targets keyed by it. Two people claiming the same
 * account is a data error: both are left out of `byAccount` and reported (by account id, claimants in the order
 * given), since granting by either would be a guess. `byAccount` is in no particular order.
 */
export function byNumericAccount(
  people: Iterable<Person>,
  account: 'github',
): { byAccount: ReadonlyMap<number, Person>; problems: readonly string[] } {
  // One claim per account is the rule (a list per person and a sort of every claim were most of this function's
  // cost for 100k people): only the accounts claimed twice get a list.
  const byAccount = new Map<number, Person>();
  const contested = new Map<number, Person[]>();
  // An array (an index's list) is walked by index: an iterator makes a result object per person in code run once.
  const each: readonly Person[] = Array.isArray(people) ? (people as readonly Person[]) : [...people];
  for (let i = 0; i < each.length; i++) {
    const p = each[i] as Person;
    const id = p.accounts[account];
    if (id === undefined) continue;
    const list = contested.get(id);
    if (list) {
      list.push(p);
      continue;
    }
    const first = byAccount.get(id);
    if (first === undefined) byAccount.set(id, p);
    else {
      byAccount.delete(id);
      contested.set(id, [first, p]);
    }
  }
  const problems = [...contested]
    .sort((a, b) => a[0] - b[0])
    .map(
      ([id, list]) =>
        `${account} account ${id} is claimed by ${list.map((p) => p.id).join(', ')}; none of them is granted access by it`,
    );
  return { byAccount, problems };
}

/** True when no account kind has two different ids (emails are a set and never contradict). */
function compatible(a: PersonAccounts, b: PersonAccounts): boolean {
  // Written out, not a loop over the kinds: asked once per person a second source declares (60k links).
  return (
    (a.discord === undefined || b.discord === undefined || a.discord === b.discord) &&
    (a.ldap === undefined || b.ldap === undefined || a.ldap === b.ldap) &&
    (a.github === undefined || b.github === undefined || a.github === b.github)
  );
}

function mergeAccounts(a: PersonAccounts, b: PersonAccounts): PersonAccounts {
  const discord = a.discord ?? b.discord;
  const ldap = a.ldap ?? b.ldap;
  const github = a.github ?? b.github;
  // A link adds no mail address: the first declaration's addresses are kept as they are when already distinct.
  const emails =
    (b.emails === undefined || b.emails.length === 0) && a.emails !== undefined && distinct(a.emails)
      ? a.emails
      : [...new Set([...(a.emails ?? []), ...(b.emails ?? [])])];
  return {
    ...(discord === undefined ? {} : { discord }),
    ...(ldap === undefined ? {} : { ldap }),
    ...(github === undefined ? {} : { github }),
    ...(emails.length > 0 ? { emails } : {}),
  };
}

function distinct(xs: readonly string[]): boolean {
  return xs.length < 2 || (xs.length === 2 ? xs[0] !== xs[1] : new Set(xs).size === xs.length);
}

function sameAccounts(a: PersonAccounts, b: PersonAccounts): boolean {
  return (
    a.discord === b.discord &&
    a.ldap === b.ldap &&
    a.github === b.github &&
    JSON.stringify([...(a.emails ?? [])].sort()) === JSON.stringify([...(b.emails ?? [])].sort())
  );
}
