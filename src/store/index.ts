import type { AuditLog, SnapshotStore } from '../core/audit.ts';
import type { KeyValueCache } from '../core/cache.ts';
import type { LinkStore, LinkTokens } from '../core/links.ts';
import type { PlanRecords } from '../core/plan-records.ts';
import type { ReleaseStore } from '../core/releases.ts';
import { describeError, GatehouseError, isGatehouseError } from '../core/errors.ts';
import { registerSecret } from '../core/redact.ts';
import type { TargetState } from '../core/target-state.ts';
import { appendAnchor, readChainHead, type AuditAnchor } from './audit-anchor.ts';
import { SqlAuditLog } from './audit-log.ts';
import { connectionSecrets, redactConnectionString, scrubSecrets } from './connection-string.ts';
import type { Db } from './db.ts';
import { SqlHttpCache } from './http-cache.ts';
import { SqlLinkTokens } from './link-tokens.ts';
import { SqlLinkStore } from './links.ts';
import { SqlReleaseStore } from './releases.ts';
import { SqlSessions } from './sessions.ts';
import { migrate } from './migrations.ts';
import { corruptStoreError, openPglite } from './pglite-db.ts';
import { openPostgres } from './postgres-db.ts';
import { SqlPlanRecords } from './plan-records.ts';
import { SqlSnapshotStore } from './snapshots.ts';
import { storeError } from './store-error.ts';
import { SqlTargetState } from './target-state.ts';

export type { Db, Queryable, QueryResult, SqlValue } from './db.ts';
export { verifyAuditLog, verifyAuditTrail, type AuditTrailVerification, type AuditVerification } from './audit-log.ts';
export { parseHead, readAnchors, type AuditAnchor, type AuditHead } from './audit-anchor.ts';
export { redactConnectionString } from './connection-string.ts';
export { type WebSession, type SqlSessions } from './sessions.ts';

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
  /**
   * Where `anchorAudit` appends the chain head (a file outside the database, e.g. `<stateDir>/audit-anchors.jsonl`).
   * Without it, `anchorAudit` writes nothing.
   */
  readonly auditAnchorFile?: string;
}

export interface Store {
  readonly db: Db;
  readonly audit: AuditLog;
  readonly snapshots: SnapshotStore;
  /** Persistent HTTP validator cache for sources (`PluginDeps.cache`). */
  readonly cache: KeyValueCache;
  /** Durable bookkeeping of targets (`PluginDeps.state`). */
  readonly state: TargetState;
  /** Which plans this installation made, and when (for `apply FILE`). */
  readonly plans: PlanRecords;
  /** Account links and their decisions (`links` source, `gatehouse link`, the approval queue). */
  readonly links: LinkStore;
  /** One-time tokens that start the link web flow (`/link github`). */
  readonly linkTokens: LinkTokens;
  /** Browser sessions of the link flow and the approval queue. */
  readonly sessions: SqlSessions;
  /** Plans blocked by guards, queued for an approver to release once. */
  readonly releases: ReleaseStore;
  /**
   * If audit events were appended (or an append was attempted) since the last call, appends the chain head to
   * `auditAnchorFile` and returns it; otherwise (or without an anchor file) returns undefined. Call it after each run.
   * Throws `STORE_FAILED` when the head cannot be read or the file cannot be written; the next call tries again.
   */
  anchorAudit(): Promise<AuditAnchor | undefined>;
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
    if (url === undefined) {
      const corrupt = corruptStoreError(options.stateDir, cause);
      if (corrupt) throw corrupt;
    }
    throw new GatehouseError('STORE_FAILED', `could not open the store (${where}): ${describeError(cause)}`, {
      cause,
      details: { backend: url === undefined ? 'pglite' : 'postgres' },
    });
  }
  const opened = db;
  const sqlAudit = new SqlAuditLog(opened);
  // Counts attempts, not successes: a batch whose COMMIT outcome is unknown may be stored, and an anchor of an
  // unchanged head is harmless.
  let unanchored = false;
  const audit: AuditLog = {
    append(events) {
      if (events.length > 0) unanchored = true;
      return sqlAudit.append(events);
    },
    list: (listOptions) => sqlAudit.list(listOptions),
  };
  const anchorFile = options.auditAnchorFile;
  return {
    db: opened,
    audit,
    async anchorAudit() {
      if (!unanchored || anchorFile === undefined) return undefined;
      // Cleared before reading the head, so an append racing with this call marks the log unanchored again.
      unanchored = false;
      try {
        const head = await readChainHead(opened);
        if (!head) throw new Error('audit_chain_head has no row');
        const anchor = { ...head, at: new Date().toISOString() };
        appendAnchor(anchorFile, anchor);
        return anchor;
      } catch (e) {
        unanchored = true;
        throw storeError(`could not anchor the audit chain head in ${anchorFile}`, e);
      }
    },
    snapshots: new SqlSnapshotStore(opened),
    cache: new SqlHttpCache(opened),
    state: new SqlTargetState(opened),
    plans: new SqlPlanRecords(opened),
    links: new SqlLinkStore(opened),
    linkTokens: new SqlLinkTokens(opened),
    sessions: new SqlSessions(opened),
    releases: new SqlReleaseStore(opened),
    close: () => opened.close(),
  };
}
