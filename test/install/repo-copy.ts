import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root of this checkout. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The Node that runs gatehouse in tests (the pinned dev dependency, Node 24). */
export const NODE = process.execPath;

/**
 * Copies the checkout's tracked and untracked-but-not-ignored files into a fresh temp directory, as a clone would have
 * them (with uncommitted edits), makes it a git repository with one commit so `git status` shows what a command wrote,
 * and links the shared `node_modules`. Returns the copy's path and a cleanup function.
 */
export function copyRepo(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    if (file === 'node_modules') continue;
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    // A file deleted in the worktree but still in the index is absent: a clone of the edited tree lacks it too.
    try {
      cpSync(join(ROOT, file), join(dir, file));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  git(dir, ['init', '-q']);
  writeFileSync(join(dir, '.git/info/exclude'), 'node_modules\n');
  git(dir, ['add', '-A']);
  git(dir, ['-c', 'user.name=test', '-c', 'user.email=test@localhost', 'commit', '-qm', 'copy']);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs git in `dir` and returns its stdout; throws on failure. */
export function git(dir: string, args: string[]): string {
  const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}
