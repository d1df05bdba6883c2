/**
 * LDAP benchmark. Run on demand: `node_modules/.bin/node bench/ldap.ts` (needs the Debian packages slapd, ldap-utils).
 * Environment: USERS (default 100,000), REPS (default 5), PAGE (default 1000).
 *
 *  1. Loads USERS generated users into a fresh slapd with `slapadd -q`.
 *  2. Reads them all four ways, the same query each time (filter, base, scope, the attribute list the source itself
 *     requests, page size), after one untimed warm-up round, interleaved, REPS times; prints median and min of each
 *     and the ratio of medians to `ldapsearch` (goal for the source: ≤ 1.5×):
 *     - `ldapsearch` — OpenLDAP's C client, LDIF to /dev/null (the warm-up round counts its entries into a pipe);
 *     - ldapts, bare: `searchPaginated` in a `for await` loop, counting entries — the floor of the library as a
 *       typical caller uses it (ldapts still decodes every entry into an object);
 *     - ldapts, bare with one page of look-ahead, as the source does it — the floor for the source;
 *     - the `ldap` source: a complete read into Person facts.
 *  3. Applies 1,000 group membership changes (10 Discord-style groups × 100 people → 10 LDAP groups) through the
 *     core pipeline and the ldap-groups target, and prints the LDAP operations the apply sent (goal: one bind + one
 *     modify per group).
 *
 * Wall-clock times on a shared machine are noisy: slapd and the client compete for the same cores. The machine's CPU
 * count and load average are printed with the figures.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { Client } from 'ldapts';
import { applyPlan } from '../src/core/apply.ts';
import { buildPlan } from '../src/core/pipeline.ts';
import { MemoryStore } from '../src/core/testing/memory-store.ts';
import { ldapSource } from '../src/sources/ldap/index.ts';
import { peopleAttributes } from '../src/sources/ldap/read.ts';
import { staticSource } from '../src/sources/static/index.ts';
import { ldapGroupsTarget } from '../src/targets/ldap-groups/index.ts';
import { BIND_DN, BIND_PASSWORD, GROUPS, PEOPLE, startSlapd } from '../test/harness/slapd.ts';
import { EMPTY_MEMBER, directoryLdif, snowflake } from '../test/ldap/directory.ts';
import { testDeps } from '../src/testing/plugin-deps.ts';

const USERS = Number(process.env.USERS ?? 100_000);
const REPS = Number(process.env.REPS ?? 5);
const PAGE = Number(process.env.PAGE ?? 1000);
const GROUP_COUNT = 10;
const PER_GROUP = 100;
const deps = testDeps();

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** Runs ldapsearch; with `count`, reads its LDIF through a pipe and returns the number of entries, else discards it. */
function ldapsearch(url: string, filter: string, attributes: readonly string[], count: boolean): Promise<number> {
  const args = ['-LLL', '-x', '-H', url, '-D', BIND_DN, '-w', BIND_PASSWORD, '-E', `pr=${PAGE}/noprompt`];
  const devnull = count ? undefined : openSync('/dev/null', 'w');
  return new Promise<number>((resolve, reject) => {
    const child = spawn('ldapsearch', [...args, '-b', PEOPLE, '-s', 'sub', filter, ...attributes], {
      stdio: ['ignore', devnull ?? 'pipe', 'pipe'],
    });
    let entries = 0;
    let tail = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      const text = tail + d;
      const lines = text.split('\n');
      tail = lines.pop() ?? '';
      for (const l of lines) if (l.startsWith('dn: ')) entries++;
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (devnull !== undefined) closeSync(devnull);
      if (code === 0) resolve(entries);
      else reject(new Error(`ldapsearch exited ${code}: ${stderr.trim()}`));
    });
  });
}

/** ldapts with no conversion: bind, one paged search counting entries, unbind. */
async function bareLdapts(
  url: string,
  filter: string,
  attributes: readonly string[],
  lookAhead: boolean,
): Promise<number> {
  const client = new Client({ url });
  try {
    await client.bind(BIND_DN, BIND_PASSWORD);
    const pages = client.searchPaginated(PEOPLE, {
      scope: 'sub',
      filter,
      attributes: [...attributes],
      paged: { pageSize: PAGE },
    });
    let n = 0;
    if (!lookAhead) {
      for await (const page of pages) n += page.searchEntries.length;
      return n;
    }
    const it = pages[Symbol.asyncIterator]();
    let next = it.next();
    for (;;) {
      const r = await next;
      if (r.done) return n;
      next = it.next();
      n += r.value.searchEntries.length;
    }
  } finally {
    await client.unbind();
  }
}

const groups = Array.from({ length: GROUP_COUNT }, (_, g) => ({ cn: `bench${g}`, members: [EMPTY_MEMBER] }));
let t = performance.now();
const s = await startSlapd({ bindUnlimited: true, ldif: directoryLdif({ users: USERS, groups }) });
try {
  console.log(`slapadd + start of ${USERS} users: ${Math.round(performance.now() - t)} ms`);
  const config = ldapSource.schema.parse({
    type: 'ldap',
    connection: { url: s.url, bindDn: BIND_DN, bindPassword: BIND_PASSWORD, pageSize: PAGE, timeoutMs: 300_000 },
    people: { base: PEOPLE },
  });
  const source = ldapSource.create('dir', config, deps);
  // The query the source sends, used verbatim for every contender.
  const filter = config.people.filter;
  const attributes = peopleAttributes(config);

  const contenders: [string, () => Promise<number>][] = [
    ['ldapsearch (C, LDIF to /dev/null)', () => ldapsearch(s.url, filter, attributes, false)],
    ['ldapts bare (for await, no conversion)', () => bareLdapts(s.url, filter, attributes, false)],
    ['ldapts bare, 1-page look-ahead (floor)', () => bareLdapts(s.url, filter, attributes, true)],
    [
      'ldap source (complete read → people)',
      async () => {
        const read = await source.read(AbortSignal.timeout(600_000));
        if (!read.complete) throw new Error(`incomplete read: ${read.notes.join('; ')}`);
        return read.facts.people?.length ?? 0;
      },
    ],
  ];
  // Warm-up round, untimed, which also checks that every contender sees every entry (ldapsearch through a pipe).
  const seen = [await ldapsearch(s.url, filter, attributes, true)];
  for (const [, run] of contenders.slice(1)) seen.push(await run());
  if (seen.some((n) => n !== USERS)) throw new Error(`entries seen: ${seen.join(', ')}; expected ${USERS} each`);

  const loadBefore = load();
  const times = contenders.map(() => [] as number[]);
  for (let r = 0; r < REPS; r++) {
    for (const [i, [, run]] of contenders.entries()) {
      t = performance.now();
      await run();
      times[i]?.push(performance.now() - t);
    }
  }
  const base = median(times[0] ?? []);
  console.log(
    `\nread ${USERS} entries: filter ${filter}, attributes ${attributes.join(',')}, page size ${PAGE}; ` +
      `${REPS} interleaved reps after a warm-up; ${availableParallelism()} CPUs, load average ${loadBefore} → ${load()}`,
  );
  console.log(`${'contender'.padEnd(42)}${'median ms'.padStart(11)}${'min ms'.padStart(9)}${'ratio'.padStart(8)}`);
  for (const [i, [name]] of contenders.entries()) {
    const xs = times[i] ?? [];
    const ratio = median(xs) / base;
    console.log(
      `${name.padEnd(42)}${String(Math.round(median(xs))).padStart(11)}${String(Math.round(Math.min(...xs))).padStart(9)}${`${ratio.toFixed(2)}×`.padStart(8)}${i === contenders.length - 1 ? `  (goal ≤ 1.5×)` : ''}`,
    );
  }
  console.log(
    `ratio = median / median of ldapsearch; every rep: ${times.map((xs) => xs.map(Math.round).join(' ')).join(' | ')}\n`,
  );

  // 1,000 membership changes: 10 groups × 100 people, from a static source standing in for Discord roles.
  const people = Array.from({ length: GROUP_COUNT * PER_GROUP }, (_, i) => ({ id: `p${i}`, discord: snowflake(i) }));
  const staticGroups = Object.fromEntries(
    groups.map((g, k) => [g.cn, people.slice(k * PER_GROUP, (k + 1) * PER_GROUP).map((p) => p.id)]),
  );
  const roles = staticSource.create(
    'roles',
    staticSource.schema.parse({ type: 'static', people, groups: staticGroups }),
    deps,
  );
  const target = ldapGroupsTarget.create(
    'ldap',
    ldapGroupsTarget.schema.parse({
      type: 'ldap-groups',
      connection: { url: s.url, bindDn: BIND_DN, bindPassword: BIND_PASSWORD, pageSize: PAGE, timeoutMs: 300_000 },
      people: { base: PEOPLE },
      mappings: groups.map((g) => ({ group: `roles/${g.cn}`, ldapGroup: `cn=${g.cn},${GROUPS}` })),
      emptyMember: EMPTY_MEMBER,
    }),
    deps,
  );
  const store = new MemoryStore();
  const signal = AbortSignal.timeout(600_000);
  t = performance.now();
  const { plan, observed } = await buildPlan({
    configDigest: 'b',
    sources: [roles],
    targets: [target],
    snapshots: store,
    signal,
  });
  const planMs = performance.now() - t;
  const planOps = target.ldapOps;
  const changes = plan.targets[0]?.changes ?? [];
  const memberships = changes.reduce((n, c) => n + (c.add?.length ?? 0) + (c.remove?.length ?? 0), 0);
  t = performance.now();
  const reports = await applyPlan({
    plan,
    configDigest: 'b',
    targets: [target],
    audit: store,
    actor: 'bench',
    signal,
    observed,
  });
  const applyMs = performance.now() - t;
  const failed = reports.flatMap((r) => r.results).filter((r) => r.status !== 'applied');
  if (failed.length > 0) throw new Error(`apply failed: ${JSON.stringify(failed.slice(0, 3))}`);
  // Checked with OpenLDAP's own tool: every group now holds its 100 people (and the placeholder).
  const memberLines = (
    await s.ldapsearch(['-b', GROUPS, '-s', 'one', '(cn=bench*)', 'member'], { timeoutMs: 60_000 })
  ).match(/^member: /gm);
  if (memberLines?.length !== GROUP_COUNT * (PER_GROUP + 1)) {
    throw new Error(`after apply, LDAP holds ${memberLines?.length ?? 0} member values`);
  }
  console.log(
    `apply ${memberships} membership changes in ${changes.length} group changes: ${target.ldapOps - planOps} LDAP operations (bind + one modify per group), ${Math.round(applyMs)} ms; plan (observe ${USERS} accounts) ${planOps} operations, ${Math.round(planMs)} ms`,
  );
} finally {
  await s.stop();
}
