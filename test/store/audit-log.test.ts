import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chainHash, GENESIS_HASH, verifyChain, type AuditEvent } from '../../src/core/audit.ts';
import { GatehouseError } from '../../src/core/errors.ts';
import type { Db } from '../../src/store/db.ts';
import { openStore, verifyAuditLog, type Store } from '../../src/store/index.ts';
import { event, useBackends } from './backends.ts';

/** Changes the table behind the trigger's back, as someone with direct database access could. */
async function tamper(db: Db, sql: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
    await tx.query(sql);
    await tx.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
  });
}

async function withStore<T>(open: () => Promise<Store>, fn: (s: Store) => Promise<T>): Promise<T> {
  const store = await open();
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

describe('SQL audit log', () => {
  const backends = useBackends();
  for (const backend of backends) {
    const open = async () => openStore(await backend.fresh());

    describe(backend.name, () => {
      it('appends, numbers from 1, chains from the genesis hash, and lists back what it returned', () =>
        withStore(open, async ({ audit }) => {
          assert.deepEqual(await audit.append([]), []);
          const full: AuditEvent = {
            ...event(1),
            changeId: 'set:allow_v4',
            kind: 'set-replace',
            planId: 'plan-1',
            message: 'ok',
          };
          const first = await audit.append([full, event(2)]);
          const second = await audit.append([event(3, { status: 'failed', message: 'boom' })]);
          assert.deepEqual(
            [...first, ...second].map((r) => r.seq),
            [1, 2, 3],
          );
          assert.equal(first[0]?.prevHash, GENESIS_HASH);
          assert.equal(first[1]?.prevHash, first[0]?.hash);
          assert.equal(second[0]?.prevHash, first[1]?.hash);

          const listed = await audit.list();
          assert.deepEqual(listed, [...first, ...second]);
          assert.equal('changeId' in (listed[1] ?? {}), false, 'absent optional fields stay absent');
          assert.deepEqual(verifyChain(listed), { ok: true });
          assert.deepEqual(
            (await audit.list({ afterSeq: 1, limit: 1 })).map((r) => r.seq),
            [2],
          );
          assert.deepEqual(
            (await audit.list({ last: 2 })).map((r) => r.seq),
            [2, 3],
          );
          assert.deepEqual(
            (await audit.list({ last: 10 })).map((r) => r.seq),
            [1, 2, 3],
          );
          assert.deepEqual(await audit.list({ afterSeq: 3 }), []);
        }));

      it('stores only AuditEvent fields, so extra properties cannot break the chain', () =>
        withStore(open, async (store) => {
          const [record] = await store.audit.append([{ ...event(1), extra: 'not stored' } as AuditEvent]);
          assert.equal('extra' in (record ?? {}), false);
          assert.deepEqual(await verifyAuditLog(store.db), { ok: true, records: 1 });
        }));

      it('stores NUL and lone surrogates as U+FFFD, hashing what it stores', () =>
        withStore(open, async (store) => {
          const cut = 'deploy 🚀'.slice(0, -1); // an emoji cut in half: a lone high surrogate
          const [r] = await store.audit.append([event(1, { message: `${cut} \u0000 done` })]);
          assert.equal(r?.message, 'deploy \uFFFD \uFFFD done');
          assert.deepEqual(await store.audit.list(), [r]);
          assert.deepEqual(await verifyAuditLog(store.db), { ok: true, records: 1 });
        }));

      it('verifies a long chain page by page', () =>
        withStore(open, async (store) => {
          await store.audit.append(Array.from({ length: 25 }, (_, i) => event(i)));
          assert.deepEqual(await verifyAuditLog(store.db, { pageSize: 4 }), { ok: true, records: 25 });
          assert.deepEqual(await verifyAuditLog(store.db), { ok: true, records: 25 });
        }));

      it('verifies an empty log', () =>
        withStore(open, async (store) => {
          assert.deepEqual(await verifyAuditLog(store.db), { ok: true, records: 0 });
        }));

      it('detects an edited record', () =>
        withStore(open, async (store) => {
          await store.audit.append(Array.from({ length: 10 }, (_, i) => event(i)));
          await tamper(store.db, `UPDATE audit_log SET summary = 'nothing to see' WHERE seq = 7`);
          assert.deepEqual(await verifyAuditLog(store.db, { pageSize: 3 }), {
            ok: false,
            seq: 7,
            reason: 'hash does not match the record',
            records: 6,
          });
        }));

      it('detects a record edited with its hash recomputed', () =>
        withStore(open, async (store) => {
          await store.audit.append(Array.from({ length: 5 }, (_, i) => event(i)));
          // Rewriting record 3 consistently still breaks record 4's link to it.
          const [r3] = await store.audit.list({ afterSeq: 2, limit: 1 });
          const forged = { ...event(2), summary: 'forged' };
          const hash = chainHash(r3!.prevHash, 3, forged);
          await tamper(store.db, `UPDATE audit_log SET summary = 'forged', hash = '${hash}' WHERE seq = 3`);
          const result = await verifyAuditLog(store.db);
          assert.equal(result.ok, false);
          assert.equal(!result.ok && result.seq, 4);
        }));

      it('detects a removed record, at the start, in the middle and at the end', () =>
        withStore(open, async (store) => {
          await store.audit.append(Array.from({ length: 6 }, (_, i) => event(i)));
          await tamper(store.db, 'DELETE FROM audit_log WHERE seq = 6');
          assert.deepEqual(await verifyAuditLog(store.db), {
            ok: false,
            seq: 6,
            reason: 'record missing; chain head is at seq 6',
            records: 5,
          });
          await tamper(store.db, 'DELETE FROM audit_log WHERE seq = 4');
          assert.deepEqual(await verifyAuditLog(store.db, { pageSize: 2 }), {
            ok: false,
            seq: 4,
            reason: 'record missing; next stored is seq 5',
            records: 3,
          });
          await tamper(store.db, 'DELETE FROM audit_log WHERE seq = 1');
          assert.deepEqual(await verifyAuditLog(store.db), {
            ok: false,
            seq: 1,
            reason: 'record missing; next stored is seq 2',
            records: 0,
          });
        }));

      it('rejects UPDATE, DELETE and TRUNCATE through its trigger', () =>
        withStore(open, async (store) => {
          await store.audit.append([event(1)]);
          for (const sql of [
            `UPDATE audit_log SET summary = 'x' WHERE seq = 1`,
            'DELETE FROM audit_log WHERE seq = 1',
            'TRUNCATE audit_log',
          ])
            await assert.rejects(store.db.query(sql), /audit_log is append-only/, sql);
          assert.deepEqual(await verifyAuditLog(store.db), { ok: true, records: 1 });
        }));

      it('keeps one gap-free chain under concurrent appends', async () => {
        const options = await backend.fresh();
        // On PostgreSQL: two processes' worth of connections (two pools). PGlite has one connection per data dir, so
        // concurrency there means concurrent calls on one store.
        const a = await openStore(options);
        const b = backend.name === 'postgres' ? await openStore(options) : a;
        try {
          const writers = [a, b].map((s, w) =>
            Promise.all(
              Array.from({ length: 20 }, (_, i) =>
                s.audit.append([event(i, { actor: `writer-${w}` }), event(i, { actor: `writer-${w}` })]),
              ),
            ),
          );
          const batches = (await Promise.all(writers)).flat();
          const seqs = batches
            .flat()
            .map((r) => r.seq)
            .sort((x, y) => x - y);
          assert.deepEqual(
            seqs,
            Array.from({ length: 80 }, (_, i) => i + 1),
          );
          for (const batch of batches) assert.equal(batch[1]!.seq, batch[0]!.seq + 1, 'a batch is contiguous');
          assert.deepEqual(await verifyAuditLog(a.db), { ok: true, records: 80 });
        } finally {
          await a.close();
          if (b !== a) await b.close();
        }
      });

      it('wraps database errors as STORE_FAILED, rolling the whole batch back', () =>
        withStore(open, async (store) => {
          await store.audit.append([event(1)]);
          // The insert fails after the chain head was locked and read: the transaction must leave nothing behind.
          await store.db.query('ALTER TABLE audit_log RENAME TO audit_log_away');
          await assert.rejects(
            store.audit.append([event(2), event(3)]),
            (e: unknown) => e instanceof GatehouseError && e.code === 'STORE_FAILED' && /append failed/.test(e.message),
          );
          await store.db.query('ALTER TABLE audit_log_away RENAME TO audit_log');
          const [r] = await store.audit.append([event(4)]);
          assert.equal(r?.seq, 2, 'the failed batch did not consume seqs');
          assert.deepEqual(await verifyAuditLog(store.db), { ok: true, records: 2 });
        }));
    });
  }
});
