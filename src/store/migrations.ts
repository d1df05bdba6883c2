import { createHash } from 'node:crypto';
import { GENESIS_HASH } from '../core/audit.ts';
import { GatehouseError } from '../core/errors.ts';
import type { Db } from './db.ts';

/** One schema step. Never edit a released migration (its checksum is recorded): add the next one. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /** One statement each: PGlite's extended protocol takes one statement per call. */
  readonly statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'audit log',
    statements: [
      // `at` is text, not timestamptz: the hash covers these exact characters, and a timestamp would come back
      // reformatted. Optional fields are NULL when absent, so a read-back event hashes like the appended one.
      `CREATE TABLE audit_log (
        seq bigint PRIMARY KEY,
        at text NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        target text NOT NULL,
        change_id text,
        kind text,
        summary text NOT NULL,
        status text NOT NULL,
        plan_id text,
        message text,
        prev_hash text NOT NULL,
        hash text NOT NULL
      )`,
      // The chain's tail in one row: appenders lock it (FOR UPDATE) to serialise, and verification compares the last
      // record against it, so removing records from the end is detected too.
      `CREATE TABLE audit_chain_head (
        id smallint PRIMARY KEY CHECK (id = 1),
        seq bigint NOT NULL,
        hash text NOT NULL
      )`,
      `INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, '${GENESIS_HASH}')`,
      // Against mistakes, not against an owner bent on tampering (who can drop the trigger): that is what the hash
      // chain is for.
      `CREATE FUNCTION audit_log_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END
      $$`,
      `CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_reject_change()`,
      `CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_reject_change()`,
    ],
  },
  {
    version: 2,
    name: 'source snapshots',
    statements: [
      `CREATE TABLE source_snapshots (
        source text PRIMARY KEY,
        facts jsonb NOT NULL,
        taken_at timestamptz NOT NULL
      )`,
    ],
  },
  {
    version: 3,
    name: 'http cache',
    statements: [
      // `body` holds JSON as text: a cache wants back exactly what it stored, and jsonb would reject a NUL character.
      `CREATE TABLE http_cache (
        key text PRIMARY KEY,
        etag text,
        last_modified text,
        body text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
    ],
  },
  {
    version: 4,
    name: 'target state',
    statements: [
      // Targets' own durable bookkeeping (core's TargetState), e.g. which accounts a target locked itself.
      `CREATE TABLE target_state (
        key text PRIMARY KEY,
        value jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
    ],
  },
  {
    version: 5,
    name: 'plan records',
    statements: [
      // Plans this installation made (`gatehouse plan`), so `apply FILE` can refuse a plan made elsewhere, forged, or
      // older than plan.maxAge. Rows are tiny; old ones are harmless (an expired plan is refused by its age).
      `CREATE TABLE plan_records (
        plan_id text PRIMARY KEY,
        made_at timestamptz NOT NULL
      )`,
    ],
  },
  {
    version: 6,
    name: 'account links',
    statements: [
      // Times are text (ISO 8601 as written): they are shown and compared as the audit log shows them.
      `CREATE TABLE links (
        id text PRIMARY KEY,
        person text NOT NULL,
        discord text,
        ldap text,
        github_id bigint NOT NULL CHECK (github_id > 0),
        github_login text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'revoked')),
        requested_by text NOT NULL,
        requested_at text NOT NULL,
        decided_by text,
        decided_at text,
        reason text
      )`,
      // One open link per person: a second GitHub account needs the first one unlinked.
      `CREATE UNIQUE INDEX links_one_open_per_person ON links (person) WHERE status IN ('pending', 'approved')`,
      // One person per approved GitHub account: the database refuses what the github target would have to reject.
      `CREATE UNIQUE INDEX links_one_approved_per_github ON links (github_id) WHERE status = 'approved'`,
      // One-time tokens of the link flow (`/link github` in Discord): only a hash is kept, so a database reader cannot
      // use one; `used_at` makes each good once.
      `CREATE TABLE link_tokens (
        token_hash text PRIMARY KEY,
        person text NOT NULL,
        discord text,
        ldap text,
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`,
      // Web sessions of the link flow and the approval queue. The cookie carries a random id; the table its hash, so a
      // database reader cannot sign in. `person` is NULL until sign-in completes.
      `CREATE TABLE web_sessions (
        id_hash text PRIMARY KEY,
        person text,
        discord text,
        ldap text,
        csrf text NOT NULL,
        oauth_state text,
        pkce_verifier text,
        expires_at timestamptz NOT NULL
      )`,
      // Plans whose changes a guard blocked, queued for an approver to release once.
      `CREATE TABLE guard_releases (
        id text PRIMARY KEY,
        target text NOT NULL,
        plan_id text NOT NULL,
        plan jsonb NOT NULL,
        blocked jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'released', 'refused')),
        requested_at text NOT NULL,
        decided_by text,
        decided_at text,
        reason text
      )`,
      // One pending release per plan and target; the same plan blocked again after a decision is queued anew.
      `CREATE UNIQUE INDEX guard_releases_one_pending ON guard_releases (plan_id, target) WHERE status = 'pending'`,
    ],
  },
  {
    version: 7,
    name: 'source snapshots as text with a digest',
    statements: [
      // Facts are only ever written and read whole: as jsonb, PostgreSQL parsed every save into a tree, which in the
      // embedded store cost ~50 MB of memory that is never given back for a 50 000-prefix geofeed. The digest lets a
      // save of unchanged facts move the time only.
      `ALTER TABLE source_snapshots ALTER COLUMN facts TYPE text USING facts::text`,
      `ALTER TABLE source_snapshots ADD COLUMN digest text`,
    ],
  },
];

/** Arbitrary but fixed: the advisory lock every gatehouse process takes while migrating one database. */
const MIGRATION_LOCK_KEY = 7_104_118_002_417;

/**
 * Brings the schema up to date in one transaction: all pending migrations apply, or none. Idempotent. Concurrent
 * openers of one PostgreSQL database queue on an advisory lock, so each migration runs once.
 *
 * Throws `STORE_FAILED` (terminal) when the database holds a migration this build does not know (it was written by a
 * newer gatehouse) or a recorded migration whose text has since changed.
 */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<{ applied: number[] }> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await tx.query<{ version: number; checksum: string }>(
      'SELECT version, checksum FROM schema_migrations ORDER BY version',
    );
    const known = new Map(migrations.map((m) => [m.version, m]));
    for (const row of rows) {
      const m = known.get(row.version);
      if (!m)
        throw new GatehouseError(
          'STORE_FAILED',
          `the database schema is at version ${row.version}, newer than this gatehouse knows; upgrade gatehouse`,
          { terminal: true },
        );
      if (checksum(m) !== row.checksum)
        throw new GatehouseError('STORE_FAILED', `migration ${m.version} (${m.name}) changed after it was applied`, {
          terminal: true,
        });
    }
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      for (const sql of m.statements) await tx.query(sql);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        checksum(m),
      ]);
      applied.push(m.version);
    }
    return { applied };
  });
}

function checksum(m: Migration): string {
  return createHash('sha256').update(JSON.stringify(m.statements)).digest('hex');
}
