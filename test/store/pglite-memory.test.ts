import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/index.ts';

const PEAK = fileURLToPath(new URL('./store-peak.ts', import.meta.url));
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'gatehouse-memory-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the embedded store keeps its memory small', () => {
  it('runs PostgreSQL with buffers sized for a small store, not the server defaults', async () => {
    const store = await openStore({ stateDir: tempDir() });
    try {
      const setting = async (name: string) =>
        (await store.db.query<{ setting: string }>(`SELECT current_setting('${name}') AS setting`)).rows[0]?.setting;
      assert.equal(await setting('shared_buffers'), '8MB');
      // The store serves one session: a lock table and process slots for 100 connections are memory never used.
      assert.equal(await setting('max_connections'), '5');
    } finally {
      await store.close();
    }
  });

  it('a process that opens the store, writes a snapshot of 50 000 prefixes and closes it peaks under 300 MB', async () => {
    const stateDir = tempDir();
    await (await openStore({ stateDir })).close();
    const peakKb = Number(execFileSync(process.execPath, [PEAK, stateDir, '50000'], { encoding: 'utf8' }));
    assert.ok(peakKb > 0, `peak ${peakKb}`);
    // Measured 183–204 MB here; 375–907 MB with the server-default buffers and V8 optimising the WebAssembly. The bound
    // leaves room for machines whose allocator or thread count differ, and still catches either regression.
    assert.ok(peakKb <= 300 * 1024, `peak RSS ${(peakKb / 1024).toFixed(0)} MB`);
  });
});
