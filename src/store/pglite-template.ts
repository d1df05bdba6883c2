import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';

/**
 * A freshly initialised, empty PGlite cluster, kept as a tarball in the user's cache directory so that creating the
 * embedded store for another state dir unpacks it (about a second) instead of running initdb (several seconds). It holds
 * no gatehouse data: migrations run on the copy as on a fresh cluster. Only an optimisation: any problem reading or
 * writing it means initialising from scratch, as without it.
 *
 * The file is named after the PGlite version (a cluster from another version is never used) and lives in
 * `$GATEHOUSE_CACHE_DIR`, else `$XDG_CACHE_HOME/gatehouse`, else `~/.cache/gatehouse`. It is used only when the
 * current user owns it and nobody else can write it or its directory: the copy becomes the store that holds the audit
 * log.
 */
export function templateFile(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.GATEHOUSE_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'gatehouse');
  return join(dir, `pglite-${pgliteVersion()}.tar.gz`);
}

/** The template's bytes, or undefined when there is none this process may trust (see {@link templateFile}). */
export function readTemplate(file: string): Blob | undefined {
  try {
    if (!private_(file) || !private_(dirname(file))) return undefined;
    return new Blob([readFileSync(file)]);
  } catch {
    return undefined;
  }
}

/** Saves the cluster `pg` holds as the template; never throws (a cache that cannot be written is no cache). */
export async function saveTemplate(pg: PGlite, file: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const dump = Buffer.from(await (await pg.dumpDataDir('gzip')).arrayBuffer());
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, dump);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}

/** Drops a template that failed to load, so the next store is initialised from scratch and saves a good one. */
export function discardTemplate(file: string): void {
  rmSync(file, { force: true });
}

function private_(path: string): boolean {
  const st = statSync(path);
  const uid = process.getuid?.();
  return (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0;
}

let version: string | undefined;
function pgliteVersion(): string {
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
