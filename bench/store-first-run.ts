/**
 * Embedded store first run (issue 12, goal 7). Run: `node_modules/.bin/node bench/store-first-run.ts`.
 *
 * `npm run demo` (apply on examples/quickstart) in a copy of the example, timed as whole processes:
 *  1. first run on this machine: no state dir and no PGlite template in the cache (initdb runs, the template is saved);
 *  2. first run for a new state dir once the template exists (it is unpacked instead of running initdb);
 *  3. warm runs: the state dir exists (median of REPS).
 * Goal: the first run ≤ 2× a warm run. The cache is a temporary GATEHOUSE_CACHE_DIR, never the user's.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPS = Number(process.env.REPS ?? 3);
const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'gatehouse-bench-store-'));
const env = { ...process.env, GATEHOUSE_CACHE_DIR: join(work, 'cache') };

function demo(): number {
  const t = performance.now();
  const r = spawnSync(
    process.execPath,
    [join(root, 'src/cli/main.ts'), 'apply', '--config', 'gatehouse.yaml', '--auto-approve'],
    { cwd: join(work, 'quickstart'), env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (r.status !== 0) throw new Error(`demo exited ${r.status}: ${r.stderr.toString()}`);
  return performance.now() - t;
}
const fresh = () => rmSync(join(work, 'quickstart', '.gatehouse'), { recursive: true, force: true });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

try {
  cpSync(join(root, 'examples/quickstart'), join(work, 'quickstart'), { recursive: true });
  const cold = demo();
  const warm: number[] = [];
  for (let i = 0; i < REPS; i++) warm.push(demo());
  const firsts: number[] = [];
  for (let i = 0; i < REPS; i++) {
    fresh();
    firsts.push(demo());
  }
  const w = median(warm);
  const row = (name: string, ms: number, goal: boolean) =>
    process.stdout.write(
      `  ${name.padEnd(48)} ${ms.toFixed(0).padStart(6)} ms  ${(ms / w).toFixed(2)}×` +
        (goal ? `  (goal ≤ 2×: ${ms / w <= 2 ? 'met' : 'NOT met'})` : '') +
        '\n',
    );
  process.stdout.write(`npm run demo, whole process; ratios against the warm run\n`);
  row('warm run (state dir exists), median', w, false);
  row('first run, template cached (new state dir), median', median(firsts), true);
  row('first run on this machine (no template yet)', cold, true);
} finally {
  rmSync(work, { recursive: true, force: true });
}
