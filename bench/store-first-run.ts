/**
 * Embedded store first run (issue 12, goal 7). Run: `node_modules/.bin/node bench/store-first-run.ts`.
 *
 * `npm run demo` (apply on examples/quickstart) in a copy of the example, timed as whole processes, REPS times each,
 * interleaved so a change in machine load touches every row alike (medians):
 *  1. first run with neither a shipped nor a cached template: initdb in WebAssembly (then the cache template is saved);
 *  2. first run with the shipped template only: a newcomer after `npm ci` (prepare made `.store-template/`): the goal;
 *  3. first run with the user's cache template only (a machine that ran initdb once before);
 *  4. warm run: the state dir exists. The floor the others are measured against.
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

function run(args: string[], env: Record<string, string>): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, {
    cwd: join(work, 'quickstart'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return performance.now() - t;
}
/** `npm run demo` on a new state dir (`fresh`) or the existing one, with the given template locations. */
function demo(fresh: boolean, templates: { shipped: string; cache: string }): number {
  if (fresh) rmSync(join(work, 'quickstart', '.gatehouse'), { recursive: true, force: true });
  const cli = [join(root, 'src/cli/main.ts'), 'apply', '--config', 'gatehouse.yaml', '--auto-approve'];
  return run(cli, { GATEHOUSE_STORE_TEMPLATE_DIR: templates.shipped, GATEHOUSE_CACHE_DIR: templates.cache });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

try {
  cpSync(join(root, 'examples/quickstart'), join(work, 'quickstart'), { recursive: true });
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
