/**
 * People-side planning benchmark (goal: 100k people, 1k groups, 5 targets → desired + diff + guards < 1 s and
 * < 500 MB RSS). Run on demand: `npm run bench -- people` (PEOPLE, GROUPS, REPS, SEED can be overridden;
 * ONLY=a,b times those targets alone, PLANS=1 prints a digest of each plan).
 *
 * What is timed is the pure part of planning, nothing else: per target `desired`, `diff`, `notes` and the guard step
 * (`guardTarget` of the core pipeline: the generic completeness guard, the target's own `guard`, `holdBack`), called
 * exactly as `buildPlan` calls them. No I/O is timed: the source facts and every target's observation are built
 * in-process, seeded, before the clock starts.
 *
 * - Facts, as the sources emit them: an `ldap` source `directory` with PEOPLE people (`ldap:<uid>`, Discord ids for
 *   80 %, one or two mail addresses, uidNumber / gidNumber / homeDirectory) and GROUPS groups: `everyone`, and
 *   GROUPS − 1 groups where each person is in 1–5 of them chosen with Zipf weights (most groups small, a few with
 *   tens of thousands of members); a `links` source with approved GitHub links for 60 % of the people. As the real
 *   sources emit them, people are sorted by id, groups by name, and each group's members are distinct and sorted.
 * - Five targets of the existing kinds, created through each plugin's real schema and `create`, configured like the
 *   examples in docs/targets: github (org = everyone with a GitHub id, 300 teams), ldap-groups (base role everyone,
 *   500 mapped groups), kubernetes-tenants (a tenant per member of a ~3k group), postfix-sender-logins (everyone's
 *   addresses, 50 group addresses, an alias domain), ldap-links.
 * - Each observation is the target's own Observed type, built from its desired state with a realistic drift (about
 *   1 % joins and 1 % leaves, some role changes and stale values), so diff and guards do real work.
 *
 * Printed: the per-target breakdown (median of REPS runs, after one warm-up run), the total against the goal, the
 * ratio against a floor measured in the same run (one pass over every membership, building a Map of person → groups),
 * the observation digest the pipeline also computes (shown, not part of the goal), and RSS of the planning process
 * (this bench re-runs itself with --expose-gc, so each figure is taken after a full collection; the child runs as the
 * installed package runs gatehouse, bundled JavaScript without type stripping, unless FORM=clone): bare, with the core
 * and the five plugins imported, with the inputs built, and the peak while planning (Linux: the peak is reset after
 * the inputs are built, so it is imports + inputs + planning's working set, as a real run holds them, without the
 * garbage of generating inputs; shown for the first plan of the process, as `gatehouse plan` makes one, and over
 * all runs, which adds garbage of earlier runs not yet collected), the collector's pauses while planning, and the live JS heap after a full collection with the inputs and after planning
 * (the difference between that and the peak is garbage the collector had not needed to reclaim yet: V8 lets the heap
 * grow several times the live size before a full collection). Each repetition plans from new facts objects, as each
 * run reads new ones, so caches kept per facts object never carry over from the warm-up.
 */
import { spawnSync } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Change, DesiredContext, Target } from '../src/core/contracts.ts';
import type { Group, Person, ResolvedSource } from '../src/core/model.ts';
import type { GithubDesired, GithubObserved, ObservedMember, ObservedTeam } from '../src/targets/github/types.ts';
import type {
  KubernetesTenantsDesired,
  KubernetesTenantsObserved,
  ObservedNamespace,
  ObservedObject,
} from '../src/targets/kubernetes-tenants/types.ts';
import type { LdapGroupsDesired, LdapGroupsObserved, ObservedAccount } from '../src/targets/ldap-groups/types.ts';
import type { LdapLinksDesired, LinkedEntry } from '../src/targets/ldap-links/target.ts';
import type { SenderDesired, SenderEntry, SenderObserved } from '../src/targets/postfix-sender-logins/types.ts';
import { rng } from '../src/testing/rng.ts';

// The figures need a collector to call between phases, so the garbage of building inputs is not counted: run again
// with --expose-gc (the planning process is that child; this one only waits for it). The child runs this file as
// the installed package runs gatehouse, bundled plain JavaScript (FORM=clone: through type stripping, as a clone).
const gc = (globalThis as { gc?: () => void }).gc;
const FORM = process.env.FORM === 'clone' ? 'clone' : 'installed';
if (!gc) {
  const self = fileURLToPath(import.meta.url);
  const { installedForm } = await import('./lib/installed-form.ts');
  const script = FORM === 'clone' ? self : installedForm(self);
  // Twice: with Node's defaults, and with the NODE_OPTIONS the systemd units run gatehouse with (V8's young generation
  // capped): the same planning, so the difference is only how much memory V8 keeps for short-lived objects.
  const deployed = /^Environment=NODE_OPTIONS=(.*)$/m.exec(
    readFileSync(new URL('../deploy/systemd/gatehouse-serve.service', import.meta.url), 'utf8'),
  )?.[1];
  let status = 0;
  for (const [label, nodeOptions] of [
    ["Node's defaults", process.env.NODE_OPTIONS],
    [`as deploy/systemd runs it: NODE_OPTIONS=${deployed}`, deployed],
  ] as const) {
    console.log(`\n-- ${label}`);
    const env: NodeJS.ProcessEnv = { ...process.env, FORM };
    if (nodeOptions === undefined) delete env.NODE_OPTIONS;
    else env.NODE_OPTIONS = nodeOptions;
    const child = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, script], { stdio: 'inherit', env });
    status ||= child.status ?? 1;
  }
  process.exit(status);
}
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
/** RSS after a full collection: what the process holds, not garbage waiting for the collector. */
const settledRss = () => {
  gc?.();
  return process.memoryUsage().rss;
};
// Linux resets the process's peak RSS (VmHWM) when 5 is written to clear_refs: the peak of planning alone, inputs
// included, without the higher peak of building them. Elsewhere the process peak is all there is.
const resetPeak = (): boolean => {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
};
const peakRss = (): number => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
};
const rssBare = settledRss();
// Imported here, not at the top, so their cost is measured: what a planning process loads for these five targets.
const { digest } = await import('../src/core/canonical-json.ts');
const { guardTarget } = await import('../src/core/pipeline.ts');
const { testDeps } = await import('../src/testing/plugin-deps.ts');
const { githubTarget } = await import('../src/targets/github/index.ts');
const { kubernetesTenantsTarget, createKubernetesTenantsTarget } =
  await import('../src/targets/kubernetes-tenants/index.ts');
const { completeTarget } = await import('../src/plugins.ts');
const { ldapGroupsTarget } = await import('../src/targets/ldap-groups/index.ts');
const { ldapLinksTarget } = await import('../src/targets/ldap-links/index.ts');
const { postfixSenderLoginsTarget } = await import('../src/targets/postfix-sender-logins/index.ts');
const rssImported = settledRss();

const PEOPLE = Number(process.env.PEOPLE ?? 100_000);
const GROUPS = Number(process.env.GROUPS ?? 1000);
const REPS = Number(process.env.REPS ?? 5);
const SEED = Number(process.env.SEED ?? 42);
const ONLY = process.env.ONLY?.split(',');
// PLANS=1: print a digest of each target's desired state, changes, blocked changes and notes of the last run, to check
// that a change to planning leaves what it plans identical.
const PLANS = process.env.PLANS === '1';
const GOAL_MS = 1000;
const GOAL_MB = 500;

const rand = rng(SEED);
const chance = (p: number) => rand() < p;
const pad3 = (n: number) => String(n).padStart(3, '0');
const groupName = (g: number) => `g${pad3(g)}`;
const uidOf = (i: number) => `u${i}`;
const dnOf = (uid: string) => `uid=${uid},ou=people,dc=example,dc=org`;
const snowflake = (i: number) => String(100_000_000_000_000_000n + BigInt(i) * 7919n);

// ---------------------------------------------------------------------------------------------------------- facts
const t0 = performance.now();
const people: Person[] = [];
const linkPeople: Person[] = [];
for (let i = 0; i < PEOPLE; i++) {
  const uid = uidOf(i);
  const emails = chance(0.1) ? [`${uid}@example.org`, `first.last${i}@example.org`] : [`${uid}@example.org`];
  people.push({
    id: `ldap:${uid}`,
    displayName: `Person ${i}`,
    accounts: { ldap: uid, ...(chance(0.8) ? { discord: snowflake(i) } : {}), emails },
    attributes: { uidNumber: String(10_000 + i), gidNumber: String(10_000 + i), homeDirectory: `/home/${uid}` },
  });
  if (chance(0.6))
    linkPeople.push({ id: `ldap:${uid}`, displayName: `gh-${uid}`, accounts: { github: 1_000_000 + i, ldap: uid } });
}
// Group 0 is everyone; groups 1..GROUPS-1 are drawn with Zipf weights (rank r has weight 1/r).
const zipf: number[] = [];
let acc = 0;
for (let r = 1; r < GROUPS; r++) zipf.push((acc += 1 / r));
const pickGroup = () => {
  const x = rand() * acc;
  let lo = 0;
  let hi = zipf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((zipf[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo + 1;
};
const members: string[][] = Array.from({ length: GROUPS }, () => []);
const perPerson = [0.35, 0.3, 0.2, 0.1, 0.05];
for (const p of people) {
  members[0]?.push(p.id);
  let x = rand();
  let k = 1;
  for (const w of perPerson) {
    if (x < w) break;
    x -= w;
    k++;
  }
  const mine = new Set<number>();
  while (mine.size < Math.min(k, GROUPS - 1)) mine.add(pickGroup());
  for (const g of mine) members[g]?.push(p.id);
}
// As the ldap, discord and links sources emit them: people sorted by id, groups by name, each group's members
// distinct and sorted (code unit order) — the sources sort once per read, and targets rely on what they get.
const byCodeUnits = (a: Person, b: Person) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
people.sort(byCodeUnits);
linkPeople.sort(byCodeUnits);
const groups: Group[] = members
  .map((m, g) => ({ name: g === 0 ? 'everyone' : groupName(g), members: m.sort() }))
  .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
const memberships = groups.reduce((n, g) => n + g.members.length, 0);
const live = (name: string, type: string, facts: ResolvedSource['facts']): ResolvedSource => ({
  name,
  type,
  status: 'live',
  facts,
  notes: [],
});
const ctx: DesiredContext = {
  sources: new Map([
    ['directory', live('directory', 'ldap', { people, groups })],
    ['links', live('links', 'links', { people: linkPeople })],
  ]),
};
// Groups by size, for picking "a group of about n members" deterministically.
const bySize = groups
  .filter((g) => g.name !== 'everyone')
  .sort((a, b) => b.members.length - a.members.length || (a.name < b.name ? -1 : 1));
const groupNear = (n: number): Group =>
  bySize.reduce((best, g) => (Math.abs(g.members.length - n) < Math.abs(best.members.length - n) ? g : best));

// -------------------------------------------------------------------------------------------------------- targets
const deps = testDeps();
const ldapConnection = {
  url: 'ldaps://ldap.example.org',
  bindDn: 'uid=gatehouse,ou=services,dc=example,dc=org',
  bindPassword: 'bench-secret',
};
const teamGroups = bySize.slice(0, 300);
const gh = githubTarget.create(
  'github',
  githubTarget.schema.parse({
    type: 'github',
    org: 'example',
    auth: { token: 'bench-token' },
    people: ['directory', 'links'],
    admins: [`directory/${(bySize.at(-1) as Group).name}`],
    members: ['directory/everyone'],
    teams: Object.fromEntries(teamGroups.map((g) => [`team-${g.name}`, { members: [`directory/${g.name}`] }])),
  }),
  deps,
);
const ldapGroups = ldapGroupsTarget.create(
  'ldap-groups',
  ldapGroupsTarget.schema.parse({
    type: 'ldap-groups',
    connection: ldapConnection,
    people: { base: 'ou=people,dc=example,dc=org' },
    baseRole: 'directory/everyone',
    mappings: bySize.slice(0, 500).map((g) => ({
      group: `directory/${g.name}`,
      ldapGroup: `cn=${g.name},ou=groups,dc=example,dc=org`,
    })),
  }),
  deps,
);
const tenantGroup = groupNear(3000);
// A fixed clock: the desired state records when it was planned, so with the wall clock no two runs' plans (PLANS=1)
// would compare.
const k8sConfig = kubernetesTenantsTarget.schema.parse({
  type: 'kubernetes-tenants',
  connection: { server: 'https://k8s.example.org:6443', token: 'bench-token' },
  group: `directory/${tenantGroup.name}`,
  namespaceTemplate: 'tool-{uid}',
  quota: { 'limits.cpu': '2', 'limits.memory': '4Gi', pods: '20' },
  limits: { default: { cpu: '500m', memory: '512Mi' }, defaultRequest: { cpu: '100m', memory: '128Mi' } },
});
const k8s = completeTarget(
  kubernetesTenantsTarget,
  k8sConfig,
  createKubernetesTenantsTarget('k8s', k8sConfig, deps, { now: () => new Date('2026-01-01T00:00:00Z') }),
);
const mailGroups = bySize.slice(0, 50);
const mail = postfixSenderLoginsTarget.create(
  'mail',
  postfixSenderLoginsTarget.schema.parse({
    type: 'postfix-sender-logins',
    table: '/etc/postfix/sender_logins',
    people: { from: ['directory'] },
    aliasDomains: { 'example.org': ['example.com'] },
    groupAddresses: mailGroups.map((g) => ({ address: `${g.name}@example.org`, group: `directory/${g.name}` })),
    static: [{ address: 'postmaster@example.org', logins: ['u0'] }],
  }),
  deps,
);
const links = ldapLinksTarget.create(
  'ldap-links',
  ldapLinksTarget.schema.parse({
    type: 'ldap-links',
    connection: ldapConnection,
    links: 'links',
    people: { base: 'ou=people,dc=example,dc=org' },
    attribute: 'gatehouseGithubId',
  }),
  deps,
);

// ---------------------------------------------------------------------------------------------------- observations
/** Keeps each element with probability 1 − `drop`. */
const thin = <T>(xs: readonly T[], drop: number): T[] => xs.filter(() => !chance(drop));

function observeGithub(d: GithubDesired): GithubObserved {
  const orgMembers: ObservedMember[] = thin(d.members, 0.01).map((m) => ({
    id: m.githubId,
    login: `gh-${m.person.slice(5)}`,
    role: chance(0.001) ? (m.role === 'admin' ? 'member' : 'admin') : m.role,
  }));
  // Org members no person claims (left alone under `report`), and known people no group grants any more.
  for (let i = 0; i < PEOPLE / 200; i++)
    orgMembers.push({ id: 50_000_000 + i, login: `stranger-${i}`, role: 'member' });
  orgMembers.push({ id: 1, login: 'gatehouse-bot', role: 'admin' }, { id: 2, login: 'owner-2', role: 'admin' });
  orgMembers.sort((a, b) => a.id - b.id);
  const ids = orgMembers.map((m) => m.id);
  const teams: ObservedTeam[] = d.teams.map((t, k) => {
    const list = thin(t.members, 0.01).map((m) => ({ id: m.githubId, login: `gh-${m.person.slice(5)}`, role: m.role }));
    for (let i = 0; i < t.members.length / 100; i++) {
      const id = ids[Math.floor(rand() * ids.length)] as number;
      if (!list.some((m) => m.id === id)) list.push({ id, login: `gh-${id}`, role: 'member' });
    }
    return { id: 10_000 + k, slug: t.slug, unmanageable: null, members: list.sort((a, b) => a.id - b.id) };
  });
  const member = new Set(ids);
  const invitations = d.members
    .filter((m) => !member.has(m.githubId) && chance(0.5))
    .map((m, k) => ({
      id: 900_000 + k,
      login: `gh-${m.person.slice(5)}`,
      inviteeId: m.githubId,
      role: 'direct_member',
      createdAt: '2025-01-01T00:00:00Z',
      inviterId: 1,
      teamCount: 0,
    }));
  return {
    org: d.org,
    self: { id: 1, login: 'gatehouse-bot' },
    members: orgMembers,
    invitations,
    failedInvitations: [],
    teams: [...teams].sort((a, b) => (a.slug < b.slug ? -1 : 1)),
    invitationsLast24h: 10,
  };
}

function observeLdapGroups(d: LdapGroupsDesired): LdapGroupsObserved {
  const accounts: ObservedAccount[] = people.map((p) => ({
    dn: dnOf(p.accounts.ldap as string),
    uid: p.accounts.ldap as string,
    ...(p.accounts.discord ? { discordId: p.accounts.discord } : {}),
    lock: { nsAccountLock: false },
    service: false,
  }));
  // People who left: their accounts are still there (locked next run), and still in some groups.
  const leavers: string[] = [];
  for (let i = 0; i < PEOPLE / 200; i++) {
    const uid = `gone${i}`;
    leavers.push(dnOf(uid));
    accounts.push({
      dn: dnOf(uid),
      uid,
      discordId: snowflake(PEOPLE + i),
      lock: { nsAccountLock: false },
      service: false,
    });
  }
  accounts.push({ dn: dnOf('svc-backup'), uid: 'svc-backup', lock: { nsAccountLock: false }, service: true });
  const groupsObserved = d.groups.map((g) => {
    const dns = thin(g.members, 0.01).map((k) => dnOf(k.slice(4)));
    for (let i = 0; i < g.members.length / 100; i++) dns.push(leavers[Math.floor(rand() * leavers.length)] as string);
    return { dn: g.dn, members: [...new Set(dns)].sort() };
  });
  return { accounts, groups: groupsObserved, ownLocks: [] };
}

function observeTenants(d: KubernetesTenantsDesired): KubernetesTenantsObserved {
  const namespaces: ObservedNamespace[] = [];
  const objects: ObservedObject[] = [];
  const add = (m: KubernetesTenantsDesired['policy'][number], tenant?: string) => {
    const { apiVersion: _a, kind, metadata, ...body } = m;
    if (kind === 'Namespace') {
      namespaces.push({
        name: metadata.name,
        managed: true,
        ...(tenant ? { tenant } : {}),
        phase: 'Active',
        disabled: false,
        labels: metadata.labels ?? {},
        annotations: metadata.annotations ?? {},
      });
      return;
    }
    objects.push({
      kind,
      ...(metadata.namespace ? { namespace: metadata.namespace } : {}),
      name: metadata.name,
      ...(tenant ? { tenant } : {}),
      labels: metadata.labels ?? {},
      annotations: metadata.annotations ?? {},
      body,
      otherAppliers: [],
    });
  };
  for (const m of d.policy) add(m);
  for (const t of thin(d.tenants, 0.01)) for (const m of t.objects) add(m, t.uid);
  // Tenants whose person left the group: disabled next run.
  const stale = thin(d.tenants, 0.99).map((t) => ({ ...t, uid: `${t.uid}x`, namespace: `${t.namespace}x` }));
  for (const t of stale) {
    namespaces.push({ name: t.namespace, managed: true, tenant: t.uid, phase: 'Active', disabled: false, labels: {} });
    objects.push({
      kind: 'RoleBinding',
      namespace: t.namespace,
      name: 'tenant',
      tenant: t.uid,
      labels: {},
      annotations: {},
      body: {},
      otherAppliers: [],
    });
  }
  for (const n of ['default', 'kube-system', 'kube-public'])
    namespaces.push({ name: n, managed: false, phase: 'Active', disabled: false });
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  namespaces.sort((a, b) => cmp(a.name, b.name));
  objects.sort((a, b) => cmp(a.kind, b.kind) || cmp(a.namespace ?? '', b.namespace ?? '') || cmp(a.name, b.name));
  return { namespaces, objects, disabledAt: {}, kubeconfigs: [] };
}

function observeMail(d: SenderDesired): SenderObserved {
  const entries: SenderEntry[] = thin(d.entries, 0.01).map((e) =>
    chance(0.005) ? { address: e.address, logins: [...e.logins, 'someone-else'].sort() } : e,
  );
  for (let i = 0; i < PEOPLE / 200; i++) entries.push({ address: `gone${i}@example.org`, logins: [`gone${i}`] });
  return { exists: true, entries: entries.sort((a, b) => (a.address < b.address ? -1 : 1)) };
}

function observeLinks(d: LdapLinksDesired): LinkedEntry[] {
  return people.map((p) => {
    const uid = p.accounts.ldap as string;
    const want = d.byUid.get(uid);
    const values = want === undefined ? (chance(0.005) ? ['12345'] : []) : chance(0.01) ? [] : [String(want)];
    return { dn: dnOf(uid), uid, ...(p.accounts.discord ? { discordId: p.accounts.discord } : {}), values };
  });
}

interface Case {
  readonly target: Target;
  readonly observed: unknown;
}
const cases: Case[] = [
  { target: gh as Target, observed: observeGithub(gh.desired(freshContext())) },
  { target: k8s as Target, observed: observeTenants(k8s.desired(freshContext())) },
  { target: ldapGroups as Target, observed: observeLdapGroups(ldapGroups.desired(freshContext())) },
  { target: links as Target, observed: observeLinks(links.desired(freshContext())) },
  { target: mail as Target, observed: observeMail(mail.desired(freshContext())) },
]
  .map((c) => ({ ...c, target: { ...c.target, sources: sourcesOf(c.target.name) } }))
  // ONLY=github,mail: time those targets alone (for profiling one of them; the observations are all built, so the
  // inputs are the same as in a full run).
  .filter((c) => ONLY === undefined || ONLY.includes(c.target.name));

function sourcesOf(name: string): string[] {
  // What the plugins' sourceRefs give (completeTarget): every target here draws from these.
  return name === 'ldap-links' ? ['links'] : name === 'github' ? ['directory', 'links'] : ['directory'];
}
const genMs = performance.now() - t0;

/**
 * The same facts as new objects, as the next read of the sources yields: caches keyed by facts (the people index, the
 * group index) start empty each repetition, as they do each run, instead of timing a lookup of the warm-up's work.
 */
function freshContext(): DesiredContext {
  return {
    sources: new Map(
      [...ctx.sources].map(([name, s]) => [
        name,
        {
          ...s,
          facts: {
            ...(s.facts.people ? { people: [...s.facts.people] } : {}),
            ...(s.facts.groups ? { groups: s.facts.groups.map((g) => ({ ...g })) } : {}),
          },
        },
      ]),
    ),
  };
}

// ------------------------------------------------------------------------------------------------------- timing
const rssInputs = settledRss();
const heapInputs = process.memoryUsage().heapUsed;
const peakIsPlanning = resetPeak();

interface Row {
  desired: number[];
  diff: number[];
  notes: number[];
  guards: number[];
  changes: number;
  blocked: number;
  elements: number;
}
const rows = new Map<string, Row>(
  cases.map((c) => [
    c.target.name,
    { desired: [], diff: [], notes: [], guards: [], changes: 0, blocked: 0, elements: 0 },
  ]),
);
const floor: number[] = [];
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
/** What a run keeps until it is done: every target's plan (as buildPlan does). */
let kept: unknown[] = [];
const planDigests = new Map<string, string>();
// HEAP_PROFILE=file: every allocation of the timed runs (collected ones included), sampled, as a .heapprofile for
// DevTools — where planning's garbage comes from. Off by default: sampling slows the runs it records.
const heapProfile = process.env.HEAP_PROFILE ? await startHeapProfile() : undefined;
// Collector pauses during the planning of each measured run (the floor's pass excluded): the share of the time that
// is paid for allocation.
const gcPauses: { start: number; ms: number }[] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push({ start: e.startTime, ms: e.duration });
});
gcObserver.observe({ entryTypes: ['gc'] });
const planned: { from: number; to: number }[] = [];
let peakFirst = 0;
for (let rep = 0; rep <= REPS; rep++) {
  kept = [];
  const run = freshContext();
  // Each plan starts from a settled heap, as one `gatehouse plan` does once its sources are read: the garbage of the
  // previous run and of the floor's pass is neither timed nor in the peak.
  settledRss();
  const from = performance.now();
  for (const { target, observed } of cases) {
    const row = rows.get(target.name) as Row;
    const t = performance.now();
    const desired = target.desired(run);
    const t1 = performance.now();
    const proposed: Change[] = target.diff(desired, observed);
    const t2 = performance.now();
    const notes = target.notes?.(desired, observed) ?? [];
    const t3 = performance.now();
    const guarded = guardTarget(target, proposed, desired, observed, run);
    const t4 = performance.now();
    if (rep > 0) {
      row.desired.push(t1 - t);
      row.diff.push(t2 - t1);
      row.notes.push(t3 - t2);
      row.guards.push(t4 - t3);
    }
    row.changes = guarded.changes.length;
    row.blocked = guarded.blocked.length;
    row.elements = guarded.changes.reduce((n, c) => n + (c.add?.length ?? 0) + (c.remove?.length ?? 0), 0);
    kept.push(guarded, notes);
    if (PLANS && rep === REPS) planDigests.set(target.name, digest({ desired, guarded, notes }));
  }
  if (rep > 0) planned.push({ from, to: performance.now() });
  // One plan, as `gatehouse plan` makes it (the later runs add the garbage of earlier ones the collector has not
  // needed to reclaim yet).
  if (rep === 0) peakFirst = peakRss();
  // The floor after planning: its garbage (a list per person) is not in the first plan's peak.
  const t = performance.now();
  const naive = new Map<string, string[]>();
  for (const g of groups)
    for (const m of g.members) {
      const list = naive.get(m);
      if (list) list.push(g.name);
      else naive.set(m, [g.name]);
    }
  if (rep > 0) floor.push(performance.now() - t);
  kept.push(naive.size);
}
const peak = peakRss();
// V8 sizes its young generation by the machine's memory (up to 64 MB per semi-space on a large host) and keeps it once
// grown: committed memory, part of every RSS figure here, whatever planning allocates.
const youngGeneration =
  getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.physical_space_size ?? 0;
await new Promise((r) => setTimeout(r, 50)); // the observer is called back later, from a timer
gcObserver.disconnect();
const gcMs = median(
  planned.map(({ from, to }) => gcPauses.filter((g) => g.start >= from && g.start < to).reduce((n, g) => n + g.ms, 0)),
);
if (heapProfile) await heapProfile(process.env.HEAP_PROFILE as string);
// What planning keeps once done (the last run's plans, as buildPlan holds them), after a collection: the rest of the
// peak is garbage the collector had not yet needed to reclaim.
settledRss();
settledRss();
const heapHeld = process.memoryUsage().heapUsed;
const digestMs = cases.map(({ target, observed }) => {
  const t = performance.now();
  digest(observed);
  return [target.name, performance.now() - t] as const;
});

async function startHeapProfile(): Promise<(file: string) => Promise<void>> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 64 * 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return async (file) => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

// ------------------------------------------------------------------------------------------------------- report
const ms = (x: number) => x.toFixed(1).padStart(9);
const floorMs = median(floor);
console.log(
  `people planning: ${PEOPLE} people, ${GROUPS} groups, ${memberships} memberships (largest group after everyone: ` +
    `${bySize[0]?.members.length}; median ${bySize[Math.floor(bySize.length / 2)]?.members.length}), ` +
    `${linkPeople.length} GitHub links; seed ${SEED}; inputs built in ${Math.round(genMs)} ms (untimed)`,
);
console.log(
  FORM === 'installed'
    ? 'form: as the installed package runs it (this bench and the gatehouse modules bundled into plain JavaScript; FORM=clone runs src/ through type stripping)'
    : 'form: as a clone runs it (src/ through Node type stripping, whose compiler alone adds ~18 MB of RSS)',
);
console.log(`median of ${REPS} runs after a warm-up, each from a settled heap; ms`);
console.log(
  `${'target'.padEnd(22)}${'desired'.padStart(9)}${'diff'.padStart(9)}${'notes'.padStart(9)}${'guards'.padStart(9)}${'total'.padStart(9)}   changes (blocked, elements)   digest of observed (not in goal)`,
);
let total = 0;
const totals = { desired: 0, diff: 0, notes: 0, guards: 0 };
for (const { target } of cases) {
  const r = rows.get(target.name) as Row;
  const m = { desired: median(r.desired), diff: median(r.diff), notes: median(r.notes), guards: median(r.guards) };
  const sum = m.desired + m.diff + m.notes + m.guards;
  total += sum;
  for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += m[k];
  const dg = digestMs.find(([n]) => n === target.name)?.[1] ?? 0;
  console.log(
    `${`${target.name} (${target.type})`.slice(0, 22).padEnd(22)}${ms(m.desired)}${ms(m.diff)}${ms(m.notes)}${ms(m.guards)}${ms(sum)}   ${`${r.changes} (${r.blocked}, ${r.elements})`.padEnd(28)}${ms(dg)}`,
  );
}
console.log(
  `${'all five'.padEnd(22)}${ms(totals.desired)}${ms(totals.diff)}${ms(totals.notes)}${ms(totals.guards)}${ms(total)}`,
);
for (const [name, d] of planDigests) console.log(`plan of ${name}: ${d}`);
console.log(
  `collector pauses while planning: ${gcMs.toFixed(1)} ms per run (median), ${Math.round((100 * gcMs) / total)} % of the total`,
);
console.log(
  `floor: one pass over every membership into a Map person → groups: ${floorMs.toFixed(1)} ms; total = ${(total / floorMs).toFixed(1)}× floor`,
);
console.log(
  `RSS after a full collection: ${mb(rssBare)} MB bare process, ${mb(rssImported)} MB with the core and the five ` +
    `target plugins imported (+${mb(rssImported - rssBare)}), ${mb(rssInputs)} MB with the inputs built ` +
    `(+${mb(rssInputs - rssImported)}: facts and five observations); V8's young generation then holds ` +
    `${mb(youngGeneration)} MB of it, empty`,
);
console.log(
  peakIsPlanning
    ? `peak RSS while planning: ${mb(peakFirst)} MB for the first plan of the process (+${mb(peakFirst - rssInputs)} ` +
        `MB over the inputs), ${mb(peak)} MB over all ${REPS + 1} (+${mb(peak - rssInputs)}); the process: imports + ` +
        `inputs + planning's working set; building the inputs is not in it`
    : `peak RSS of the process: ${mb(peak)} MB (this system cannot reset the peak: it includes building the inputs)`,
);
console.log(
  `live JS heap after a full collection: ${mb(heapInputs)} MB with the inputs, ${mb(heapHeld)} MB after planning ` +
    `with the last run's plans held (+${mb(heapHeld - heapInputs)}); the rest of the peak is garbage not yet collected ` +
    `and heap the collector keeps`,
);
console.log(
  `desired + diff + notes + guards < ${GOAL_MS} ms: ${total < GOAL_MS ? 'met' : 'NOT met'} (${Math.round(total)} ms)`,
);
console.log(
  `peak RSS < ${GOAL_MB} MB for one plan, as \`gatehouse plan\` makes it: ` +
    `${mb(peakFirst) < GOAL_MB ? 'met' : 'NOT met'} (${mb(peakFirst)} MB); over all ${REPS + 1} plans in one process, ` +
    `as \`serve\` plans again and again: ${mb(peak)} MB, ${mb(peak) < GOAL_MB ? 'under' : 'over'} ${GOAL_MB} MB`,
);
void kept;
