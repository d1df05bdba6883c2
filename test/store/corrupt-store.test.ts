import assert from 'node:assert/strict';
import {
  closeSync,
  cpSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeError, GatehouseError } from '../../src/core/errors.ts';
import { openStore } from '../../src/store/index.ts';
import { event } from './backends.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'gatehouse-corrupt-'));
  dirs.push(d);
  return d;
};

/** Overwrites the first 8 KiB (one PostgreSQL page) of `file` with a byte pattern no page or WAL record has. */
function scribble(file: string): void {
  const length = Math.min(statSync(file).size, 8192);
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(length, 0x5a), 0, length, 0);
  } finally {
    closeSync(fd);
  }
}

/** Every file under `dir`. */
function files(dir: string): Set<string> {
  const found = new Set<string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) found.add(join(entry.parentPath, entry.name));
  return found;
}

describe('a corrupted PGlite store', () => {
  let template = '';
  before(async () => {
    template = tempDir();
    const store = await openStore({ stateDir: template });
    await store.audit.append([event(1), event(2)]);
    await store.close();
  });
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const damages: Record<string, (pglite: string) => void> = {
    'a truncated control file': (pg) => truncateSync(join(pg, 'global', 'pg_control'), 10),
    'scribbled write-ahead log': (pg) => {
      for (const f of readdirSync(join(pg, 'pg_wal'))) if (/^[0-9A-F]{24}$/.test(f)) scribble(join(pg, 'pg_wal', f));
    },
    'scribbled table pages': (pg) => {
      for (const db of readdirSync(join(pg, 'base')))
        for (const f of readdirSync(join(pg, 'base', db))) {
          const file = join(pg, 'base', db, f);
          if (/^\d+$/.test(f) && Number(f) >= 16384 && statSync(file).size > 0) scribble(file);
        }
    },
  };

  for (const [damage, apply] of Object.entries(damages))
    it(`${damage}: STORE_CORRUPT naming the directory and what to do; nothing removed`, async () => {
      const stateDir = tempDir();
      cpSync(template, stateDir, { recursive: true });
      const pglite = join(stateDir, 'pglite');
      apply(pglite);
      const before = files(pglite);
      await assert.rejects(openStore({ stateDir }), (e: unknown) => {
        assert.ok(e instanceof GatehouseError && e.code === 'STORE_CORRUPT', describeError(e));
        assert.equal(e.terminal, true);
        const shown = describeError(e); // what the CLI prints
        assert.ok(shown.includes(pglite), shown);
        assert.match(shown, /damaged/);
        assert.match(shown, /move .* aside/);
        assert.match(shown, /backup/);
        assert.match(shown, /audit log/);
        assert.doesNotMatch(shown, /ASSERTIONS|Aborted\(\)/);
        return true;
      });
      // PostgreSQL itself may write while it runs (checkpoints); gatehouse must not remove or move anything.
      const afterwards = files(pglite);
      assert.deepEqual(
        [...before].filter((path) => !afterwards.has(path)),
        [],
        'every file of the damaged store is still there',
      );
      // The lock was released: a second try reports the same, not STORE_LOCKED.
      await assert.rejects(
        openStore({ stateDir }),
        (e: unknown) => e instanceof GatehouseError && e.code === 'STORE_CORRUPT',
      );
    });
});
