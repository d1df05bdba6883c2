import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { copyRepo, git } from '../install/repo-copy.ts';
import { parseTourRun, tourScript, tourSteps, type TourStep } from './tour.ts';

describe("the README's tour", () => {
  it('is found and annotated: a stale-plan refusal, a guard, and a config error', () => {
    const steps = tourSteps(readFileSync(new URL('../../README.md', import.meta.url), 'utf8'));
    assert.ok(steps.length >= 10, `${steps.length} commands`);
    assert.ok(steps.some((s) => s.exit === 1 && s.shows === 'PLAN_STALE' && /apply .*plan/.test(s.command)));
    assert.ok(steps.some((s) => s.exit === 3 && /apply/.test(s.command)));
    // Nothing is written into the clone: every file the tour writes is under the temporary directory.
    for (const s of steps) assert.doesNotMatch(s.command, /(--out|>)\s+(?!"\$tour)/, `line ${s.line}: ${s.command}`);
  });

  it('parses annotations and frames a run per step', () => {
    const steps = tourSteps(
      '<!-- tour:begin -->\n```sh\nx=1\n# note\ntrue # fine → exit 0\nfalse # → exit 1, shows "E"\n```\n<!-- tour:end -->',
    );
    assert.deepEqual(
      steps.map((s) => [s.command, s.exit, s.shows]),
      [
        ['x=1', 0, undefined],
        ['true # fine → exit 0', 0, undefined],
        ['false # → exit 1, shows "E"', 1, 'E'],
      ],
    );
    const r = spawnSync('bash', ['-c', tourScript([...steps, { line: 9, command: 'echo "$x"; exit 5', exit: 0 }])], {
      encoding: 'utf8',
    });
    const run = parseTourRun(r.stdout);
    assert.deepEqual([...run.keys()], [0, 1, 2]);
    assert.equal(run.get(2)?.exit, 1);
  });

  describe('run as written on a copy of the repository', () => {
    let copy: { dir: string; cleanup: () => void };
    let tmp: string;
    let compileCache: string;
    let steps: TourStep[];
    let run: Map<number, { exit: number; output: string }>;
    let output: string;
    let statusBefore: string;

    before(() => {
      copy = copyRepo('gatehouse-tour-');
      tmp = mkdtempSync(join(tmpdir(), 'gatehouse-tour-tmp-'));
      compileCache = mkdtempSync(join(tmpdir(), 'gatehouse-tour-compile-cache-'));
      steps = tourSteps(readFileSync(join(copy.dir, 'README.md'), 'utf8'));
      // The README says `npm run demo` first: the tour must not pick up the demo's state or output.
      const demo = spawnSync('npm', ['run', '-s', 'demo'], { cwd: copy.dir, encoding: 'utf8' });
      assert.equal(demo.status, 0, demo.stderr);
      statusBefore = git(copy.dir, ['status', '--porcelain', '--ignored']);
      const r = spawnSync('bash', ['-c', tourScript(steps)], {
        cwd: copy.dir,
        encoding: 'utf8',
        // TMPDIR: the tour's mktemp lands where this test can check it was cleaned up.
        // NODE_COMPILE_CACHE: the launcher's compile cache (default under TMPDIR) is Node's, kept apart from the tour's.
        env: { ...process.env, TMPDIR: tmp, NODE_COMPILE_CACHE: compileCache, NO_COLOR: '1', GATEHOUSE_CONFIG: '' },
        timeout: 300_000,
      });
      output = r.stdout;
      run = parseTourRun(r.stdout);
    });
    after(() => {
      copy?.cleanup();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      if (compileCache) rmSync(compileCache, { recursive: true, force: true });
    });

    it('every command exits as annotated and shows what it promises', () => {
      const wrong: string[] = [];
      steps.forEach((s, i) => {
        const got = run.get(i);
        if (!got) wrong.push(`README.md:${s.line}: did not finish: ${s.command}`);
        else if (got.exit !== s.exit)
          wrong.push(`README.md:${s.line}: exit ${got.exit}, expected ${s.exit}: ${s.command}\n${got.output}`);
        else if (s.shows !== undefined && !got.output.includes(s.shows))
          wrong.push(`README.md:${s.line}: output lacks "${s.shows}": ${s.command}\n${got.output}`);
      });
      assert.deepEqual(wrong, [], output.slice(-2000));
    });

    it('leaves the clone clean (git status) and removes its temporary directory', () => {
      assert.equal(git(copy.dir, ['status', '--porcelain']), '');
      // --ignored: writing into an ignored path (.gatehouse/, out/) of the clone counts too.
      assert.equal(git(copy.dir, ['status', '--porcelain', '--ignored']), statusBefore);
      assert.deepEqual(readdirSync(tmp), []);
    });
  });
});
