/**
 * CLI start benchmark (issue 12, goal 5). Run: `node_modules/.bin/node bench/cli-start.ts`.
 *
 * Times whole processes, wall clock from spawn to exit: the floor `node -e 0`, then `gatehouse --help` and
 * `gatehouse validate` on examples/quickstart, each in two forms: as an installed package runs it (`bin/gatehouse.js`
 * → the bundled `dist/`, built here by `scripts/build.ts` into a temporary package directory) and as a clone runs it
 * (`bin/gatehouse.js` → `src/` through Node's type stripping). Runs are interleaved (floor, help, validate, floor, …)
 * so load on the machine hits all alike; each figure is the median of REPS runs after one warm-up run of each (the
 * warm-up fills Node's compile cache, as any earlier run of gatehouse on the host would). The cold figure is one run
 * with the compile cache disabled. Goal: the installed form ≤ 4× the floor.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { builtPackage } from '../test/harness/built-package.ts';

const REPS = Number(process.env.REPS ?? 15);
const GOAL = 4;
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = `${root}bin/gatehouse.js`;
const quickstart = `${root}examples/quickstart/gatehouse.yaml`;

// The installed form: what `npm pack` ships (bin/, dist/, package.json) beside the dependencies.
const pkg = builtPackage('gatehouse-cli-start-');
process.on('exit', pkg.cleanup);
const installed = pkg.bin;

/** Rows with a verdict: the installed form is the goal; the clone's figures are shown for comparison. */
const GOALS = new Set([1, 2]);
const cases: { name: string; args: string[] }[] = [
  { name: 'node -e 0 (floor)', args: ['-e', '0'] },
  { name: 'gatehouse --help (installed package)', args: [installed, '--help'] },
  { name: 'gatehouse validate (installed package)', args: [installed, 'validate', '--config', quickstart] },
  { name: 'gatehouse --help (clone, src/)', args: [bin, '--help'] },
  { name: 'gatehouse validate (clone, src/)', args: [bin, 'validate', '--config', quickstart] },
  // Not a goal: what importing the three libraries validate cannot do without costs by itself, for scale.
  {
    name: 'import commander, yaml, zod',
    args: [
      '--input-type=module',
      '-e',
      "(await import('node:module')).enableCompileCache(); await import('commander'); await import('yaml'); await import('zod');",
    ],
  },
];

function run(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { env, cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const cold = cases.map((c) => run(c.args, { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' }));
for (const c of cases) run(c.args);
const samples = cases.map(() => [] as number[]);
for (let i = 0; i < REPS; i++) cases.forEach((c, j) => samples[j]?.push(run(c.args)));

const floor = median(samples[0] ?? []);
process.stdout.write(`CLI start, median of ${REPS} interleaved runs (goal: ≤ ${GOAL}× the floor)\n`);
cases.forEach((c, j) => {
  const ms = median(samples[j] ?? []);
  const ratio = ms / floor;
  const verdict = !GOALS.has(j) ? '' : ratio <= GOAL ? '  met' : '  NOT met';
  process.stdout.write(
    `  ${c.name.padEnd(40)} ${ms.toFixed(0).padStart(5)} ms  ${ratio.toFixed(2)}×${verdict}` +
      `   (no compile cache: ${(cold[j] ?? 0).toFixed(0)} ms)\n`,
  );
});
