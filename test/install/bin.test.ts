import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { MIN_NODE, unsupportedNode } from '../../bin/node-check.js';

const BIN = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));
const PKG = fileURLToPath(new URL('../../package.json', import.meta.url));
/** Debian 12's apt Node (20): the one a newcomer meets first. CI runs on such a host. */
const SYSTEM_NODE = '/usr/bin/node';

function run(node: string, args: string[], cwd?: string) {
  return spawnSync(node, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    ...(cwd ? { cwd } : {}),
  });
}

function versionOf(node: string): string {
  return spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
}

describe('bin/gatehouse.js', () => {
  it('accepts the minimum Node and later, refuses earlier ones', () => {
    assert.equal(unsupportedNode(MIN_NODE), undefined);
    assert.equal(unsupportedNode('24.21.0'), undefined);
    assert.equal(unsupportedNode('23.0.0'), undefined);
    assert.match(unsupportedNode('22.17.1') ?? '', /22\.18\.0 or later.*22\.17\.1/);
    assert.match(unsupportedNode('20.20.2') ?? '', /22\.18\.0 or later.*20\.20\.2/);
    assert.match(unsupportedNode('8.0.0') ?? '', /20|22\.18/);
  });

  it('requires the same Node as package.json engines', async () => {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(PKG, 'utf8')) as { engines: { node: string } };
    assert.equal(pkg.engines.node, `>=${MIN_NODE}`);
  });

  const old = existsSync(SYSTEM_NODE) && unsupportedNode(versionOf(SYSTEM_NODE)) !== undefined;
  it(
    'under an old Node prints one clear line and exits non-zero, before importing anything',
    { skip: !old && `no Node older than ${MIN_NODE} at ${SYSTEM_NODE}` },
    () => {
      const r = run(SYSTEM_NODE, ['--help']);
      assert.notEqual(r.status, 0);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0] ?? '', new RegExp(`needs Node\\.js ${MIN_NODE.replaceAll('.', '\\.')} or later`));
      assert.doesNotMatch(r.stderr, /SyntaxError|node:fs\/promises/);
    },
  );

  it('runs from a clone without a build (src through type stripping)', () => {
    const r = run(process.execPath, ['--help']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Usage: gatehouse/);
  });

  it('prints the package version with --version', async () => {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(PKG, 'utf8')) as { version: string };
    const r = run(process.execPath, ['--version']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), pkg.version);
  });
});
