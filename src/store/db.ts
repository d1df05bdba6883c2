/**
 * The one database seam the store needs, implemented twice: embedded PGlite (`pglite-db.ts`) and a PostgreSQL server
 * through `pg` (`postgres-db.ts`). Both speak the same SQL (PostgreSQL's), and both return values the same way, so code
 * above this file never asks which backend it runs on.
 */

/**
 * A query parameter. Deliberately narrow: these serialise identically in both drivers. Arrays and objects do not (`pg`
 * turns a JS array into a PostgreSQL array literal, PGlite follows the parameter's type), so JSON goes in as a string
 * with an explicit `::jsonb` cast.
 */
export type SqlValue = string | number | bigint | boolean | null | Date;

export interface QueryResult<T> {
  readonly rows: T[];
}

/**
 * Something that runs one statement at a time. Result values: `int8` comes back as a number (a bigint beyond 2^53),
 * `timestamptz` as a Date, `jsonb` parsed, text as string — the same in both backends.
 */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<QueryResult<T>>;
}

export interface Db extends Queryable {
  /** Which backend this is: for messages and tests, never for choosing SQL. */
  readonly backend: 'pglite' | 'postgres';
  /**
   * Runs `fn` in one transaction on one connection (READ COMMITTED): commits when it resolves, rolls back when it
   * throws and rethrows. Statements run on `tx`, not on the Db, or they run outside the transaction (on PGlite they
   * would wait for it forever: PGlite has one connection).
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Closes the connection(s) and releases the data directory. Idempotent. */
  close(): Promise<void>;
}

/** Parses an `int8` the way PGlite does, so `pg` returns the same values: a number when exact, a bigint otherwise. */
export function parseInt8(text: string): number | bigint {
  const n = BigInt(text);
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}
