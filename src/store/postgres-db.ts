import pg from 'pg';
import { parseInt8, type Db, type Queryable, type SqlValue } from './db.ts';

const INT8_OID = 20;

/** `pg` returns `int8` as a string; PGlite as a number. Parse it PGlite's way so both backends agree. */
function getTypeParser(oid: number, format: 'text' | 'binary' = 'text'): (value: string) => unknown {
  if (oid === INT8_OID && format === 'text') return parseInt8;
  return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
}
const types = { getTypeParser: getTypeParser as typeof pg.types.getTypeParser };

/**
 * Connects to a PostgreSQL server through a small `pg` pool and checks the connection with one round trip.
 * Throws the driver's error as is (the caller wraps it, redacting the URL).
 */
export async function openPostgres(url: string): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    connectionTimeoutMillis: 10_000,
    application_name: 'gatehouse',
    types,
  });
  // An idle connection that breaks (server restart, network) emits here; without a listener Node would crash the
  // process. The pool already discards that connection, and the next query opens a fresh one or reports the failure.
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
  } catch (e) {
    await pool.end().catch(() => {});
    throw e;
  }
  return new PostgresDb(pool);
}

class PostgresDb implements Db {
  readonly backend = 'postgres' as const;
  readonly #pool: pg.Pool;
  #closing: Promise<void> | undefined;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async query<T>(sql: string, params?: readonly SqlValue[]) {
    const r = await this.#pool.query(sql, params ? [...params] : undefined);
    return { rows: r.rows as T[] };
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    const tx: Queryable = {
      async query<R>(sql: string, params?: readonly SqlValue[]) {
        const r = await client.query(sql, params ? [...params] : undefined);
        return { rows: r.rows as R[] };
      },
    };
    let broken: Error | undefined;
    // A checked-out client reports a dropped connection as an 'error' event, besides failing the pending query; the
    // pool listens only to idle clients, and an unheard 'error' event would crash the process.
    const onError = (e: Error) => (broken = e);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // A connection that cannot roll back must not go back to the pool in an unknown state.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      throw e;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#pool.end();
    return this.#closing;
  }
}
