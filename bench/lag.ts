/**
 * Event → converged lag of `gatehouse serve`. Run on demand: `node_modules/.bin/node bench/lag.ts` (needs slapd and
 * ldap-utils). Environment: CHANGES (default 50), EVERY_MS (default 2000), WRITE_SPACING_MS (default 1000).
 *
 * Starts the real daemon (a separate process, embedded store) against a Discord gateway fake, a real slapd and a
 * GitHub fake (writes spaced WRITE_SPACING_MS, as GitHub asks), with `serve.fullPass` at 1 h so only events drive it.
 * Then CHANGES role changes go through the gateway, one every EVERY_MS: each toggles the SRE role of one of three
 * members. For each, the time until slapd (ldapsearch) and the GitHub fake's team show it. Prints p50/p95/max next to
 * the periodic-only baseline of the tools serve replaces (a Discord → LDAP bot looping every 10 min, a GitHub sync
 * every 5 min): with a periodic loop of interval T a change waits for the next pass, uniformly 0…T, so p50 = T/2,
 * p95 = 0.95·T, max = T (plus the pass's own duration, left out in their favour).
 *
 * Goal: p95 ≤ 2 s to LDAP, ≤ 5 s to GitHub. Nothing here asserts it; the machine's CPU count and load are printed.
 */
import { availableParallelism, loadavg } from 'node:os';
import { snowflake, userDn } from '../test/ldap/directory.ts';
import { EventWorld, LINKED, SRE, STAFF } from '../test/serve/event-world.ts';
import { startServe } from '../test/serve/serve-process.ts';

const CHANGES = Number(process.env.CHANGES ?? 50);
const EVERY_MS = Number(process.env.EVERY_MS ?? 2000);
const WRITE_SPACING_MS = Number(process.env.WRITE_SPACING_MS ?? 1000);
const GIVE_UP_MS = 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

/** Polls `visible` until it holds; resolves the time since `t0` in ms, or undefined after GIVE_UP_MS. */
async function lagUntil(t0: number, visible: () => boolean | Promise<boolean>, pollMs: number) {
  while (Date.now() - t0 < GIVE_UP_MS) {
    if (await visible()) return Date.now() - t0;
    await sleep(pollMs);
  }
  return undefined;
}

const w = await new EventWorld().start();
const d = await startServe(['-c', w.config('lag', { writeSpacingMs: WRITE_SPACING_MS })], {
  env: w.env(),
  timeoutMs: 30 * 60_000,
});
try {
  await d.until(
    async () =>
      ((await d.metric('gatehouse_events_total{trigger="discord-resync"}')) ?? 0) >= 1 &&
      ((await d.metric('gatehouse_reconciles_total{target="gh",outcome="ok"}')) ?? 0) >= 1 &&
      ((await d.metric('gatehouse_reconciles_total{target="directory",outcome="ok"}')) ?? 0) >= 1,
    'the daemon to start and reconcile once',
  );
  const sre = new Set<number>([2]); // member indexes holding SRE
  const ldap: number[] = [];
  const github: number[] = [];
  let lost = 0;
  const pending: Promise<void>[] = [];
  for (let n = 0; n < CHANGES; n++) {
    const { i, github: gid } = LINKED[n % LINKED.length] as (typeof LINKED)[number];
    const holds = !sre.has(i);
    if (holds) sre.add(i);
    else sre.delete(i);
    const t0 = Date.now();
    w.discord.setRoles(snowflake(i), holds ? [STAFF, SRE] : [STAFF]);
    pending.push(
      (async () => {
        const [l, g] = await Promise.all([
          lagUntil(t0, async () => (await w.sreMembers()).includes(userDn(i)) === holds, 20),
          lagUntil(t0, () => w.teamMembers().includes(gid) === holds, 10),
        ]);
        if (l === undefined || g === undefined) lost++;
        if (l !== undefined) ldap.push(l);
        if (g !== undefined) github.push(g);
      })(),
    );
    await sleep(EVERY_MS);
  }
  await Promise.all(pending);
  const reconciles = async (t: string) =>
    (await d.metric(`gatehouse_reconciles_total{target="${t}",outcome="ok"}`)) ?? 0;
  ldap.sort((a, b) => a - b);
  github.sort((a, b) => a - b);
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const row = (name: string, v: readonly number[], goal: string) =>
    `${name.padEnd(34)} ${s(quantile(v, 0.5)).padStart(9)} ${s(quantile(v, 0.95)).padStart(9)} ${s(
      v.at(-1) ?? Number.NaN,
    ).padStart(9)}   ${goal}`;
  const periodic = (name: string, intervalS: number) =>
    `${name.padEnd(34)} ${s((intervalS / 2) * 1000).padStart(9)} ${s(intervalS * 950).padStart(9)} ${s(
      intervalS * 1000,
    ).padStart(9)}   (computed: uniform 0…interval)`;
  console.log(
    `${CHANGES} role changes through the Discord gateway fake, one every ${EVERY_MS} ms; GitHub writes spaced ${WRITE_SPACING_MS} ms`,
  );
  console.log(
    `machine: ${availableParallelism()} CPUs, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`${''.padEnd(34)} ${'p50'.padStart(9)} ${'p95'.padStart(9)} ${'max'.padStart(9)}`);
  console.log(row('serve: role change → slapd group', ldap, 'goal p95 ≤ 2 s'));
  console.log(row('serve: role change → GitHub team', github, 'goal p95 ≤ 5 s'));
  console.log(periodic('periodic: Discord→LDAP bot, 10 min', 600));
  console.log(periodic('periodic: GitHub sync, 5 min', 300));
  console.log(
    `reconciles: directory ${await reconciles('directory')}, gh ${await reconciles('gh')}; changes not visible within ${GIVE_UP_MS / 1000} s: ${lost}`,
  );
  const lagCount = await d.metric('gatehouse_event_converged_lag_seconds_count{target="gh"}');
  const lagSum = await d.metric('gatehouse_event_converged_lag_seconds_sum{target="gh"}');
  if (lagCount && lagSum !== undefined)
    console.log(`daemon's own gh event→converged lag: mean ${s((lagSum / lagCount) * 1000)} over ${lagCount}`);
} finally {
  d.signal('SIGTERM');
  await d.exit;
  await w.close();
}
