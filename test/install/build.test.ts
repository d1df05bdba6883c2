import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { builtPackage } from '../harness/built-package.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The bundled dist/ that a published package runs (scripts/build.ts). The release test runs the quickstart through
 * it; this one loads every file of it, so a chunk only some command reaches (a plugin, the store, serve) cannot ship
 * broken.
 */
describe('npm run build (bundled dist/)', () => {
  let pkg: ReturnType<typeof builtPackage>;
  let dist: string;

  before(() => {
    pkg = builtPackage('gatehouse-build-');
    dist = pkg.dist;
  });
  after(() => pkg?.cleanup());

  it('loads every file it contains', () => {
    // main.js is the command itself (it would parse this process's arguments): run below.
    const files = readdirSync(dist).filter((f) => f.endsWith('.js') && f !== 'main.js');
    assert.ok(files.length > 10, `${files.length} files`);
    const script = `for (const f of ${JSON.stringify(files)}) await import(${JSON.stringify(dist + '/')} + f);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: pkg.dir });
    assert.equal(r.status, 0, r.stderr);
  });

  it('inlines the libraries every command needs and leaves vendor SDKs and PGlite to node_modules', () => {
    const text = readdirSync(dist)
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(dist, f), 'utf8'))
      .join('\n');
    // A static `from "x"`, a dynamic `import("x")`, a `require("x")` or `createRequire(…)("x")` of a package leaves
    // it to node_modules.
    const imports = (name: string) => new RegExp(`(from\\s*|import\\(|require\\d*\\(|\\)\\()"${name}"`).test(text);
    for (const inlined of ['commander', 'yaml', 'zod', 'ipaddr.js'])
      assert.ok(!imports(inlined), `${inlined} is bundled`);
    for (const external of ['@electric-sql/pglite', 'discord.js', 'ldapts', 'pg', 'pino'])
      assert.ok(imports(external), `${external} stays external`);
  });

  it('runs the installed command from dist/, not src/', () => {
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    const r = spawnSync(process.execPath, [pkg.bin, '--version'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), version);
    const check = spawnSync(
      process.execPath,
      [pkg.bin, 'validate', '--config', join(root, 'examples/quickstart/gatehouse.yaml')],
      { encoding: 'utf8' },
    );
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /valid/);
  });
});
