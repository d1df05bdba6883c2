import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { chainHash, GENESIS_HASH, type AuditRecord } from '../../src/core/audit.ts';
import { GatehouseError } from '../../src/core/errors.ts';
import type { Db } from '../../src/store/db.ts';
import { openStore, readAnchors, verifyAuditLog, verifyAuditTrail, type Store } from '../../src/store/index.ts';
import { event, useBackends } from './backends.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const anchorFileIn = () => {
  const d = mkdtempSync(join(tmpdir(), 'gatehouse-anchor-'));
  dirs.push(d);
  return join(d, 'audit-anchors.jsonl');
};

/** Runs statements behind the append-only trigger's back, as someone with direct database access could. */
async function tamper(db: Db, statements: readonly string[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
    for (const sql of statements) await tx.query(sql);
    await tx.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
  });
}

/** Two runs of five records each, each run followed by an anchor, as the engine does. */
async function twoAnchoredRuns(store: Store): Promise<void> {
  for (const run of [0, 1]) {
    await store.audit.append(Array.from({ length: 5 }, (_, i) => event(run * 5 + i)));
    assert.ok(await store.anchorAudit());
  }
}

/** Rewrites record `from` with a new summary and recomputes every later hash and the head: a consistent forgery. */
async function rewriteChainFrom(store: Store, from: number): Promise<void> {
  const records = await store.audit.list();
  let prev = records.find((r) => r.seq === from - 1)?.hash ?? GENESIS_HASH;
  const statements: string[] = [];
  for (const r of records.filter((x) => x.seq >= from)) {
    const { seq, prevHash: _p, hash: _h, ...event } = r satisfies AuditRecord;
    const forged = seq === from ? { ...event, summary: 'nothing happened' } : event;
    const hash = chainHash(prev, seq, forged);
    statements.push(
      `UPDATE audit_log SET summary = '${forged.summary}', prev_hash = '${prev}', hash = '${hash}' WHERE seq = ${seq}`,
    );
    prev = hash;
  }
  statements.push(`UPDATE audit_chain_head SET hash = '${prev}' WHERE id = 1`);
  await tamper(store.db, statements);
}

describe('audit chain anchored outside the database', () => {
  const backends = useBackends();
  for (const backend of backends) {
    describe(backend.name, () => {
      const open = async (auditAnchorFile: string) => openStore({ ...(await backend.fresh()), auditAnchorFile });

      it('anchors the head after appends only, one JSON line each; an untouched log verifies against them', async () => {
        const file = anchorFileIn();
        const store = await open(file);
        try {
          assert.equal(await store.anchorAudit(), undefined, 'nothing appended, nothing anchored');
          await twoAnchoredRuns(store);
          assert.equal(await store.anchorAudit(), undefined);
          const anchors = readAnchors(file);
          assert.deepEqual(
            anchors.map((a) => a.seq),
            [5, 10],
          );
          const records = await store.audit.list();
          assert.equal(anchors[1]?.hash, records[9]?.hash);
          assert.equal(readFileSync(file, 'utf8').split('\n').length, 3);
          const result = await verifyAuditTrail(store.db, { anchors });
          assert.deepEqual(result, { ok: true, records: 10, head: { seq: 10, hash: records[9]?.hash }, anchors: 2 });
        } finally {
          await store.close();
        }
      });

      it('detects the newest records cut and the head rewound, which the chain alone accepts', async () => {
        const file = anchorFileIn();
        const store = await open(file);
        try {
          await twoAnchoredRuns(store);
          const records = await store.audit.list();
          await tamper(store.db, [
            'DELETE FROM audit_log WHERE seq > 7',
            `UPDATE audit_chain_head SET seq = 7, hash = '${records[6]?.hash}' WHERE id = 1`,
          ]);
          assert.deepEqual(await verifyAuditLog(store.db), { ok: true, records: 7 }, 'the chain alone is fooled');
          const result = await verifyAuditTrail(store.db, { anchors: readAnchors(file) });
          assert.equal(result.ok, false);
          assert.equal(!result.ok && result.seq, 10);
          assert.match(
            !result.ok ? result.reason : '',
            /cut back: the anchor written .* is at seq 10, but the chain head is at seq 7/,
          );
        } finally {
          await store.close();
        }
      });

      it('detects a record edited with the whole chain recomputed, which the chain alone accepts', async () => {
        const file = anchorFileIn();
        const store = await open(file);
        try {
          await twoAnchoredRuns(store);
          const before = await store.audit.list();
          await rewriteChainFrom(store, 3);
          assert.equal((await store.audit.list())[2]?.summary, 'nothing happened');
          assert.deepEqual(await verifyAuditLog(store.db), { ok: true, records: 10 }, 'the chain alone is fooled');
          const result = await verifyAuditTrail(store.db, { anchors: readAnchors(file) });
          assert.equal(result.ok, false);
          assert.equal(!result.ok && result.seq, 5);
          assert.match(!result.ok ? result.reason : '', /record rewritten: its hash differs from the anchor written/);

          // With no anchor file, a head the operator kept elsewhere catches it too.
          const expectHead = { seq: 10, hash: before[9]?.hash ?? '' };
          const expected = await verifyAuditTrail(store.db, { expectHead });
          assert.equal(expected.ok, false);
          assert.match(!expected.ok ? expected.reason : '', /differs from the expected head/);
        } finally {
          await store.close();
        }
      });
    });
  }

  it('an anchor that cannot be written is STORE_FAILED and stays due for the next call', async () => {
    const blocker = anchorFileIn();
    appendFileSync(blocker, ''); // a regular file where the anchor file's directory should be
    const store = await openStore({ ...(await backends[1]!.fresh()), auditAnchorFile: join(blocker, 'anchors.jsonl') });
    try {
      await store.audit.append([event(1)]);
      for (let attempt = 0; attempt < 2; attempt++)
        await assert.rejects(
          store.anchorAudit(),
          (e: unknown) =>
            e instanceof GatehouseError &&
            e.code === 'STORE_FAILED' &&
            /could not anchor the audit chain head/.test(e.message),
        );
    } finally {
      await store.close();
    }
  });

  it('refuses an anchor file with a line gatehouse did not write, naming the line', () => {
    const file = anchorFileIn();
    appendFileSync(
      file,
      `{"seq":1,"hash":"${'a'.repeat(64)}","at":"2030-01-01T00:00:00.000Z"}\n{"seq":2,"hash":"x"}\n`,
    );
    assert.throws(
      () => readAnchors(file),
      (e: unknown) =>
        e instanceof GatehouseError && e.code === 'AUDIT_CHAIN_BROKEN' && e.message.includes(`${file}:2 `),
    );
    assert.deepEqual(readAnchors(join(file, '..', 'absent.jsonl')), []);
  });
});
