import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatehouseError } from '../../src/core/errors.ts';
import { openStore } from '../../src/store/index.ts';
import { migrate, MIGRATIONS } from '../../src/store/migrations.ts';
import { useBackends } from './backends.ts';

describe('store migrations', () => {
  const backends = useBackends();
  for (const backend of backends) {
    describe(backend.name, () => {
      it('applies every migration once, and nothing on a second open', async () => {
        const options = await backend.fresh();
        const first = await openStore(options);
        const { rows } = await first.db.query<{ version: number; name: string }>(
          'SELECT version, name FROM schema_migrations ORDER BY version',
        );
        assert.deepEqual(
          rows.map((r) => r.version),
          MIGRATIONS.map((m) => m.version),
        );
        assert.deepEqual(await migrate(first.db), { applied: [] });
        await first.close();

        const second = await openStore(options);
        assert.deepEqual(await migrate(second.db), { applied: [] });
        const count = await second.db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM schema_migrations');
        assert.equal(count.rows[0]?.n, MIGRATIONS.length);
        await second.close();
      });

      it('refuses a database migrated by a newer gatehouse', async () => {
        const store = await openStore(await backend.fresh());
        try {
          await store.db.query(`INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x')`);
          await assert.rejects(migrate(store.db), (e: unknown) => {
            assert.ok(e instanceof GatehouseError);
            assert.equal(e.code, 'STORE_FAILED');
            assert.equal(e.terminal, true);
            assert.match(e.message, /version 9999, newer than this gatehouse knows/);
            return true;
          });
        } finally {
          await store.close();
        }
      });

      it('rolls back every statement of a failing migration', async () => {
        const store = await openStore(await backend.fresh());
        try {
          const broken = [
            ...MIGRATIONS,
            {
              version: 100,
              name: 'half',
              statements: ['CREATE TABLE half_done (x int)', 'SELECT * FROM no_such_table'],
            },
          ];
          await assert.rejects(migrate(store.db, broken), /no_such_table/);
          const { rows } = await store.db.query(`SELECT 1 FROM pg_tables WHERE tablename = 'half_done'`);
          assert.equal(rows.length, 0);
          const versions = await store.db.query('SELECT 1 FROM schema_migrations WHERE version = 100');
          assert.equal(versions.rows.length, 0);
        } finally {
          await store.close();
        }
      });
    });
  }

  describe('postgres, concurrent openers', () => {
    it('serialise on the advisory lock: each migration runs once', async () => {
      const options = await backends.find((b) => b.name === 'postgres')!.fresh();
      const stores = await Promise.all(Array.from({ length: 6 }, () => openStore(options)));
      const [first] = stores;
      const { rows } = await first!.db.query<{ version: number; n: number }>(
        'SELECT version, count(*)::int8 AS n FROM schema_migrations GROUP BY version ORDER BY version',
      );
      assert.deepEqual(
        rows,
        MIGRATIONS.map((m) => ({ version: m.version, n: 1 })),
      );
      await Promise.all(stores.map((s) => s.close()));
    });
  });
});
