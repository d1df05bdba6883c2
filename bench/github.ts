/**
 * GitHub target benchmark: what a reconcile run costs in requests and primary rate-limit quota. Run on demand:
 * `node_modules/.bin/node bench/github.ts` (M and T can be overridden: `M=1000 T=100 node_modules/.bin/node …`).
 *
 * A fake org (test/fakes/github, every request and response validated against GitHub's description) with M members
 * (10 of them owners) and T teams of 20 members (2 maintainers) each, all of it wanted by the config, driven through
 * the core pipeline (buildPlan / applyPlan) with the real Octokit:
 *
 *  (a) first run, empty ETag cache;
 *  (b) unchanged run — goal: 0 primary quota (every read a 304);
 *  (c) a run with 10 changes (3 invitations, 2 removals, 1 promotion, 2 team additions, 1 team role change, 1 team
 *      removal) — goal: O(changes) writes;
 *  (d) the run after (c), which pays for the pages the writes changed;
 *
 * next to a naive full listing (the same reads with `octokit.paginate`, no ETags) counted in the same run, and
 * peribolos' formula ≈ 4 + M/100 + 3T. Write spacing is 0 here (the fake has no secondary limits); with the default
 * 1 s, (c) takes ≥ 10 s more and nothing else changes.
 */
import { paginateRest } from '@octokit/plugin-paginate-rest';
import pino from 'pino';
import { applyPlan } from '../src/core/apply.ts';
import { MemoryCache } from '../src/core/cache.ts';
import { buildPlan } from '../src/core/pipeline.ts';
import type { TargetPlan } from '../src/core/plan.ts';
import { MemoryStore } from '../src/core/testing/memory-store.ts';
import { staticSource } from '../src/sources/static/index.ts';
import { gatehouseOctokit, githubSchema, githubTarget } from '../src/targets/github/index.ts';
import { startGithubFake, type RequestCounts } from '../test/fakes/github/index.ts';
import { testDeps } from '../src/testing/plugin-deps.ts';

const M = Number(process.env.M ?? 5000);
const T = Number(process.env.T ?? 500);
const TEAM_SIZE = 20;
const ADMINS = 10;

const fake = await startGithubFake({ org: 'bench', rateLimit: 1e9 });
const log = pino({ level: 'warn' });
try {
  const owner = fake.addUser('gatehouse-bot', 1);
  fake.addMember(owner.id, 'admin');
  const token = fake.issueToken(owner.id);

  const people: { id: string; github: number }[] = [{ id: 'bot', github: 1 }];
  const groups: Record<string, string[]> = { admins: ['bot'], members: [] };
  for (let i = 0; i < M; i++) {
    const u = fake.addUser(`member-${i}`, 1000 + i);
    fake.addMember(u.id, i < ADMINS ? 'admin' : 'member');
    people.push({ id: `p${i}`, github: u.id });
    (i < ADMINS ? groups.admins : groups.members)?.push(`p${i}`);
  }
  // Extra accounts for the invitations of run (c).
  for (let i = 0; i < 3; i++) people.push({ id: `new${i}`, github: fake.addUser(`newcomer-${i}`, 900_000 + i).id });
  const teams: Record<string, { maintainers: string[]; members: string[] }> = {};
  for (let t = 0; t < T; t++) {
    const slug = `team-${t}`;
    fake.addTeam(slug, { id: 100_000 + t });
    groups[`${slug}-leads`] = [];
    groups[`${slug}-members`] = [];
    for (let k = 0; k < TEAM_SIZE; k++) {
      const i = (t * 7 + k * 251) % Math.floor(M * 0.8); // the last fifth of members is in no team
      const lead = k < 2;
      fake.addTeamMember(slug, 1000 + i, lead ? 'maintainer' : 'member');
      groups[`${slug}-${lead ? 'leads' : 'members'}`]?.push(`p${i}`);
    }
    teams[slug] = { maintainers: [`people/${slug}-leads`], members: [`people/${slug}-members`] };
  }

  const cache = new MemoryCache();
  const store = new MemoryStore();
  const deps = testDeps({ baseDir: '/nonexistent', logger: log, cache });
  const config = githubSchema.parse({
    type: 'github',
    org: 'bench',
    apiUrl: fake.url,
    auth: { token },
    admins: ['people/admins'],
    members: ['people/members'],
    teams,
    writeSpacingMs: 0,
    readConcurrency: 8,
  });
  const target = githubTarget.create('gh', config, deps);

  async function run(label: string, apply: boolean) {
    const source = staticSource.create('people', staticSource.schema.parse({ type: 'static', people, groups }), deps);
    fake.resetCounts();
    const t0 = performance.now();
    const { plan, observed } = await buildPlan({
      configDigest: 'bench',
      sources: [source],
      targets: [target],
      snapshots: store,
      signal: AbortSignal.timeout(600_000),
    });
    const tp = plan.targets[0] as TargetPlan;
    if (tp.error) throw new Error(`${label}: ${tp.error.message}`);
    const planned = fake.snapshot();
    let results = 0;
    if (apply && tp.changes.length > 0) {
      const reports = await applyPlan({
        plan,
        configDigest: 'bench',
        targets: [target],
        audit: store,
        actor: 'bench',
        signal: AbortSignal.timeout(600_000),
        observed,
      });
      const failed = reports[0]?.results.filter((r) => r.status !== 'applied') ?? [];
      if (failed.length) throw new Error(`${label}: ${failed.map((f) => `${f.id}: ${f.message}`).join('; ')}`);
      results = reports[0]?.results.length ?? 0;
    }
    return {
      label,
      plan: planned,
      total: fake.snapshot(),
      changes: tp.changes.length,
      blocked: tp.blocked.length,
      results,
      ms: performance.now() - t0,
    };
  }

  /** The same reads done the naive way: full listings with Octokit's paginate, no conditional requests. */
  async function naive(): Promise<RequestCounts> {
    const octokit = new (gatehouseOctokit().plugin(paginateRest))({
      auth: token,
      baseUrl: fake.url,
      throttle: { enabled: false },
      retry: { enabled: false },
    });
    fake.resetCounts();
    const org = 'bench';
    await octokit.request('GET /user');
    await octokit.paginate('GET /orgs/{org}/members', { org, role: 'admin', per_page: 100 });
    await octokit.paginate('GET /orgs/{org}/members', { org, role: 'all', per_page: 100 });
    await octokit.paginate('GET /orgs/{org}/invitations', { org, per_page: 100 });
    await octokit.paginate('GET /orgs/{org}/failed_invitations', { org, per_page: 100 });
    const list = await octokit.paginate('GET /orgs/{org}/teams', { org, per_page: 100 });
    for (const t of list) {
      for (const role of ['maintainer', 'all'] as const) {
        await octokit.paginate('GET /orgs/{org}/teams/{team_slug}/members', {
          org,
          team_slug: t.slug,
          role,
          per_page: 100,
        });
      }
    }
    return fake.snapshot();
  }

  const a = await run('(a) first run', true);
  const b = await run('(b) unchanged run', true);
  const base = await naive(); // same org state as (a) and (b)
  // Ten changes, all from the groups (the org itself is unchanged since (b)).
  const inTeams = new Set(Object.entries(groups).flatMap(([g, list]) => (g.startsWith('team-') ? list : [])));
  const loners = (groups.members ?? []).filter((p) => !inTeams.has(p)).slice(-4);
  if (loners.length < 4) throw new Error('need 4 members outside every team; raise M');
  groups.members = (groups.members ?? []).filter((p) => p !== loners[0] && p !== loners[1]); // 2 removals
  groups.members?.push('new0', 'new1', 'new2'); // 3 invitations
  groups.admins?.push(`p${ADMINS}`); // 1 promotion
  groups['team-0-members']?.push(loners[2] ?? '', loners[3] ?? ''); // 2 team additions
  const lead = groups['team-1-leads']?.shift(); // 1 team role change (maintainer → member)
  if (lead) groups['team-1-members']?.push(lead);
  groups['team-2-members']?.pop(); // 1 team removal
  const c = await run('(c) 10 changes', true);
  const d = await run('(d) the run after (c)', true);
  fake.assertClean();

  const pad = (s: string | number, n: number) => String(s).padStart(n);
  const line = (label: string, x: RequestCounts, extra = '') =>
    `${label.padEnd(42)}${pad(x.requests, 9)}${pad(x.get, 8)}${pad(x.nonGet, 8)}${pad(x.notModified, 8)}${pad(x.primary, 9)}  ${extra}`;
  console.log(`GitHub target: M = ${M} members (${ADMINS} owners), T = ${T} teams of ${TEAM_SIZE}; write spacing 0 ms`);
  console.log(
    `${''.padEnd(42)}${pad('requests', 9)}${pad('GET', 8)}${pad('writes', 8)}${pad('304', 8)}${pad('primary', 9)}`,
  );
  for (const r of [a, b, c, d]) {
    console.log(line(r.label, r.total, `${r.changes} change(s), ${r.blocked} blocked, ${Math.round(r.ms)} ms`));
  }
  console.log(line('  of which (c) plan only', c.plan));
  console.log(line('naive full listing (same run, org of (a))', base));
  console.log(
    `${'peribolos ≈ 4 + M/100 + 3T'.padEnd(42)}${pad(4 + Math.ceil(M / 100) + 3 * T, 9)}${pad('', 32)}${pad(4 + Math.ceil(M / 100) + 3 * T, 9)}`,
  );
  console.log('');
  console.log(`(b) unchanged: ${b.total.primary} primary quota (goal 0): ${b.total.primary === 0 ? 'met' : 'NOT met'}`);
  console.log(
    `(c) ${c.changes} changes → ${c.total.nonGet} writes (goal O(changes)); primary ${c.total.primary} = writes + id→login lookups (${c.total.primary - c.total.nonGet})`,
  );
  console.log(
    `(b) vs naive: ${b.total.primary} vs ${base.primary} primary; requests ${b.total.requests} vs ${base.requests}`,
  );
} finally {
  await fake.close();
}
