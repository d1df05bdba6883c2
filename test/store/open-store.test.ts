import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { GatehouseError } from '../../src/core/errors.ts';
import { openStore, redactConnectionString, verifyAuditLog } from '../../src/store/index.ts';
import { startPostgres } from '../harness/postgres.ts';
import { event } from './backends.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'gatehouse-open-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function isStoreFailed(e: unknown): e is GatehouseError {
  return e instanceof GatehouseError && e.code === 'STORE_FAILED';
}

function isStoreLocked(e: unknown): e is GatehouseError {
  return e instanceof GatehouseError && e.code === 'STORE_LOCKED';
}

describe('openStore errors never carry the password', () => {
  for (const url of [
    'postgres://gh:Sup3rSecretPw@127.0.0.1:1/gatehouse', // nothing listens on port 1
    'postgres://gh:Sup3rSecretPw@127.0.0.1:notaport/gatehouse', // the driver's URL parser throws, quoting its input
  ])
    it(redactConnectionString(url), async () => {
      const e: unknown = await openStore({ stateDir: tempDir(), databaseUrl: url }).then(
        () => assert.fail('opened'),
        (err: unknown) => err,
      );
      assert.ok(isStoreFailed(e), inspect(e));
      assert.match(e.message, /PostgreSQL at postgres:\/\/gh:\*\*\*@127\.0\.0\.1/);
      assert.equal(inspect(e, { depth: 10 }).includes('Sup3rSecretPw'), false, inspect(e, { depth: 10 }));
      assert.equal(JSON.stringify(e.details).includes('Sup3rSecretPw'), false);
    });
});

describe('PGlite state dir', () => {
  it('is private, and locked against a second opener until closed', async () => {
    const stateDir = tempDir();
    const store = await openStore({ stateDir });
    assert.equal(statSync(join(stateDir, 'pglite')).mode & 0o777, 0o700);
    await assert.rejects(openStore({ stateDir }), (e: unknown) => {
      assert.ok(isStoreLocked(e));
      assert.equal(e.terminal, true);
      assert.match(e.message, new RegExp(`in use by another gatehouse process \\(pid ${process.pid}, this one\\)`));
      return true;
    });
    await store.audit.append([event(1)]);
    await store.close();
    await store.close(); // idempotent

    const again = await openStore({ stateDir });
    assert.equal((await again.audit.list()).length, 1);
    await again.close();
  });

  it('is locked against another process, and taken over once that process is killed', async () => {
    const stateDir = tempDir();
    const child = spawn(process.execPath, [fileURLToPath(new URL('./append-loop.ts', import.meta.url)), stateDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
        child.once('exit', () => reject(new Error('append loop exited before it was ready')));
      });
      await assert.rejects(
        openStore({ stateDir }),
        (e: unknown) => isStoreLocked(e) && e.message.includes(`(pid ${child.pid})`),
      );
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const store = await openStore({ stateDir });
    assert.deepEqual(await verifyAuditLog(store.db), { ok: true, records: (await store.audit.list()).length });
    await store.close();
  });

  it('refuses a non-empty directory that holds no database', async () => {
    const stateDir = tempDir();
    mkdirSync(join(stateDir, 'pglite'));
    writeFileSync(join(stateDir, 'pglite', 'notes.txt'), 'hello');
    await assert.rejects(openStore({ stateDir }), (e: unknown) => isStoreFailed(e) && /no PG_VERSION/.test(e.message));
  });

  it('opens cold (initdb + migrations) and warm; reports both times', async (t) => {
    const stateDir = tempDir();
    // Leftover of an initialisation killed half-way: must be cleaned, not mistaken for the database.
    mkdirSync(join(stateDir, 'pglite.init-99999'));
    writeFileSync(join(stateDir, 'pglite.init-99999', 'PG_VERSION'), '18');
    let started = performance.now();
    const cold = await openStore({ stateDir });
    const coldMs = performance.now() - started;
    await cold.close();
    started = performance.now();
    const warm = await openStore({ stateDir });
    const warmMs = performance.now() - started;
    await warm.close();
    t.diagnostic(`PGlite open: cold ${Math.round(coldMs)} ms, warm ${Math.round(warmMs)} ms`);
    assert.deepEqual(readdirSync(stateDir).sort(), ['pglite']);
  });
});

describe('PostgreSQL going away', () => {
  it('fails the running transaction and the next query as STORE_FAILED, without crashing the process', async () => {
    const server = await startPostgres();
    const store = await openStore({ stateDir: tempDir(), databaseUrl: await server.createDatabase() });
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      const inFlight = store.db.transaction((tx) => tx.query('SELECT pg_sleep(30)'));
      const settled = inFlight.then(
        () => 'resolved',
        () => 'rejected',
      );
      await new Promise((r) => setTimeout(r, 300));
      await server.stop();
      assert.equal(await settled, 'rejected');
      await assert.rejects(store.audit.append([event(1)]), isStoreFailed);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(uncaught, []);
    } finally {
      process.off('uncaughtException', onUncaught);
      await store.close();
    }
  });
});
