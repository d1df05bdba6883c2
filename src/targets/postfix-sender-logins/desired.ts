import type { DesiredContext } from '../../core/contracts.ts';
import type { Person } from '../../core/model.ts';
import { listNames as list } from '../../core/names.ts';
import { formatGroupRef, indexPeople, resolveGroup, type PeopleIndex } from '../../core/people.ts';
import { addressProblem, canonicalAddress, loginProblem } from './address.ts';
import { groupRefOf, type PostfixSenderLoginsConfig } from './config.ts';
import type { SenderDesired, SenderEntry } from './types.ts';

/** The sources this target draws from, in config order: people sources, then the sources of every group. */
export function referencedSources(config: PostfixSenderLoginsConfig): string[] {
  const groups = [...(config.people.group ? [config.people.group] : []), ...config.groupAddresses.map((g) => g.group)];
  return [...new Set([...config.people.from, ...groups.map((g) => groupRefOf(g).source)])];
}

/**
 * Desired state, pure: which SASL login may use which envelope sender.
 *
 * - Each person (of `people.from`, optionally only members of `people.group`) with a login gets their own addresses
 *   (`emails`, restricted to `people.domains` when set), and the same local parts in every alias domain of the
 *   address's domain.
 * - Each group address goes to the logins of its group's members (also in alias domains). If the group cannot be
 *   resolved (source unreadable without snapshot, or no such group), the address is kept as it is.
 * - Static entries are written as configured (catch-alls only from here).
 * - An address claimed by two logins through people's own addresses is a conflict: kept as it is and reported.
 *   An own address that is also a configured (group or static) address is reported and the configured entry wins.
 * - A value that fails validation (whitespace, line breaks, not RFC 5321) is left out and reported with its origin:
 *   it never reaches the table.
 */
export function desiredState(config: PostfixSenderLoginsConfig, ctx: DesiredContext): SenderDesired {
  const index = indexPeople(ctx, referencedSources(config));
  const problems: string[] = [...index.problems];
  const invalid: string[] = [];
  const unknownGroups: string[] = [];
  const keep = new Set<string>();
  // Where each person was first declared, for messages: built on the first refused value only (rare), not for
  // every run of a 100k-people directory.
  let origins: Map<string, string> | undefined;
  const origin = { get: (id: string) => (origins ??= personOrigins(ctx, referencedSources(config))).get(id) };
  // Who counts for own addresses (people.from only). When every referenced source is a people source, everyone
  // indexed does, and no set of them is needed.
  const fromPeopleSources = referencedSources(config).every((s) => config.people.from.includes(s))
    ? undefined
    : new Set(config.people.from.flatMap((s) => (ctx.sources.get(s)?.facts.people ?? []).map((p) => p.id)));

  const loginOf = (p: Person): string | undefined => {
    const uid = p.accounts[config.login.account];
    if (uid === undefined) return undefined;
    const l = config.login.realm ? `${uid}@${config.login.realm}` : uid;
    const why = loginProblem(l);
    if (why) {
      invalid.push(`${origin.get(p.id) ?? 'source ?'}, person ${p.id}: login ${JSON.stringify(l)} ${why}; left out`);
      return undefined;
    }
    return l;
  };
  // A person is in several groups and has addresses of their own: their login is made and checked once, kept by
  // their position in the index (null: none). A refused login is reported each time it is asked for, as before.
  const loginAt = new Array<string | null | undefined>(index.list.length);
  const refused = new Map<number, string>();
  const loginAtPosition = (p: Person, at: number): string | undefined => {
    const known = loginAt[at];
    if (known !== undefined) {
      if (known === null && refused.has(at)) invalid.push(refused.get(at) as string);
      return known ?? undefined;
    }
    const reported = invalid.length;
    const l = loginOf(p);
    loginAt[at] = l ?? null;
    if (invalid.length > reported) refused.set(at, invalid[reported] as string);
    return l;
  };
  const aliases = aliasIndex(config.aliasDomains);
  const expand = (address: string): string[] => {
    const at = address.lastIndexOf('@');
    const local = address.slice(0, at);
    return [address, ...(aliases.get(address.slice(at + 1)) ?? []).map((d) => `${local}@${d}`)];
  };

  // Configured entries first: they take precedence over people's own addresses. Each holds its logins sorted, each
  // once (an address and its alias copies share one list).
  const configured = new Map<string, readonly string[]>();
  const staticAddresses: string[] = [];
  for (const s of config.static) {
    const a = canonicalAddress(s.address);
    configured.set(a, sortedDistinct(s.logins));
    staticAddresses.push(a);
  }
  for (const g of config.groupAddresses) {
    const ref = groupRefOf(g.group);
    const resolved = resolveGroup(ctx, ref, index);
    const addresses = expand(canonicalAddress(g.address));
    if (resolved.status !== 'found') {
      const why =
        resolved.status === 'unavailable'
          ? `source ${ref.source} could not be read`
          : `source ${ref.source} has no group ${JSON.stringify(ref.group)}`;
      unknownGroups.push(`${g.address}: ${why}; its entry is left as it is`);
      for (const a of addresses) {
        keep.add(a);
        configured.set(a, []);
      }
      continue;
    }
    if (resolved.unknown.length > 0) {
      problems.push(
        `${formatGroupRef(ref)}: ${resolved.unknown.length} member(s) no referenced source declares: ${list(resolved.unknown)}`,
      );
    }
    const found: string[] = [];
    const without: string[] = [];
    const { members, positions } = resolved;
    for (let i = 0; i < members.length; i++) {
      const p = members[i] as Person;
      const l = loginAtPosition(p, positions[i] as number);
      if (l) found.push(l);
      else without.push(p.id);
    }
    if (without.length > 0) problems.push(`${g.address}: member(s) without a login left out: ${list(without)}`);
    const logins = sortedDistinct(found);
    for (const a of addresses) configured.set(a, logins);
  }

  // People's own addresses.
  const eligible = config.people.group ? resolveEligible(ctx, config, index) : undefined;
  if (eligible && 'frozen' in eligible) return frozen(eligible.frozen, problems);
  // Each claim of an address becomes an entry as it is made, and the entries are sorted by address (as the table is):
  // claims of one address are then side by side, one entry when they are of one login, else a conflict. A map of
  // every address (220k for 100k people) to find them was most of the cost of this function.
  const entries: SenderEntry[] = [];
  const domains = config.people.domains ? new Set(config.people.domains.map((d) => d.toLowerCase())) : undefined;
  let noLogin = 0;
  // A person's addresses (and their alias copies) come in a row: they share one list of their one login.
  let lastLogin: string | undefined;
  let lastList: readonly string[] = [];
  const claim = (x: string, p: Person, l: string) => {
    if (configured.has(x)) {
      problems.push(
        `${x}: claimed by person ${p.id} and configured as a group or static address; the configuration wins`,
      );
      return;
    }
    if (l !== lastLogin) {
      lastLogin = l;
      lastList = [l];
    }
    entries.push({ address: x, logins: lastList });
  };
  // By person id (code unit order), which messages follow.
  const order = byIdOrder(index);
  for (let k = 0; k < index.list.length; k++) {
    const at = order ? (order[k] as number) : k;
    const p = index.list[at] as Person;
    if (fromPeopleSources && !fromPeopleSources.has(p.id)) continue; // declared only by a group's source
    if (eligible && !eligible.has(p.id)) continue;
    const emails = p.accounts.emails ?? [];
    if (emails.length === 0) continue;
    const l = loginAtPosition(p, at);
    if (!l) {
      if (p.accounts[config.login.account] === undefined) noLogin++;
      continue;
    }
    for (const raw of emails) {
      const why = addressProblem(raw);
      if (why) {
        invalid.push(`${origin.get(p.id)}, person ${p.id}: address ${JSON.stringify(raw)} ${why}; left out`);
        continue;
      }
      const a = canonicalAddress(raw);
      if (domains && !domains.has(a.slice(a.lastIndexOf('@') + 1))) continue;
      // What expand(a) gives, without an array per address (220k of them for 100k people).
      claim(a, p, l);
      const at = a.lastIndexOf('@');
      const alias = aliases.size === 0 ? undefined : aliases.get(a.slice(at + 1));
      if (alias !== undefined) {
        const local = a.slice(0, at + 1);
        for (const d of alias) claim(local + d, p, l);
      }
    }
  }
  if (noLogin > 0)
    problems.push(`${noLogin} person(s) with mail addresses but no ${config.login.account} login left out`);

  for (const [a, logins] of configured) {
    if (!keep.has(a) && logins.length > 0) entries.push({ address: a, logins });
  }
  // One ordering compare per call (an equality check first is cheap): string order compares are most of this sort.
  entries.sort((x, y) => (x.address === y.address ? 0 : x.address < y.address ? -1 : 1));
  // Configured addresses are claimed by nobody (see claim): only claims can share an address.
  const conflicts: string[] = [];
  let n = 0;
  for (let i = 0; i < entries.length;) {
    const e = entries[i] as SenderEntry;
    let j = i + 1;
    while (j < entries.length && (entries[j] as SenderEntry).address === e.address) j++;
    const logins = j - i === 1 ? undefined : new Set(entries.slice(i, j).map((x) => x.logins[0] as string));
    if (logins === undefined || logins.size === 1) entries[n++] = e;
    else {
      conflicts.push(`${e.address} is claimed by ${[...logins].sort().join(', ')}; its entry is left as it is`);
      keep.add(e.address);
    }
    i = j;
  }
  entries.length = n;
  return {
    entries,
    keep: [...keep].sort(),
    staticAddresses: staticAddresses.sort(),
    invalid,
    conflicts: conflicts.sort(),
    unknownGroups,
    problems,
  };
}

/**
 * The positions of the indexed people by id in code unit order, or undefined when that is the index's own order.
 * Sources emit people sorted by id, so the index (built in source order) nearly always is already: then it is walked
 * as it is, without sorting 100k ids each run.
 */
function byIdOrder(index: PeopleIndex): readonly number[] | undefined {
  const { list } = index;
  for (let i = 1; i < list.length; i++) {
    if (!((list[i - 1] as Person).id < (list[i] as Person).id)) {
      // The default sort of strings is code unit order, and faster than a comparator.
      return list
        .map((p) => p.id)
        .sort()
        .map((k) => index.positionOf.get(k) as number);
    }
  }
  return undefined;
}

/** `xs` each once, sorted (code unit order); `xs` itself when it already is (group members' logins nearly always). */
function sortedDistinct(xs: readonly string[]): readonly string[] {
  for (let i = 1; i < xs.length; i++) if (!((xs[i - 1] as string) < (xs[i] as string))) return [...new Set(xs)].sort();
  return xs;
}

/** Which source first declared each person: the origin named when one of their values is refused. */
function personOrigins(ctx: DesiredContext, sources: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of sources)
    for (const p of ctx.sources.get(s)?.facts.people ?? []) if (!out.has(p.id)) out.set(p.id, `source ${s}`);
  return out;
}

/**
 * The people whose own addresses count, when `people.group` is set. An unresolvable group must not read as "nobody":
 * the whole table is then left as it is (`frozen`).
 */
function resolveEligible(
  ctx: DesiredContext,
  config: PostfixSenderLoginsConfig,
  index: ReturnType<typeof indexPeople>,
): Set<string> | { frozen: string } {
  const ref = groupRefOf(config.people.group!);
  const g = resolveGroup(ctx, ref, index);
  if (g.status === 'unavailable')
    return { frozen: `people.group ${formatGroupRef(ref)}: source ${ref.source} could not be read` };
  if (g.status === 'missing')
    return { frozen: `people.group ${formatGroupRef(ref)}: source ${ref.source} has no such group` };
  return new Set(g.members.map((p) => p.id));
}

function frozen(why: string, problems: string[]): SenderDesired {
  return {
    entries: [],
    keep: [],
    staticAddresses: [],
    invalid: [],
    conflicts: [],
    unknownGroups: [],
    problems,
    frozen: why,
  };
}

function aliasIndex(aliases: Readonly<Record<string, readonly string[]>>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [d, list] of Object.entries(aliases)) {
    const k = d.toLowerCase();
    out.set(
      k,
      [...new Set([...(out.get(k) ?? []), ...list.map((x) => x.toLowerCase())])].filter((x) => x !== k),
    );
  }
  return out;
}
