import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * This checkout laid out as an installed package runs it: `bin/`, `package.json` and a `dist/` built by
 * `scripts/build.ts`, beside this checkout's `node_modules` (a link), in a new temporary directory. No `src/`, so
 * `bin/gatehouse.js` runs the bundle. Throws with the build's stderr when the build fails.
 */
export function builtPackage(prefix: string): { dir: string; bin: string; dist: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    mkdirSync(join(dir, 'bin'));
    for (const f of ['gatehouse.js', 'node-check.js']) cpSync(join(root, 'bin', f), join(dir, 'bin', f));
    cpSync(join(root, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    const dist = join(dir, 'dist/cli');
    const r = spawnSync(process.execPath, [join(root, 'scripts/build.ts'), '--outdir', dist], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`scripts/build.ts failed: ${r.stderr}`);
    return { dir, bin: join(dir, 'bin/gatehouse.js'), dist, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}
