/**
 * LDAP benchmark. Run on demand: `node_modules/.bin/node bench/ldap.ts` (needs the Debian packages slapd, ldap-utils).
 *
 *  1. Loads USERS (default 100,000) generated users into a fresh slapd with `slapadd -q`.
 *  2. Reads them all through the `ldap` source (ldapts, paged) and with OpenLDAP's own `ldapsearch` (same filter,
 *     attributes and page size, output discarded), alternating, REPS times each; prints the medians and the ratio
 *     (goal ≤ 1.5×).
 *  3. Applies 1,000 group membership changes (10 Discord-style groups × 100 people → 10 LDAP groups) through the
 *     core pipeline and the ldap-groups target, and prints the LDAP operations the apply sent (goal: one bind + one
 *     modify per group).
 */
import { execFile } from 'node:child_process';
import pino from 'pino';
import { applyPlan } from '../src/core/apply.ts';
import { MemoryCache } from '../src/core/cache.ts';
import { buildPlan } from '../src/core/pipeline.ts';
import { MemoryStore } from '../src/core/testing/memory-store.ts';
import { ldapSource } from '../src/sources/ldap/index.ts';
import { staticSource } from '../src/sources/static/index.ts';
import { createLdapGroupsTarget, ldapGroupsTarget } from '../src/targets/ldap-groups/index.ts';
import { BIND_DN, BIND_PASSWORD, GROUPS, PEOPLE, startSlapd } from '../test/harness/slapd.ts';
import { EMPTY_MEMBER, directoryLdif, snowflake } from '../test/ldap/directory.ts';

const USERS = Number(process.env.USERS ?? 100_000);
const REPS = Number(process.env.REPS ?? 3);
const PAGE = 1000;
const GROUP_COUNT = 10;
const PER_GROUP = 100;
const deps = { baseDir: '/', logger: pino({ level: 'silent' }), env: {}, cache: new MemoryCache() };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function ldapsearch(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'ldapsearch',
      [
        '-LLL',
        '-x',
        '-H',
        url,
        '-D',
        BIND_DN,
        '-w',
        BIND_PASSWORD,
        '-E',
        `pr=${PAGE}/noprompt`,
        '-b',
        PEOPLE,
        '(objectClass=inetOrgPerson)',
        'uid',
        'employeeNumber',
        'mail',
        'displayName',
        'nsAccountLock',
        'pwdAccountLockedTime',
        'memberOf',
      ],
      { maxBuffer: 1 << 30, timeout: 300_000 },
      (e) => (e ? reject(new Error(`ldapsearch failed: ${e.message}`)) : resolve()),
    );
    child.stdin?.end();
  });
}

const groups = Array.from({ length: GROUP_COUNT }, (_, g) => ({ cn: `bench${g}`, members: [EMPTY_MEMBER] }));
let t = performance.now();
const s = await startSlapd({ bindUnlimited: true, ldif: directoryLdif({ users: USERS, groups }) });
try {
  console.log(`slapadd + start of ${USERS} users: ${Math.round(performance.now() - t)} ms`);
  const source = ldapSource.create(
    'dir',
    ldapSource.schema.parse({
      type: 'ldap',
      connection: { url: s.url, bindDn: BIND_DN, bindPassword: BIND_PASSWORD, pageSize: PAGE, timeoutMs: 300_000 },
      people: { base: PEOPLE },
    }),
    deps,
  );
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < REPS; r++) {
    t = performance.now();
    await ldapsearch(s.url);
    theirs.push(performance.now() - t);
    t = performance.now();
    const read = await source.read(AbortSignal.timeout(600_000));
    ours.push(performance.now() - t);
    if (!read.complete || read.facts.people?.length !== USERS) throw new Error(`bad read: ${read.notes.join('; ')}`);
  }
  const a = median(ours);
  const b = median(theirs);
  console.log(
    `read ${USERS} entries: ldap source ${Math.round(a)} ms, ldapsearch ${Math.round(b)} ms, ratio ${(a / b).toFixed(2)}× (goal ≤ 1.5×)`,
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
  const target = createLdapGroupsTarget(
    'ldap',
    ldapGroupsTarget.schema.parse({
      type: 'ldap-groups',
      connection: { url: s.url, bindDn: BIND_DN, bindPassword: BIND_PASSWORD, pageSize: PAGE, timeoutMs: 300_000 },
      people: { base: PEOPLE },
      mappings: groups.map((g) => ({ source: 'roles', group: g.cn, ldapGroup: `cn=${g.cn},${GROUPS}` })),
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
  console.log(
    `apply ${memberships} membership changes in ${changes.length} group changes: ${target.ldapOps - planOps} LDAP operations (bind + one modify per group), ${Math.round(applyMs)} ms; plan (observe ${USERS} accounts) ${planOps} operations, ${Math.round(planMs)} ms`,
  );
} finally {
  await s.stop();
}
