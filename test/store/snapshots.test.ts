import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openStore } from '../../src/store/index.ts';
import { MIGRATIONS, migrate } from '../../src/store/migrations.ts';
import { openPglite } from '../../src/store/pglite-db.ts';
import { openPostgres } from '../../src/store/postgres-db.ts';
import { useBackends } from './backends.ts';

describe('SQL snapshot store and HTTP cache', () => {
  for (const backend of useBackends()) {
    describe(backend.name, () => {
      it('round-trips facts and their timestamp, across a reopen', async () => {
        const options = await backend.fresh();
        const facts = {
          addressSets: [{ name: 'nodes', prefixes: ['192.0.2.1/32', '2001:db8::/64'] }],
          people: [
            { id: 'ldap:alice', accounts: { github: 12345, emails: ['a@example.org'] }, displayName: 'Ålice ✓' },
          ],
        };
        const at = '2030-01-02T03:04:05.678Z';
        const store = await openStore(options);
        assert.equal(await store.snapshots.loadSnapshot('lke'), undefined);
        await store.snapshots.saveSnapshot('lke', facts, at);
        await store.close();

        const again = await openStore(options);
        assert.deepEqual(await again.snapshots.loadSnapshot('lke'), { facts, at });
        assert.equal(await again.snapshots.loadSnapshot('other'), undefined);
        await again.close();
      });

      it('replaces a snapshot with a newer one and ignores an older one', async () => {
        const store = await openStore(await backend.fresh());
        try {
          await store.snapshots.saveSnapshot('s', { v: 1 }, '2030-01-01T00:00:00.000Z');
          await store.snapshots.saveSnapshot('s', { v: 2 }, '2030-01-02T00:00:00.000Z');
          assert.deepEqual(await store.snapshots.loadSnapshot('s'), {
            facts: { v: 2 },
            at: '2030-01-02T00:00:00.000Z',
          });
          await store.snapshots.saveSnapshot('s', { v: 0 }, '2029-12-31T00:00:00.000Z');
          assert.deepEqual(await store.snapshots.loadSnapshot('s'), {
            facts: { v: 2 },
            at: '2030-01-02T00:00:00.000Z',
          });
        } finally {
          await store.close();
        }
      });

      it('saving facts equal to the stored ones moves the time only; different facts replace them', async () => {
        const store = await openStore(await backend.fresh());
        try {
          const facts = { addressSets: [{ name: 'geo', prefixes: ['192.0.2.0/24'] }] };
          await store.snapshots.saveSnapshot('s', facts, '2030-01-01T00:00:00.000Z');
          // Equal as a value, written in another key order: the same snapshot.
          await store.snapshots.saveSnapshot(
            's',
            { addressSets: [{ prefixes: ['192.0.2.0/24'], name: 'geo' }] },
            '2030-01-02T00:00:00.000Z',
          );
          assert.deepEqual(await store.snapshots.loadSnapshot('s'), { facts, at: '2030-01-02T00:00:00.000Z' });
          // An older save of equal facts never moves the time back.
          await store.snapshots.saveSnapshot('s', facts, '2029-01-01T00:00:00.000Z');
          assert.equal((await store.snapshots.loadSnapshot('s'))?.at, '2030-01-02T00:00:00.000Z');
          const changed = { addressSets: [{ name: 'geo', prefixes: ['192.0.2.0/24', '198.51.100.0/24'] }] };
          await store.snapshots.saveSnapshot('s', changed, '2030-01-03T00:00:00.000Z');
          assert.deepEqual(await store.snapshots.loadSnapshot('s'), {
            facts: changed,
            at: '2030-01-03T00:00:00.000Z',
          });
          // Back to the first facts: written again, not mistaken for the ones stored before.
          await store.snapshots.saveSnapshot('s', facts, '2030-01-04T00:00:00.000Z');
          assert.deepEqual(await store.snapshots.loadSnapshot('s'), { facts, at: '2030-01-04T00:00:00.000Z' });
        } finally {
          await store.close();
        }
      });

      it('reads and replaces a snapshot stored by the previous schema (facts as jsonb)', async () => {
        const options = await backend.fresh();
        const db = options.databaseUrl ? await openPostgres(options.databaseUrl) : await openPglite(options.stateDir);
        try {
          await migrate(
            db,
            MIGRATIONS.filter((m) => m.version <= 6),
          );
          await db.query(
            `INSERT INTO source_snapshots (source, facts, taken_at) VALUES ('s', $1::jsonb, '2030-01-01T00:00:00Z')`,
            [JSON.stringify({ addressSets: [{ name: 'geo', prefixes: ['192.0.2.0/24'] }] })],
          );
        } finally {
          await db.close();
        }
        const store = await openStore(options);
        try {
          assert.deepEqual(await store.snapshots.loadSnapshot('s'), {
            facts: { addressSets: [{ name: 'geo', prefixes: ['192.0.2.0/24'] }] },
            at: '2030-01-01T00:00:00.000Z',
          });
          await store.snapshots.saveSnapshot('s', { v: 2 }, '2030-01-02T00:00:00.000Z');
          assert.deepEqual(await store.snapshots.loadSnapshot('s'), {
            facts: { v: 2 },
            at: '2030-01-02T00:00:00.000Z',
          });
        } finally {
          await store.close();
        }
      });

      it('stores strings jsonb cannot hold (NUL, lone surrogates) as U+FFFD', async () => {
        const store = await openStore(await backend.fresh());
        try {
          const name = 'Ålice 🚀'.slice(0, -1) + '\u0000';
          await store.snapshots.saveSnapshot(
            's',
            { people: [{ id: 'discord:1', displayName: name }] },
            '2030-01-01T00:00:00.000Z',
          );
          assert.deepEqual((await store.snapshots.loadSnapshot('s'))?.facts, {
            people: [{ id: 'discord:1', displayName: 'Ålice \uFFFD\uFFFD' }],
          });
        } finally {
          await store.close();
        }
      });

      it('normalises the timestamp to ISO 8601 UTC', async () => {
        const store = await openStore(await backend.fresh());
        try {
          await store.snapshots.saveSnapshot('s', {}, '2030-01-01T02:00:00+02:00');
          assert.equal((await store.snapshots.loadSnapshot('s'))?.at, '2030-01-01T00:00:00.000Z');
        } finally {
          await store.close();
        }
      });

      it('caches HTTP validators and bodies', async () => {
        const store = await openStore(await backend.fresh());
        try {
          assert.equal(await store.cache.get('GET https://example.org/feed'), undefined);
          await store.cache.set('GET https://example.org/feed', { etag: 'W/"1"', body: 'a,b\nc,d\u0000' });
          assert.deepEqual(await store.cache.get('GET https://example.org/feed'), {
            etag: 'W/"1"',
            body: 'a,b\nc,d\u0000',
          });
          await store.cache.set('GET https://example.org/feed', {
            lastModified: 'Wed, 21 Oct 2015 07:28:00 GMT',
            body: { pools: [1] },
          });
          assert.deepEqual(await store.cache.get('GET https://example.org/feed'), {
            lastModified: 'Wed, 21 Oct 2015 07:28:00 GMT',
            body: { pools: [1] },
          });
        } finally {
          await store.close();
        }
      });
    });
  }
});
