import { open, rename, stat, unlink, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { stageFile } from '../../adapters/write-file-atomic.ts';
import { compiledSuffix, type MapType } from './config.ts';
import { postmap, type PostfixTools } from './postmap.ts';

/**
 * Makes `content` the live table at `path`, or leaves the live table untouched.
 *
 * The source file is staged (`stageFile`: written and fsynced under a temporary name beside the table, same file
 * system, so renames are atomic) and, for compiled types, compiled there by `postmap`. Only when postmap succeeded does the compiled file replace the live
 * one by rename, then the source file; a failing postmap removes the temporary files and throws its message.
 *
 * Why not delete and rebuild: smtpd answers `451 Temporary lookup failure` while the compiled file is missing, until
 * a reload. Why the mtime: smtpd notices a changed table through its mtime in whole seconds, so two tables written
 * within one second could leave the older one in use; the new file gets a modification time strictly newer than the
 * one it replaces.
 *
 * @param mode of the source file (before umask); postmap gives the compiled file the same. 0644: smtpd reads it.
 * @throws GatehouseError TARGET_FAILED from postmap; fs errors as they are.
 */
export async function installTable(
  path: string,
  type: MapType,
  content: string,
  tools: PostfixTools,
  signal: AbortSignal,
  mode = 0o644,
): Promise<void> {
  const dir = dirname(path);
  // Written and fsynced under a dot-prefixed temporary name beside the table: a glob in main.cf or a backup job never
  // picks up a half-built table, and stale temporaries of a killed run are removed.
  const staged = await stageFile(path, content, mode);
  const tmp = staged.tempPath;
  const suffix = compiledSuffix(type);
  const cleanup = async () => {
    await staged.abort();
    if (suffix) {
      await unlink(tmp + suffix).catch(() => {});
      // Berkeley DB (hash, btree) builds into `__db.NAME.db` first; a failed postmap can leave it behind.
      await unlink(join(dir, `__db.${basename(tmp)}${suffix}`)).catch(() => {});
    }
  };
  try {
    if (suffix) {
      await postmap(tools, [`${type}:${tmp}`], signal);
      await syncFile(tmp + suffix);
      await newerThanLive(tmp + suffix, path + suffix);
      await rename(tmp + suffix, path + suffix);
    }
  } catch (e) {
    await cleanup();
    throw e;
  }
  // Renames the source file over the table and fsyncs the directory.
  await staged.commit();
}

async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Gives `next` a modification time in a later whole second than `live`'s, if `live` exists. */
async function newerThanLive(next: string, live: string): Promise<void> {
  const old = await stat(live).catch(() => undefined);
  if (!old) return;
  const cur = await stat(next);
  const oldSecond = Math.floor(old.mtimeMs / 1000);
  if (Math.floor(cur.mtimeMs / 1000) > oldSecond) return;
  await utimes(next, cur.atime, new Date((oldSecond + 1) * 1000));
}
