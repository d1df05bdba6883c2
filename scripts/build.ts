/**
 * Builds dist/ for a published package: the CLI as one ES module entry (`dist/cli/main.js`) plus chunks that commands
 * load on demand. Run by `npm run build` (and so by `npm pack` / `scripts/release.sh` through `prepack`).
 *
 * Why a bundle: a command's start is dominated by resolving and instantiating modules, not by running them. zod,
 * yaml and commander alone are ~170 modules; loaded as a package they cost 3.3× a bare `node -e 0`, bundled a
 * fraction of that (bench/cli-start.ts measures both forms). Only pure-JavaScript libraries every command needs are
 * inlined; everything else (vendor SDKs, PGlite with its WebAssembly files, pino with its worker threads) stays an
 * external import resolved from node_modules at run time, exactly as in a clone.
 *
 * Identifiers are kept (whitespace and syntax minified only) so a stack trace from a user still reads.
 * Usage: node scripts/build.ts [--outdir DIR]   (default dist/cli)
 */
import { rmSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = process.argv.indexOf('--outdir');
const outdir = at > 0 ? (process.argv[at + 1] as string) : `${root}dist/cli`;

/** Inlined: what `--help` and `validate` cannot start without. */
const INLINED = new Set(['zod', 'yaml', 'commander', 'ipaddr.js']);

const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { dependencies: Record<string, string> };
const external = Object.keys(pkg.dependencies)
  .filter((d) => !INLINED.has(d))
  .flatMap((d) => [d, `${d}/*`]);

// Every output file sits in dist/cli/, so the paths code derives from import.meta.url (package.json, the store
// template) are two levels below the package root, as from src/cli/ and src/store/ in a clone.
rmSync(at > 0 ? outdir : `${root}dist`, { recursive: true, force: true });
await build({
  entryPoints: [`${root}src/cli/main.ts`],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external,
  minifySyntax: true,
  minifyWhitespace: true,
  sourcemap: 'linked',
  // commander is CommonJS and requires Node built-ins; an ES module bundle has no `require` of its own.
  banner: {
    js: "import { createRequire as __gatehouseRequire } from 'node:module'; const require = __gatehouseRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
