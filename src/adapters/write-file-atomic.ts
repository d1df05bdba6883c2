import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A file written and fsynced under a temporary name, not yet visible at its path. */
export interface StagedFile {
  /**
   * Where the content is until `commit`: beside the final path, so a tool can build derived files from it there (as
   * postmap compiles a table) before anything goes live.
   */
  readonly tempPath: string;
  /** Renames it over the path and fsyncs the directory: readers see the old file or the new one, never a mix. */
  commit(): Promise<void>;
  /** Removes the temporary file; the path is untouched. Never throws. */
  abort(): Promise<void>;
}

/**
 * Writes `content` to a temp file in the directory of `path` and fsyncs it, without touching `path`. Lets the caller
 * do the slow part (writing, fsync) while something else runs, and decide afterwards whether the file goes live.
 *
 * The temp name starts with `.` and ends in `.tmp`, so a glob (`include "/etc/nftables.d/*.nft"`, a table list in
 * main.cf, a backup job) never picks up a half-written file. Creates missing parent directories. On failure the temp file is removed. Stale temp files of the
 * same path left by a writer that was killed are removed first (see {@link removeStaleTemps}).
 *
 * @param mode permissions of the new file (before umask).
 */
export async function stageFile(path: string, content: string, mode = 0o644): Promise<StagedFile> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  await removeStaleTemps(dir, basename(path));
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const abort = () => unlink(tmp).catch(() => {});
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(content, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (e) {
    await abort();
    throw e;
  }
  return {
    tempPath: tmp,
    abort,
    async commit() {
      try {
        await rename(tmp, path);
      } catch (e) {
        await abort();
        throw e;
      }
      const d = await open(dir, 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    },
  };
}

/**
 * Replaces `path` with `content` so that a reader (nftables at boot, after a crash or power loss) sees either the old
 * file or the new one: {@link stageFile}, then commit. On failure `path` is untouched.
 *
 * @throws the underlying fs error.
 */
export async function writeFileAtomic(path: string, content: string, mode = 0o644): Promise<void> {
  await (await stageFile(path, content, mode)).commit();
}

/** A temp file whose writer is gone is left alone this long, in case that writer runs in another pid namespace. */
const FRESH_MS = 60_000;
/** Older than this, a temp file is stale whoever has its pid now: no write takes a day, so the pid was reused. */
const ANCIENT_MS = 24 * 60 * 60_000;

/**
 * Removes `.<base>.<pid>.<hex>.tmp` files in `dir` that a killed writer left behind: only names {@link stageFile}
 * makes for this very path, and only stale ones: the pid runs no process and the file is over a minute old, or the
 * file is over a day old. A concurrent writer's file (its pid is alive, or it is fresh) is never touched. Never throws:
 * a leftover costs disk space, not correctness.
 */
export async function removeStaleTemps(dir: string, base: string, now = Date.now()): Promise<void> {
  const pattern = new RegExp(`^\\.${escapeRegExp(base)}\\.(\\d+)\\.[0-9a-f]{12}\\.tmp$`);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = pattern.exec(name)?.[1];
    if (pid === undefined) continue;
    const file = join(dir, name);
    try {
      const age = now - (await stat(file)).mtimeMs;
      if (age > ANCIENT_MS || (age > FRESH_MS && !running(Number(pid)))) await unlink(file);
    } catch {
      // Gone already (another writer cleaned it) or not ours to remove: either way nothing to do.
    }
  }
}

function running(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
