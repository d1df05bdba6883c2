import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlanRecords } from '../../src/core/plan-records.ts';
import { MemoryStore } from '../../src/core/testing/memory-store.ts';
import { openStore } from '../../src/store/index.ts';
import { useBackends } from './backends.ts';

const T0 = new Date('2026-01-01T00:00:00.000Z');
const T1 = new Date('2026-01-01T06:00:00.000Z');

/** The PlanRecords contract, run against the in-memory port and both SQL backends. */
async function contract(records: PlanRecords): Promise<void> {
  assert.equal(await records.planMadeAt('0123456789abcdef'), undefined);
  await records.recordPlan('0123456789abcdef', T0);
  assert.deepEqual(await records.planMadeAt('0123456789abcdef'), T0);
  await records.recordPlan('0123456789abcdef', T1);
  assert.deepEqual(await records.planMadeAt('0123456789abcdef'), T1, 'making a plan again moves its time forward');
  await records.recordPlan('0123456789abcdef', T0);
  assert.deepEqual(await records.planMadeAt('0123456789abcdef'), T1, 'a late writer never moves it back');
  assert.equal(await records.planMadeAt('fedcba9876543210'), undefined);
  await records.recordPlan('fedcba9876543210', T0);
  await records.forgetPlansBefore(T1);
  assert.equal(await records.planMadeAt('fedcba9876543210'), undefined, 'older than the cut: forgotten');
  assert.deepEqual(await records.planMadeAt('0123456789abcdef'), T1, 'made at the cut: kept');
}

describe('plan records', () => {
  it('memory: keeps the contract', () => contract(new MemoryStore()));

  for (const backend of useBackends()) {
    describe(backend.name, () => {
      it('keeps the contract, and records survive a reopen', async () => {
        const options = await backend.fresh();
        const store = await openStore(options);
        try {
          await contract(store.plans);
        } finally {
          await store.close();
        }
        const again = await openStore(options);
        try {
          assert.deepEqual(await again.plans.planMadeAt('0123456789abcdef'), T1);
        } finally {
          await again.close();
        }
      });
    });
  }
});
