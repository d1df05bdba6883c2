/**
 * Embedded store first run (issue 12, goal 7). Run: `node_modules/.bin/node bench/store-first-run.ts`.
 *
 * `npm run demo` (apply on examples/quickstart) in a copy of the example, timed as whole processes, REPS times each,
 * interleaved so a change in machine load touches every row alike (medians):
 *  1. first run with neither a shipped nor a cached template: initdb in WebAssembly (then the cache template is saved);
 *  2. first run with the shipped template only: a newcomer after `npm ci` (prepare made `.store-template/`): the goal;
 *  3. first run with the user's cache template only (a machine that ran initdb once before);
 *  4. warm run: the state dir exists. The floor the others are measured against.
 * Every timed run starts after `sync` (untimed), and a first run gets a new copy of the example instead of deleting
 * the previous store just before it: deleting a thousand files leaves the filesystem work that the next run's copy of
 * the template would otherwise wait for, which no newcomer's first run does.
 * Goal: the first run ≤ 2× a warm run. Templates live in temporary directories (GATEHOUSE_STORE_TEMPLATE_DIR,
 * GATEHOUSE_CACHE_DIR), never the package's or the user's; the shipped one is made by scripts/store-template.ts.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPS = Number(process.env.REPS ?? 3);
const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'gatehouse-bench-store-'));
const shipped = join(work, 'shipped');
const none = join(work, 'none');
const cache = join(work, 'cache');
const emptyCache = join(work, 'empty-cache');

function run(args: string[], env: Record<string, string>, cwd = work): number {
  // Untimed: writes still pending from the previous step (deleting or copying a thousand files) would otherwise land
  // in this one's time.
  spawnSync('sync');
  const t = performance.now();
  const r = spawnSync(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return performance.now() - t;
}
let copies = 0;
let current = '';
/**
 * `npm run demo` in a new copy of the example (`fresh`: no state dir yet, as on a newcomer's machine; earlier copies
 * are left in place rather than deleted before the run) or again in the current one, with the given templates.
 */
function demo(fresh: boolean, templates: { shipped: string; cache: string }): number {
  if (fresh) {
    current = join(work, `quickstart-${copies++}`);
    cpSync(join(root, 'examples/quickstart'), current, { recursive: true });
    for (const made of ['.gatehouse', 'out']) rmSync(join(current, made), { recursive: true, force: true });
  }
  const cli = [join(root, 'src/cli/main.ts'), 'apply', '--config', 'gatehouse.yaml', '--auto-approve'];
  return run(cli, { GATEHOUSE_STORE_TEMPLATE_DIR: templates.shipped, GATEHOUSE_CACHE_DIR: templates.cache }, current);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

try {
  const prepare = run([join(root, 'scripts/store-template.ts')], { GATEHOUSE_STORE_TEMPLATE_DIR: shipped });
  const rows = { initdb: [] as number[], shipped: [] as number[], cache: [] as number[], warm: [] as number[] };
  for (let i = 0; i < REPS; i++) {
    // The initdb run saves the cache template the cache row then uses; it starts from an empty cache each time.
    rmSync(cache, { recursive: true, force: true });
    rows.initdb.push(demo(true, { shipped: none, cache }));
    rows.warm.push(demo(false, { shipped: none, cache }));
    rmSync(emptyCache, { recursive: true, force: true });
    rows.shipped.push(demo(true, { shipped, cache: emptyCache }));
    rows.warm.push(demo(false, { shipped, cache: emptyCache }));
    rows.cache.push(demo(true, { shipped: none, cache }));
  }
  const w = median(rows.warm);
  const row = (name: string, ms: number, goal: boolean) =>
    process.stdout.write(
      `  ${name.padEnd(58)} ${ms.toFixed(0).padStart(6)} ms  ${(ms / w).toFixed(2)}×` +
        (goal ? `  (goal ≤ 2×: ${ms / w <= 2 ? 'met' : 'NOT met'})` : '') +
        '\n',
    );
  process.stdout.write(`npm run demo, whole process, median of ${REPS}; ratios against the warm run\n`);
  row('1. first run, no template at all (initdb)', median(rows.initdb), false);
  row('2. first run, shipped template only (after npm ci) — goal', median(rows.shipped), true);
  row('3. first run, user cache template only', median(rows.cache), true);
  row(`4. warm run (state dir exists), median of ${rows.warm.length}`, w, false);
  process.stdout.write(`  (making the shipped template, once per install: ${prepare.toFixed(0)} ms)\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
