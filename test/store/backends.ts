import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { StoreOptions } from '../../src/store/index.ts';
import { openPglite, PGLITE_DIR } from '../../src/store/pglite-db.ts';
import { startPostgres, type PostgresServer } from '../harness/postgres.ts';

/** One store backend under test; `fresh()` gives options for a new, empty store (schema not yet migrated). */
export interface TestBackend {
  readonly name: 'pglite' | 'postgres';
  fresh(): Promise<StoreOptions>;
  /** The PostgreSQL server, for the postgres backend. */
  readonly server?: PostgresServer;
}

/**
 * Registers before/after hooks in the calling suite that start a PostgreSQL server and build one empty PGlite cluster
 * (a cold PGlite start costs seconds, so each fresh PGlite store is a copy of it), and returns both backends. The
 * returned objects work once the `before` hook has run.
 */
export function useBackends(): readonly TestBackend[] {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'gatehouse-store-'));
    dirs.push(d);
    return d;
  };
  let template = '';
  let server: PostgresServer | undefined;

  before(async () => {
    template = tempDir();
    const [db, pg] = await Promise.all([openPglite(template), startPostgres()]);
    await db.close();
    server = pg;
  });
  after(async () => {
    await server?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  return [
    {
      name: 'pglite',
      fresh() {
        const stateDir = tempDir();
        cpSync(join(template, PGLITE_DIR), join(stateDir, PGLITE_DIR), { recursive: true });
        return Promise.resolve({ stateDir });
      },
    },
    {
      name: 'postgres',
      get server() {
        return server;
      },
      async fresh() {
        if (!server) throw new Error('PostgreSQL server not started');
        return { stateDir: tempDir(), databaseUrl: await server.createDatabase() };
      },
    },
  ];
}

/** An audit event with sensible defaults. */
export function event(n: number, extra: Record<string, unknown> = {}) {
  return {
    at: new Date(Date.UTC(2030, 0, 1, 0, 0, n)).toISOString(),
    actor: 'test:store',
    action: 'apply' as const,
    target: 'fw',
    summary: `change ${n}`,
    status: 'applied' as const,
    ...extra,
  };
}
