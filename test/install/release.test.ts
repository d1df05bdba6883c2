import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { copyRepo } from './repo-copy.ts';

describe('release tarball (scripts/release.sh)', () => {
  let copy: { dir: string; cleanup: () => void };
  let opt: string;
  let home: string;
  let version: string;

  before(() => {
    copy = copyRepo('gatehouse-release-');
    opt = mkdtempSync(join(tmpdir(), 'gatehouse-opt-'));
    const r = spawnSync('sh', ['scripts/release.sh', '--out', join(opt, 'out')], { cwd: copy.dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    version = (JSON.parse(readFileSync(join(copy.dir, 'package.json'), 'utf8')) as { version: string }).version;
    const tarball = join(opt, 'out', `gatehouse-${version}-linux-x64.tar.gz`);
    assert.equal(r.stdout.trim(), tarball);
    const x = spawnSync('tar', ['-xzf', tarball, '-C', opt], { encoding: 'utf8' });
    assert.equal(x.status, 0, x.stderr);
    home = join(opt, `gatehouse-${version}-linux-x64`);
  });
  after(() => {
    copy?.cleanup();
    if (opt) rmSync(opt, { recursive: true, force: true });
  });

  /** Runs the unpacked wrapper with a PATH holding only the system's (possibly too old) Node, as on a Debian host. */
  function gatehouse(args: string[]) {
    return spawnSync(join(home, 'bin/gatehouse'), args, {
      cwd: opt,
      encoding: 'utf8',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', NO_COLOR: '1', HOME: opt },
    });
  }

  it('runs gatehouse --version with the bundled Node', () => {
    const r = gatehouse(['--version']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), version);
  });

  it('validates the quickstart it ships', () => {
    const r = gatehouse(['validate', '--config', join(home, 'lib/gatehouse/examples/quickstart/gatehouse.yaml')]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('applies the quickstart with the bundled CLI, its store made from the shipped template', () => {
    const config = join(home, 'lib/gatehouse/examples/quickstart/gatehouse.yaml');
    const first = gatehouse(['apply', '--config', config, '--auto-approve']);
    assert.equal(first.status, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /applied/);
    const again = gatehouse(['apply', '--config', config, '--auto-approve']);
    assert.equal(again.status, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /Nothing to apply/);
    const audit = gatehouse(['audit', '--verify', '--config', config]);
    assert.equal(audit.status, 0, audit.stdout + audit.stderr);
    assert.match(audit.stdout, /intact/);
    // Without the shipped template the store is initialised from scratch and a template saved under $HOME/.cache.
    assert.ok(!existsSync(join(opt, '.cache/gatehouse')), 'no template was made: the shipped one was found');
  });

  it('carries the systemd units, the install guide and production dependencies only', () => {
    for (const f of [
      'lib/gatehouse/deploy/systemd/gatehouse-nftables.service',
      'lib/gatehouse/deploy/systemd/gatehouse-nftables.timer',
      'lib/gatehouse/deploy/systemd/gatehouse.sysusers.conf',
      'lib/gatehouse/deploy/systemd/gatehouse.tmpfiles.conf',
      'lib/gatehouse/deploy/nftables/nftables.conf',
      'lib/gatehouse/docs/install.md',
      'lib/gatehouse/LICENSE',
      'lib/gatehouse/dist/cli/main.js',
      'lib/gatehouse/node_modules/commander/package.json',
      'node/bin/node',
    ])
      assert.ok(existsSync(join(home, f)), f);
    for (const f of ['lib/gatehouse/src', 'lib/gatehouse/node_modules/typescript', 'lib/gatehouse/node_modules/eslint'])
      assert.ok(!existsSync(join(home, f)), `${f} is not shipped`);
  });
});
