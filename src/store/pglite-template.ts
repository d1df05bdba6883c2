import {
  chmodSync,
  constants,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A freshly initialised, closed, empty PGlite data directory. Creating the embedded store copies one (well under a
 * second) instead of running initdb in WebAssembly (several seconds). It holds no gatehouse data: migrations run on
 * the copy as on a fresh cluster. Only an optimisation: any problem with it means initialising from scratch.
 *
 * Each is named after the PGlite version (`pglite-<version>/`; a cluster from another version is never used).
 * `where` says whether it came with the package or from the user's cache: a damaged cache template is removed, a
 * shipped one only skipped (it belongs to whoever installed the package).
 */
export interface Template {
  readonly dir: string;
  readonly where: 'shipped' | 'cache';
}

/**
 * The template that comes with the package: `<package root>/.store-template/pglite-<version>/`, made by
 * `scripts/store-template.ts` (npm runs it as `prepare`: on `npm ci`/`npm install` in a clone and before `npm pack`, so
 * a packed release carries it). `$GATEHOUSE_STORE_TEMPLATE_DIR` replaces `<package root>/.store-template` (for tests
 * and packagers).
 */
export function shippedTemplateDir(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.GATEHOUSE_STORE_TEMPLATE_DIR || fileURLToPath(new URL('../../.store-template', import.meta.url));
  return join(root, `pglite-${pgliteVersion()}`);
}

/**
 * The template saved in the user's cache after the first initdb on this machine: `pglite-<version>/` in
 * `$GATEHOUSE_CACHE_DIR`, else `$XDG_CACHE_HOME/gatehouse`, else `~/.cache/gatehouse`.
 */
export function cacheTemplateDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.GATEHOUSE_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'gatehouse');
  return join(dir, `pglite-${pgliteVersion()}`);
}

/**
 * The template to create a store from: the shipped one, else the cached one, whichever exists and may be trusted, or
 * undefined. The copy becomes the store that holds the audit log, so a template is used only when it, every entry in
 * it and its parent directory belong to the current user (or, for the shipped one, to root), none is writable by group
 * or others, and none is a symbolic link.
 */
export function findTemplate(env: NodeJS.ProcessEnv = process.env): Template | undefined {
  const uid = process.getuid?.();
  const shipped = shippedTemplateDir(env);
  if (trusted(shipped, uid === undefined ? undefined : [uid, 0])) return { dir: shipped, where: 'shipped' };
  return cacheTemplate(env);
}

/** The user's cache template, if it exists and may be trusted (see {@link findTemplate}). */
export function cacheTemplate(env: NodeJS.ProcessEnv = process.env): Template | undefined {
  const uid = process.getuid?.();
  const cache = cacheTemplateDir(env);
  return trusted(cache, uid === undefined ? undefined : [uid]) ? { dir: cache, where: 'cache' } : undefined;
}

/**
 * Copies `template` into the existing empty directory `to`: a copy-on-write clone where the filesystem supports it
 * (btrfs, XFS), else a native copy. Throws when it cannot be read. Recreates the empty directories PostgreSQL expects:
 * a packed release (npm pack) drops empty directories.
 */
export function copyTemplate(template: Template, to: string): void {
  cpSync(template.dir, to, { recursive: true, force: false, errorOnExist: true, mode: constants.COPYFILE_FICLONE });
  for (const sub of EMPTY_DIRS) mkdirSync(join(to, sub), { recursive: true, mode: 0o700 });
}

/** Removes a template that failed, if it is the user's cache (a shipped one is left to its installer). Never throws. */
export function discardTemplate(template: Template): void {
  if (template.where === 'cache') rmSync(template.dir, { recursive: true, force: true });
}

/**
 * Saves a copy of the closed, freshly initialised data directory `dataDir` as the user's cache template (see
 * {@link publishTemplate}). Never throws: a cache that cannot be written is no cache.
 */
export async function saveCacheTemplate(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const target = cacheTemplateDir(env);
  if (existsSync(target)) return;
  try {
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    await publishTemplate(target, (tmp) => cpSync(dataDir, tmp, { recursive: true }));
  } catch {
    // The template is an optimisation only.
  }
}

/**
 * Makes the template `target` with `fill`, which writes a data directory into the path it is given: a temporary
 * directory beside `target`, so a reader never sees a partial template. Then removes write access for group and others
 * from every entry and renames it into place. Resolves false when another process put a template there first (its
 * copy is kept, ours discarded); rejects when `fill` or the rename fails otherwise, leaving nothing behind.
 */
export async function publishTemplate(target: string, fill: (tmp: string) => unknown): Promise<boolean> {
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    await fill(tmp);
    // PGlite creates its files 0666; a template must not be writable by others (see findTemplate).
    restrict(tmp);
    renameSync(tmp, target);
    return true;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw e;
  }
}

function restrict(path: string): void {
  const st = lstatSync(path);
  chmodSync(path, st.mode & 0o7755);
  if (st.isDirectory()) for (const name of readdirSync(path)) restrict(join(path, name));
}

/** Whether `dir` (a data directory: holds PG_VERSION) and its parent pass the rule of {@link findTemplate}. */
function trusted(dir: string, owners: readonly number[] | undefined): boolean {
  const ok = (path: string): boolean => {
    const st = lstatSync(path);
    return !st.isSymbolicLink() && (owners === undefined || owners.includes(st.uid)) && (st.mode & 0o022) === 0;
  };
  const walk = (path: string): boolean => {
    if (!ok(path)) return false;
    if (!lstatSync(path).isDirectory()) return true;
    return readdirSync(path).every((name) => walk(join(path, name)));
  };
  try {
    return lstatSync(join(dir, 'PG_VERSION')).isFile() && ok(dirname(dir)) && walk(dir);
  } catch {
    return false;
  }
}

/** The directories initdb creates empty (PostgreSQL 17, as PGlite 0.5 runs it). */
const EMPTY_DIRS = [
  'pg_commit_ts',
  'pg_dynshmem',
  'pg_logical/mappings',
  'pg_logical/snapshots',
  'pg_notify',
  'pg_replslot',
  'pg_serial',
  'pg_snapshots',
  'pg_stat',
  'pg_stat_tmp',
  'pg_tblspc',
  'pg_twophase',
  'pg_wal/archive_status',
  'pg_wal/summaries',
];

let version: string | undefined;
/** The installed PGlite's version, which names its templates. */
export function pgliteVersion(): string {
  // The package exports no version; its package.json sits one level above dist/.
  version ??= (
    JSON.parse(
      readFileSync(
        join(dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite'))), '..', 'package.json'),
        'utf8',
      ),
    ) as { version: string }
  ).version;
  return version;
}
