import { buildSync } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A benchmark as the published package would run its code: `entry` and every gatehouse module it imports bundled into
 * one plain JavaScript file (libraries stay imports resolved from node_modules), so the process runs no TypeScript
 * stripping. Node's stripper (swc as WebAssembly) alone adds ~18 MB to a process's RSS that an installed gatehouse,
 * which runs the bundled dist/, never pays. Written under node_modules/.cache, where the libraries resolve.
 * @returns the path of the bundle
 */
export function installedForm(entry: string): string {
  const dir = `${root}node_modules/.cache/gatehouse-bench`;
  mkdirSync(dir, { recursive: true });
  const outfile = `${dir}/${basename(entry, '.ts')}.mjs`;
  buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    packages: 'external',
    // Some libraries are CommonJS and require Node built-ins; an ES module bundle has no `require` of its own.
    banner: {
      js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  return outfile;
}
