import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryTargetState, type TargetState } from '../../src/core/target-state.ts';
import { openStore } from '../../src/store/index.ts';
import { useBackends } from './backends.ts';

/** The TargetState contract, run against the in-memory port and both SQL backends. */
async function contract(state: TargetState): Promise<void> {
  assert.equal(await state.get('a/x'), undefined);
  await state.set('a/x', { dn: 'uid=x', n: 1, nested: [true, null] });
  await state.set('a/y', 'plain');
  await state.set('a%/z', 2); // LIKE wildcards in a key are plain characters to list()
  await state.set('b/x', 3);
  assert.deepEqual(await state.get('a/x'), { dn: 'uid=x', n: 1, nested: [true, null] });
  await state.set('a/x', { n: 2 });
  assert.deepEqual(await state.get('a/x'), { n: 2 }, 'last write wins');
  assert.deepEqual(await state.list('a/'), [
    ['a/x', { n: 2 }],
    ['a/y', 'plain'],
  ]);
  assert.deepEqual(await state.list('a%'), [['a%/z', 2]]);
  assert.deepEqual(await state.list('none/'), []);
  await state.delete('a/x');
  await state.delete('a/x'); // idempotent
  assert.equal(await state.get('a/x'), undefined);
  assert.deepEqual(
    (await state.list('')).map(([k]) => k),
    ['a%/z', 'a/y', 'b/x'],
  );
}

describe('target state', () => {
  it('memory: keeps the contract', () => contract(new MemoryTargetState()));

  for (const backend of useBackends()) {
    describe(backend.name, () => {
      it('keeps the contract, and entries survive a reopen', async () => {
        const options = await backend.fresh();
        const store = await openStore(options);
        try {
          await contract(store.state);
          await store.state.set('ldap-groups/t/locked/uid=é', { uid: 'é', at: '\u0000' });
        } finally {
          await store.close();
        }
        const again = await openStore(options);
        try {
          assert.deepEqual(await again.state.list('ldap-groups/'), [
            ['ldap-groups/t/locked/uid=é', { uid: 'é', at: '\uFFFD' }],
          ]);
          assert.equal(await again.state.get('b/x'), 3);
        } finally {
          await again.close();
        }
      });
    });
  }
});
