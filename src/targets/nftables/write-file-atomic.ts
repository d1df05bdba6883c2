import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A file written and fsynced under a temporary name, not yet visible at its path. */
export interface StagedFile {
  /** Renames it over the path and fsyncs the directory: readers see the old file or the new one, never a mix. */
  commit(): Promise<void>;
  /** Removes the temporary file; the path is untouched. Never throws. */
  abort(): Promise<void>;
}

/**
 * Writes `content` to a temp file in the directory of `path` and fsyncs it, without touching `path`. Lets the caller
 * do the slow part (writing, fsync) while something else runs, and decide afterwards whether the file goes live.
 *
 * The temp name starts with `.` and ends in `.tmp`, so an `include "/etc/nftables.d/*.nft"` glob never loads a
 * half-written file. Creates missing parent directories. On failure the temp file is removed.
 *
 * @param mode permissions of the new file (before umask); 0644: nftables runs as root, and the addresses are no secret.
 */
export async function stageFile(path: string, content: string, mode = 0o644): Promise<StagedFile> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
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
