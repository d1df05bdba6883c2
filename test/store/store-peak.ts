/**
 * Child process for the memory tests (not a test itself): opens the store in `<stateDir>` (which must hold one
 * already), appends an audit event, saves a snapshot of `<prefixes>` prefixes twice, plans a record, closes the
 * store and prints the process's peak RSS in kB (VmHWM) as its only output.
 *
 * Usage: node test/store/store-peak.ts <stateDir> <prefixes>
 */
import { readFileSync } from 'node:fs';
import { openStore } from '../../src/store/index.ts';

const [stateDir, count] = process.argv.slice(2);
if (!stateDir || count === undefined) throw new Error('usage: store-peak.ts <stateDir> <prefixes>');

const store = await openStore({ stateDir });
await store.audit.append([
  {
    at: new Date().toISOString(),
    actor: 'test:store',
    action: 'apply',
    target: 'fw',
    summary: 'change 1',
    status: 'applied',
  },
]);
const prefixes = Array.from({ length: Number(count) }, (_, i) => ({
  family: 4,
  address: `${11 + (i % 100)}.${(i >> 8) & 255}.${i & 255}.0`,
  length: 24,
}));
const facts = { addressSets: [{ name: 'geo', prefixes }] };
await store.snapshots.saveSnapshot('geo', facts, new Date().toISOString());
await store.snapshots.saveSnapshot('geo', facts, new Date().toISOString());
await store.plans.recordPlan('p1', new Date());
await store.close();
process.stdout.write(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 'unknown');
