import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeFileAtomic } from './write-file-atomic.ts';

describe('writeFileAtomic', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'gh-atomic-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  it('creates the file and missing directories, mode 0644, no temp file left', async () => {
    const path = join(dir, 'nftables.d', 'gh.nft');
    await writeFileAtomic(path, 'one\n');
    assert.equal(await readFile(path, 'utf8'), 'one\n');
    assert.equal((await stat(path)).mode & 0o777, 0o644 & ~process.umask());
    assert.deepEqual(await readdir(join(dir, 'nftables.d')), ['gh.nft']);
  });

  it('replaces an existing file', async () => {
    const path = join(dir, 'replace.nft');
    await writeFile(path, 'old');
    await writeFileAtomic(path, 'new');
    assert.equal(await readFile(path, 'utf8'), 'new');
  });

  it('leaves the old file and no temp file when the rename fails', async () => {
    const sub = join(dir, 'fail');
    await mkdir(join(sub, 'target.nft', 'occupied'), { recursive: true });
    await assert.rejects(writeFileAtomic(join(sub, 'target.nft'), 'x'));
    assert.deepEqual(await readdir(sub), ['target.nft']);
  });

  it('removes stale temp files of this path left by a killed writer, and nothing else', async () => {
    const sub = join(dir, 'stale');
    await mkdir(sub);
    // A pid that surely runs no process: a child that has exited and been reaped.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const live = process.ppid;
    const minute = 60_000;
    const files: [string, number, boolean][] = [
      // name, age in ms, expected to survive
      [`.gh.nft.${dead}.0123456789ab.tmp`, 5 * minute, false],
      [`.gh.nft.${dead}.00000000000f.tmp`, 5 * 1000, true], // fresh: its writer may be in another pid namespace
      [`.gh.nft.${live}.0123456789ab.tmp`, 5 * minute, true], // its writer is still running
      [`.gh.nft.${live}.abcdefabcdef.tmp`, 2 * 24 * 60 * minute, false], // older than a day: the pid was reused
      [`.other.nft.${dead}.0123456789ab.tmp`, 5 * minute, true], // another file's temp
      [`.gh.nft.${dead}.tmp`, 5 * minute, true], // not our pattern
      ['gh.nft.bak', 5 * minute, true],
    ];
    for (const [name, age] of files) {
      const p = join(sub, name);
      await writeFile(p, 'x');
      const t = new Date(Date.now() - age);
      await utimes(p, t, t);
    }
    await writeFileAtomic(join(sub, 'gh.nft'), 'new\n');
    const want = ['gh.nft', ...files.filter(([, , keep]) => keep).map(([n]) => n)].sort();
    assert.deepEqual((await readdir(sub)).sort(), want);
  });
});
