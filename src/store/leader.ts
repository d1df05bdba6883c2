import pg from 'pg';
import { abortableSleep } from '../core/poll.ts';
import { GatehouseError } from '../core/errors.ts';

/**
 * Who may apply changes. Exactly one process leads at a time; the others stand by and re-read, plan and serve HTTP but
 * never write to a target.
 */
export interface Leadership {
  /** True while this process believes it leads; cheap, for metrics and /readyz. */
  readonly leading: boolean;
  /**
   * Proves leadership with a round trip before a write. Throws `STORE_LOCKED` (not leading) when the lock is not held or
   * its connection does not answer within `checkTimeoutMs`: a leader that cannot prove it still leads must not write.
   */
  assertLeading(): Promise<void>;
  /** Campaigns until `signal` aborts: takes the lock when free, watches it while held, releases it on abort. */
  start(signal: AbortSignal): Promise<void>;
  /** Called with `true` on gaining and `false` on losing leadership. */
  onChange(listener: (leading: boolean) => void): void;
}

/**
 * The embedded store is single-process by construction (its state-dir lock), so whoever holds it leads.
 */
export class SoloLeadership implements Leadership {
  readonly leading = true;
  assertLeading(): Promise<void> {
    return Promise.resolve();
  }
  async start(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }
  onChange(listener: (leading: boolean) => void): void {
    listener(true);
  }
}

/** The advisory lock key every gatehouse process of one database contends for ("gatehous" in ASCII). */
export const LEADER_LOCK_KEY = 0x6761746568_6f7573n;

export interface PostgresLeadershipOptions {
  readonly connectionString: string;
  /** Shown in `pg_stat_activity.application_name`, so a refused CLI can say who leads. */
  readonly identity: string;
  /** How often a standby tries to take the lock and a leader proves it still holds it. Default 2 s. */
  readonly intervalMs?: number;
  /** A leader that cannot complete a round trip within this stops leading. Default 3 s. */
  readonly checkTimeoutMs?: number;
  /**
   * The server ends a leader's session after this much silence (`idle_session_timeout`), releasing the lock when the
   * leader vanished without closing its socket (network loss, frozen VM). Must exceed `checkTimeoutMs` + `intervalMs`,
   * so a cut-off leader has stopped writing before the server lets another take over. Default 10 s.
   */
  readonly sessionTimeoutMs?: number;
}

/**
 * Leader election with a PostgreSQL session-level advisory lock held on one dedicated connection, outside the pool.
 *
 * Why an advisory lock and not a lease row: the lock's lifetime is the session's, so the server releases it the moment
 * the leader's connection ends (process killed, backend terminated) with no clock comparison between machines; a lease
 * row needs synchronised clocks and a renew/expire protocol to get the same. What the lock alone does not cover — a
 * leader cut off by the network, whose session the server keeps until it notices — is closed by server-side limits on
 * that one session: `idle_session_timeout` and TCP keepalives, both shorter than the takeover goal (30 s).
 *
 * Split-brain argument: the leader proves the lock with a round trip every `intervalMs` and before every write
 * (`assertLeading`), and stops leading after `checkTimeoutMs` without an answer. The server releases the lock only
 * after `sessionTimeoutMs` of silence, which is longer, so the old leader has stopped before a new one can start.
 */
export class PostgresLeadership implements Leadership {
  readonly #o: Required<PostgresLeadershipOptions>;
  #client: pg.Client | undefined;
  #leading = false;
  readonly #listeners: ((leading: boolean) => void)[] = [];

  constructor(options: PostgresLeadershipOptions) {
    this.#o = { intervalMs: 2_000, checkTimeoutMs: 3_000, sessionTimeoutMs: 10_000, ...options };
  }

  get leading(): boolean {
    return this.#leading;
  }

  onChange(listener: (leading: boolean) => void): void {
    this.#listeners.push(listener);
  }

  async assertLeading(): Promise<void> {
    if (!this.#leading || !this.#client || !(await this.#holds(this.#client))) {
      this.#lose();
      throw new GatehouseError('STORE_LOCKED', 'not the leader: another gatehouse process applies changes', {
        terminal: false,
      });
    }
  }

  async start(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        if (!this.#client) this.#client = await this.#connect();
        if (this.#leading) {
          if (!(await this.#holds(this.#client))) this.#lose();
        } else if (await this.#tryLock(this.#client)) {
          this.#setLeading(true);
        }
      } catch {
        this.#lose();
      }
      await abortableSleep(this.#o.intervalMs, signal);
    }
    this.#lose();
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.#o.connectionString,
      application_name: this.#o.identity.slice(0, 63),
      connectionTimeoutMillis: this.#o.checkTimeoutMs,
      keepAlive: true,
    });
    // A dropped connection surfaces here as well as on the pending query; unheard, it would crash the process.
    client.on('error', () => this.#lose());
    await withTimeout(client.connect(), this.#o.checkTimeoutMs);
    const s = Math.ceil(this.#o.sessionTimeoutMs / 1_000);
    await withTimeout(
      client.query(
        `SET idle_session_timeout = '${s}s'; SET tcp_keepalives_idle = ${s}; ` +
          `SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 2; SET statement_timeout = '${this.#o.checkTimeoutMs}ms'`,
      ),
      this.#o.checkTimeoutMs,
    );
    return client;
  }

  async #tryLock(client: pg.Client): Promise<boolean> {
    const r = await withTimeout(
      client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [LEADER_LOCK_KEY.toString()]),
      this.#o.checkTimeoutMs,
    );
    return r.rows[0]?.ok === true;
  }

  /** True when this session holds the lock, proven by a round trip within the timeout. */
  async #holds(client: pg.Client): Promise<boolean> {
    try {
      const r = await withTimeout(
        client.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
             AND granted AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
          [LEADER_LOCK_KEY.toString()],
        ),
        this.#o.checkTimeoutMs,
      );
      return r.rows[0]?.n === '1';
    } catch {
      return false;
    }
  }

  #lose(): void {
    const client = this.#client;
    this.#client = undefined;
    // Ending the session releases the lock on the server if it still counts us; a broken socket is just dropped.
    client?.end().catch(() => {});
    this.#setLeading(false);
  }

  #setLeading(value: boolean): void {
    if (this.#leading === value) return;
    this.#leading = value;
    for (const l of this.#listeners) l(value);
  }
}

/**
 * Who holds the leader lock of this database, for a refused CLI's message; undefined when nobody does.
 * Runs on any connection (the pool's).
 */
export async function currentLeader(query: (sql: string, params: string[]) => Promise<{ rows: { who: string }[] }>) {
  const r = await query(
    `SELECT coalesce(a.application_name, '') || ' (backend pid ' || l.pid || ', from ' || coalesce(host(a.client_addr), 'local') || ')' AS who
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint`,
    [LEADER_LOCK_KEY.toString()],
  );
  return r.rows[0]?.who;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]);
}

/**
 * For a CLI `apply` on PostgreSQL: takes the same advisory lock the daemon's leader holds, for the duration of the
 * apply, so a CLI and `gatehouse serve` never write at once. Refused with `STORE_LOCKED` naming the holder, or, with
 * `waitMs`, retried every second until then. The embedded store needs none of this: its state-dir lock already admits
 * one process.
 */
export async function takeApplyLock(
  connectionString: string,
  options: { identity: string; waitMs?: number; onWait?: (holder: string) => void },
): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString, application_name: options.identity.slice(0, 63) });
  client.on('error', () => {});
  await client.connect();
  const deadline = Date.now() + (options.waitMs ?? 0);
  let announced = false;
  try {
    for (;;) {
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [
        LEADER_LOCK_KEY.toString(),
      ]);
      if (r.rows[0]?.ok === true) return { release: () => client.end().catch(() => {}) };
      const holder =
        (await currentLeader((sql, params) => client.query<{ who: string }>(sql, params)).catch(() => undefined)) ??
        'another gatehouse process';
      if (Date.now() >= deadline) {
        throw new GatehouseError(
          'STORE_LOCKED',
          `another gatehouse process applies changes on this database: ${holder}; while \`gatehouse serve\` leads, let it apply (or stop it), or queue with --wait`,
          { terminal: true, details: { holder } },
        );
      }
      if (!announced) options.onWait?.(holder);
      announced = true;
      await new Promise((r) => setTimeout(r, Math.min(1_000, Math.max(0, deadline - Date.now()))));
    }
  } catch (e) {
    await client.end().catch(() => {});
    throw e;
  }
}
