import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `path` with `content` so that a reader (nftables at boot, after a crash or power loss) sees either the old
 * file or the new one, never a mix: write a temp file in the same directory, fsync it, rename it over `path`, fsync the
 * directory so the rename itself is durable. Creates missing parent directories.
 *
 * The temp name starts with `.` and ends in `.tmp`, so an `include "/etc/nftables.d/*.nft"` glob never loads a
 * half-written file. On failure the temp file is removed and `path` is untouched.
 *
 * @param mode permissions of the new file (before umask); 0644: nftables runs as root, and the addresses are no secret.
 * @throws the underlying fs error.
 */
export async function writeFileAtomic(path: string, content: string, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(content, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
