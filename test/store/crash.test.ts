import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore, verifyAuditLog, type StoreOptions } from '../../src/store/index.ts';
import { startPostgres, type PostgresServer } from '../harness/postgres.ts';

const LOOP = fileURLToPath(new URL('./append-loop.ts', import.meta.url));

interface Round {
  readonly ready: boolean;
  /** Seqs the child printed, i.e. saw committed, before it died. */
  readonly seqs: number[];
}

/**
 * Runs the append loop in a child process and SIGKILLs it: after it printed `minSeqs` committed seqs plus a random
 * 0–150 ms (so the kill lands at varying points of a transaction), or after `killAtMs` whatever it printed.
 */
function runAndKill(options: StoreOptions, when: { minSeqs: number } | { killAtMs: number }): Promise<Round> {
  const args = [LOOP, options.stateDir, ...(options.databaseUrl ? [options.databaseUrl] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let buffered = '';
  let stderr = '';
  let ready = false;
  const seqs: number[] = [];
  let killTimer: NodeJS.Timeout | undefined;
  const kill = () => child.kill('SIGKILL');
  if ('killAtMs' in when) killTimer = setTimeout(kill, when.killAtMs);
  const guard = setTimeout(kill, 90_000); // never hang the suite; the assertions below then fail
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? ''; // an unterminated last line was cut by the kill: not a completed print
    for (const line of lines) {
      if (line === 'ready') ready = true;
      else seqs.push(Number(line));
    }
    if ('minSeqs' in when && seqs.length >= when.minSeqs && !killTimer)
      killTimer = setTimeout(kill, Math.floor(Math.random() * 150));
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killTimer);
      clearTimeout(guard);
      if (signal !== 'SIGKILL') reject(new Error(`append loop exited by itself (${code ?? signal}):\n${stderr}`));
      else resolve({ ready, seqs });
    });
  });
}

/** Reopens the store in this process and checks every printed seq survived and the chain verifies. */
async function checkSurvivors(t: TestContext, options: StoreOptions, printed: readonly number[]): Promise<number> {
  const started = performance.now();
  const store = await openStore(options);
  const reopenMs = performance.now() - started;
  try {
    const stored = new Set((await store.audit.list()).map((r) => r.seq));
    const lost = printed.filter((s) => !stored.has(s));
    assert.deepEqual(lost, [], 'every seq reported committed is still there');
    const verification = await verifyAuditLog(store.db);
    assert.equal(verification.ok, true, JSON.stringify(verification));
    t.diagnostic(
      `reopened in ${Math.round(reopenMs)} ms: ${stored.size} records, ${printed.length} printed before the kills`,
    );
    return stored.size;
  } finally {
    await store.close();
  }
}

describe('audit log survives kill -9 of the appending process', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'gatehouse-crash-'));
    dirs.push(d);
    return d;
  };
  let server: PostgresServer | undefined;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('PGlite: killed during its first open, then three times mid-append', async (t) => {
    const options = { stateDir: tempDir() };
    // First open runs initdb for seconds: a kill in there must leave nothing that a reopen mistakes for a database.
    const first = await runAndKill(options, { killAtMs: 1_000 + Math.floor(Math.random() * 2_000) });
    t.diagnostic(`first open killed ${first.ready ? 'after' : 'before'} it was ready`);
    const printed = [...first.seqs];
    for (let round = 0; round < 3; round++) {
      const r = await runAndKill(options, { minSeqs: 40 + round * 20 });
      assert.ok(r.ready && r.seqs.length >= 40, `round ${round} appended (${r.seqs.length})`);
      printed.push(...r.seqs);
      // The next child must take over the dead child's lock and recover the WAL.
      await checkSurvivors(t, options, printed);
    }
    assert.deepEqual(
      readdirSync(options.stateDir).filter((n) => n !== 'pglite' && n !== 'pglite.lock'),
      [],
      'no leftover init directories',
    );
  });

  it('PostgreSQL: killed three times mid-append', async (t) => {
    const options = { stateDir: tempDir(), databaseUrl: await server!.createDatabase() };
    const printed: number[] = [];
    for (let round = 0; round < 3; round++) {
      const r = await runAndKill(options, { minSeqs: 40 + round * 20 });
      assert.ok(r.ready && r.seqs.length >= 40, `round ${round} appended (${r.seqs.length})`);
      printed.push(...r.seqs);
      await checkSurvivors(t, options, printed);
    }
  });
});
