import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
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
});
