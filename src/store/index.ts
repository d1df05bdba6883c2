import type { AuditLog, SnapshotStore } from '../core/audit.ts';
import type { KeyValueCache } from '../core/cache.ts';
import { describeError, GatehouseError, isGatehouseError } from '../core/errors.ts';
import { registerSecret } from '../core/redact.ts';
import type { TargetState } from '../core/target-state.ts';
import { SqlAuditLog } from './audit-log.ts';
import { connectionSecrets, redactConnectionString, scrubSecrets } from './connection-string.ts';
import type { Db } from './db.ts';
import { SqlHttpCache } from './http-cache.ts';
import { migrate } from './migrations.ts';
import { openPglite } from './pglite-db.ts';
import { openPostgres } from './postgres-db.ts';
import { SqlSnapshotStore } from './snapshots.ts';
import { SqlTargetState } from './target-state.ts';

export type { Db, Queryable, QueryResult, SqlValue } from './db.ts';
export { verifyAuditLog, type AuditVerification } from './audit-log.ts';
export { redactConnectionString } from './connection-string.ts';

export interface StoreOptions {
  /** gatehouse's state directory; the embedded database lives in `<stateDir>/pglite`. */
  readonly stateDir: string;
  /**
   * A PostgreSQL connection string (the caller passes `DATABASE_URL`). When set, the store lives there and `stateDir`
   * is not touched.
   */
  readonly databaseUrl?: string;
  /**
   * PGlite only: how long to wait for another process holding the state dir, in milliseconds (0, the default, refuses
   * at once with `STORE_LOCKED`; `Infinity` waits without limit), and a callback told the holder's pid once, when
   * waiting starts.
   */
  readonly lockWaitMs?: number;
  readonly onLockWait?: (holderPid: string) => void;
}

export interface Store {
  readonly db: Db;
  readonly audit: AuditLog;
  readonly snapshots: SnapshotStore;
  /** Persistent HTTP validator cache for sources (`PluginDeps.cache`). */
  readonly cache: KeyValueCache;
  /** Durable bookkeeping of targets (`PluginDeps.state`). */
  readonly state: TargetState;
  /** Closes the database and releases the state dir. Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens the store and brings its schema up to date: PostgreSQL when `databaseUrl` is given, else embedded PGlite in
 * the state dir (created on first use; cold start takes seconds, later opens well under one).
 *
 * Throws `GatehouseError('STORE_FAILED')` with the driver's error as `cause`. No message, detail or cause carries the
 * database password: the URL is redacted, and a driver error quoting the password is replaced by a scrubbed copy.
 * The password is also registered with core's redactor, for any later output.
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  // An empty DATABASE_URL means unset, as in most tools; `pg` would otherwise connect to its built-in defaults.
  const url = options.databaseUrl || undefined;
  const secrets = url === undefined ? [] : connectionSecrets(url);
  for (const s of secrets) registerSecret(s);
  const where = url === undefined ? `PGlite in ${options.stateDir}` : `PostgreSQL at ${redactConnectionString(url)}`;
  let db: Db | undefined;
  try {
    db =
      url === undefined
        ? await openPglite(options.stateDir, {
            lock: {
              ...(options.lockWaitMs === undefined ? {} : { waitMs: options.lockWaitMs }),
              ...(options.onLockWait ? { onWait: options.onLockWait } : {}),
            },
          })
        : await openPostgres(url);
    await migrate(db);
  } catch (e) {
    await db?.close().catch(() => {});
    const cause = scrubSecrets(e, secrets);
    if (isGatehouseError(cause)) throw cause;
    throw new GatehouseError('STORE_FAILED', `could not open the store (${where}): ${describeError(cause)}`, {
      cause,
      details: { backend: url === undefined ? 'pglite' : 'postgres' },
    });
  }
  const opened = db;
  return {
    db: opened,
    audit: new SqlAuditLog(opened),
    snapshots: new SqlSnapshotStore(opened),
    cache: new SqlHttpCache(opened),
    state: new SqlTargetState(opened),
    close: () => opened.close(),
  };
}
