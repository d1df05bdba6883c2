import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const hook = fileURLToPath(new URL('../harness/record-imports.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gh-imports-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The npm packages and gatehouse source files a CLI run loads. */
function loaded(args: string[]): { packages: string[]; files: string[] } {
  const out = join(dir, `${args.join('_').replace(/\W/g, '')}.txt`);
  const r = spawnSync(process.execPath, ['--import', hook, join(root, 'bin/gatehouse.js'), ...args], {
    env: { ...process.env, GATEHOUSE_RECORD_IMPORTS: out },
    cwd: root,
  });
  assert.equal(r.status, 0, r.stderr.toString());
  const urls = readFileSync(out, 'utf8').split('\n');
  const packages = new Set(
    urls.flatMap((u) => {
      const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u);
      return m?.[1] ? [m[1]] : [];
    }),
  );
  const files = urls.filter((u) => u.includes('/src/')).map((u) => u.slice(u.indexOf('/src/') + 1));
  return { packages: [...packages].sort(), files };
}

// Start time is measured in bench/cli-start.ts; what is tested here is the cause: what a command loads.
describe('the CLI loads only what a command needs', () => {
  it('--help loads the argument parser and no plugin, store or vendor SDK', () => {
    const { packages, files } = loaded(['--help']);
    assert.deepEqual(packages, ['commander']);
    assert.deepEqual(
      files.filter((f) => /^src\/(sources|targets|store|serve|server|engine)/.test(f)),
      [],
    );
  });

  it('validate loads the schemas of the plugins the configuration names, not the others, and no vendor SDK', () => {
    const { packages, files } = loaded(['validate', '--config', 'examples/quickstart/gatehouse.yaml']);
    assert.deepEqual(packages, ['commander', 'ipaddr.js', 'yaml', 'zod']);
    const plugins = files
      .filter((f) => /^src\/(sources|targets)\/[^/]+\//.test(f))
      .map((f) => f.split('/').slice(1, 3).join('/'));
    assert.deepEqual([...new Set(plugins)].sort(), ['sources/geofeed', 'sources/static', 'targets/nftables']);
    assert.ok(
      !files.some((f) => /(^|\/)index\.ts$/.test(f) && /^src\/(sources|targets)\//.test(f)),
      'no implementation',
    );
  });
});
