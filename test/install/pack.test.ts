import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { copyRepo } from './repo-copy.ts';

interface PackResult {
  name: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

/** The embedded store's empty data directory, made by `prepare` (scripts/store-template.ts). */
const TEMPLATE = /^\.store-template\/pglite-[\w.-]+\/.+/;

/**
 * What a published package may contain: the CLI, its build, the deploy files, the example's inputs, the docs, the store
 * template.
 */
const ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^bin\/[\w.-]+\.(js|d\.ts)$/,
  /^dist\/.+\.(js|d\.ts|js\.map|d\.ts\.map)$/,
  /^deploy\/.+/,
  /^docs\/.+\.md$/,
  /^examples\/[\w-]+\/(conf\.d\/)?[\w-]+\.(yaml|csv)$/,
  TEMPLATE,
];

describe('npm pack', () => {
  let copy: { dir: string; cleanup: () => void };
  let pack: PackResult;

  before(() => {
    copy = copyRepo('gatehouse-pack-');
    // The demo leaves its database, audit log and rendered include file inside examples/: they must not ship.
    const demo = spawnSync('npm', ['run', '-s', 'demo'], { cwd: copy.dir, encoding: 'utf8' });
    assert.equal(demo.status, 0, demo.stderr);
    assert.ok(existsSync(join(copy.dir, 'examples/quickstart/.gatehouse')), 'the demo created its state');
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--loglevel=error'], {
      cwd: copy.dir,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(r.status, 0, r.stderr);
    pack = (JSON.parse(r.stdout) as PackResult[])[0]!;
  });
  after(() => copy?.cleanup());

  it('is named gatehouse-reconciler (the npm name gatehouse is an unrelated package) and installs the gatehouse command', () => {
    assert.equal(pack.name, 'gatehouse-reconciler');
    const pkg = JSON.parse(readFileSync(join(copy.dir, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    assert.deepEqual(Object.keys(pkg.bin), ['gatehouse']);
  });

  it('contains only the CLI, its build, deploy files, example inputs, docs and the licence', () => {
    const stray = pack.files.map((f) => f.path).filter((p) => !ALLOWED.some((re) => re.test(p)));
    assert.deepEqual(stray, []);
    const paths = new Set(pack.files.map((f) => f.path));
    for (const needed of [
      'LICENSE',
      'bin/gatehouse.js',
      'bin/node-check.js',
      'dist/cli/main.js',
      'examples/quickstart/gatehouse.yaml',
    ])
      assert.ok(paths.has(needed), `${needed} is packed`);
    assert.ok(
      !pack.files.some((f) => /\.test\.js$|(^|\/)(\.gatehouse|out)\//.test(f.path)),
      'no tests, state or demo output',
    );
  });

  it('carries the store template npm ran prepare to make, one PGlite version of it', () => {
    const template = pack.files.filter((f) => TEMPLATE.test(f.path));
    assert.ok(
      template.some((f) => /^\.store-template\/pglite-[\w.-]+\/PG_VERSION$/.test(f.path)),
      'PG_VERSION',
    );
    assert.ok(template.length > 900, `${template.length} files`);
    assert.equal(new Set(template.map((f) => f.path.split('/')[1])).size, 1);
  });

  it('has a sane size', () => {
    // The store template is an empty PostgreSQL cluster: about 40 MB of mostly zeroed pages, 4.5 MB packed.
    const template = pack.files.filter((f) => TEMPLATE.test(f.path)).reduce((n, f) => n + f.size, 0);
    assert.ok(template < 48 * 1024 * 1024, `template unpacked ${template} bytes`);
    assert.ok(pack.size < 6 * 1024 * 1024, `packed ${pack.size} bytes`);
    assert.ok(pack.unpackedSize - template < 4 * 1024 * 1024, `unpacked ${pack.unpackedSize - template} bytes`);
  });

  it('carries the Apache-2.0 licence it declares', () => {
    const pkg = JSON.parse(readFileSync(join(copy.dir, 'package.json'), 'utf8')) as { license: string };
    assert.equal(pkg.license, 'Apache-2.0');
    const text = readFileSync(join(copy.dir, 'LICENSE'), 'utf8');
    assert.match(text, /Apache License\s+Version 2\.0, January 2004/);
    assert.match(text, /END OF TERMS AND CONDITIONS/);
  });
});
