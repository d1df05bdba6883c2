import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './repo-copy.ts';

/** Runs the same runner invocation `npm test` uses (scripts/run-tests.sh) over one fixture file. */
function runTests(fixture: string, ci: string | undefined) {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
  delete env.CI;
  delete env.NODE_TEST_CONTEXT; // a nested runner must report for itself, not to this one
  if (ci !== undefined) env.CI = ci;
  return spawnSync('sh', [join(ROOT, 'scripts/run-tests.sh'), `test/install/fixtures/${fixture}`], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
  });
}

describe('skipped tests in CI', () => {
  it('fail the run when CI=true, naming the skipped test, and the runner summary is still printed', () => {
    const r = runTests('one-skip.fixture.ts', 'true');
    assert.notEqual(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /ℹ skipped 1/);
    assert.match(r.stderr, /needs something this machine lacks/);
    assert.match(r.stderr, /no such thing here/);
  });

  it('pass the run without CI', () => {
    const r = runTests('one-skip.fixture.ts', undefined);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /ℹ skipped 1/);
  });

  it('do not fail a CI run that skips nothing', () => {
    const r = runTests('no-skip.fixture.ts', 'true');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /ℹ pass 1/);
  });

  it('CI=false is not CI', () => {
    const r = runTests('one-skip.fixture.ts', 'false');
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});
