/**
 * Child process for the crash tests (not a test itself): opens the store, then appends audit events forever, in
 * batches of 1–3, and prints each record's seq on its own line only after `append` resolved (the batch committed).
 * Prints `ready` once the store is open. The parent kills it with SIGKILL at some moment and checks that every
 * printed seq survived.
 *
 * Usage: node test/store/append-loop.ts <stateDir> [databaseUrl]
 */
import { openStore } from '../../src/store/index.ts';

const [stateDir, databaseUrl] = process.argv.slice(2);
if (!stateDir) throw new Error('usage: append-loop.ts <stateDir> [databaseUrl]');

// Pipes are synchronous on Linux, so a printed line is in the pipe before the next append starts.
const print = (line: string) => process.stdout.write(`${line}\n`);

const store = await openStore({ stateDir, ...(databaseUrl ? { databaseUrl } : {}) });
print('ready');
for (let i = 0; ; i++) {
  const batch = Array.from({ length: 1 + (i % 3) }, (_, j) => ({
    at: new Date().toISOString(),
    actor: `crash-test:${process.pid}`,
    action: 'apply' as const,
    target: 'fw',
    kind: 'set',
    summary: `event ${i}.${j} ${'x'.repeat(200)}`,
    status: 'applied' as const,
  }));
  const records = await store.audit.append(batch);
  for (const r of records) print(String(r.seq));
  // PGlite resolves queries without returning to the event loop; yield, as a real daemon would, so the state dir
  // lock can answer a probing process with this pid.
  await new Promise((resolve) => setImmediate(resolve));
}
