import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { PGlite } from '@electric-sql/pglite';
import { GatehouseError } from '../core/errors.ts';
import type { Db, Queryable, SqlValue } from './db.ts';
import {
  cacheTemplate,
  cacheTemplateDir,
  copyTemplate,
  discardTemplate,
  findTemplate,
  saveCacheTemplate,
  type Template,
} from './pglite-template.ts';
import { lockStateDir, type LockOptions, type StateDirLock } from './state-dir-lock.ts';

/** Where the embedded database lives inside the state dir. */
export const PGLITE_DIR = 'pglite';
const INIT_PREFIX = 'pglite.init-';
/** In a store copied from a template until it first starts; holds where the template came from (`shipped`/`cache`). */
const FROM_TEMPLATE = 'gatehouse-from-template';

/**
 * Opens (creating on first use) the embedded PGlite database in `<stateDir>/pglite`, holding `<stateDir>/pglite.lock`
 * until `close`, so no second process opens the same files. A live holder makes it throw `STORE_LOCKED` at once, or
 * after `lock.waitMs` of waiting for it.
 *
 * Durability: commits are written to the WAL before `query`/`transaction` resolve, so a killed process (SIGKILL, OOM)
 * loses nothing committed; reopening replays the WAL. PGlite never fsyncs (it runs PostgreSQL with `fsync=off`, and its
 * Node filesystem layer has no fsync), so a power loss or kernel crash can lose recent commits or corrupt the files.
 * Where that matters, use PostgreSQL (`DATABASE_URL`).
 */
export async function openPglite(stateDir: string, options: { lock?: LockOptions } = {}): Promise<Db> {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const lock = await lockStateDir(join(stateDir, 'pglite.lock'), options.lock);
  try {
    const dataDir = join(stateDir, PGLITE_DIR);
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await initDataDir(stateDir, dataDir, findTemplate());
    return new PgliteDb(await openDataDir(stateDir, dataDir), lock);
  } catch (e) {
    await lock.release();
    throw e;
  }
}

/**
 * Starts PGlite on `dataDir`. A store copied from a template and never started yet (it holds the marker file) holds
 * nothing, so when it fails to start it is made again: from the user's cache template when the shipped one failed,
 * else by initdb; a failed cache template is removed.
 */
async function openDataDir(stateDir: string, dataDir: string): Promise<PGlite> {
  // PGlite creates its files world-writable (0666); a private directory keeps other local users out of them.
  chmodSync(dataDir, 0o700);
  const marker = join(dataDir, FROM_TEMPLATE);
  if (!existsSync(marker)) return start(dataDir);
  try {
    const pg = await start(dataDir);
    rmSync(marker);
    return pg;
  } catch {
    // Only the word is read: a path from the state dir is never what gets removed.
    const from = readFileSync(marker, 'utf8');
    if (from === 'cache') discardTemplate({ dir: cacheTemplateDir(), where: 'cache' });
    rmSync(dataDir, { recursive: true, force: true });
    // Ends: shipped, then cache, then initdb (whose store holds no marker).
    await initDataDir(stateDir, dataDir, from === 'shipped' ? cacheTemplate() : undefined);
    return openDataDir(stateDir, dataDir);
  }
}

/**
 * PostgreSQL settings for a store that one process uses with one session and holds megabytes, not gigabytes. The
 * server defaults (`shared_buffers=128MB`, `max_connections=100`) are allocated in PGlite's WebAssembly memory, which
 * never shrinks: they alone made a short `gatehouse plan` peak at 300 MB more than it needs. PGlite's own start
 * parameters come first (options given as `startParams` replace them, so they are repeated here).
 */
export const PGLITE_START_PARAMS: readonly string[] = [
  ...PGlite.defaultStartParams,
  ...['-c', 'shared_buffers=8MB', '-c', 'max_connections=5'],
];

/**
 * Keeps V8 from recompiling PGlite's WebAssembly (9 MB of PostgreSQL) with its optimising compiler. Those
 * compilations run on background threads while the queries run, and their working memory made the peak RSS of a
 * short process both larger (hundreds of MB) and unpredictable from run to run; the baseline compiler's code serves a
 * store this small well. Process-wide, and applied before the first PGlite compiles its module; gatehouse runs no
 * other WebAssembly.
 */
function useBaselineWasmCompiler(): void {
  setFlagsFromString('--no-wasm-tier-up');
  setFlagsFromString('--no-wasm-dynamic-tiering');
}

async function start(dataDir: string): Promise<PGlite> {
  useBaselineWasmCompiler();
  const pg = new PGlite(dataDir, { startParams: [...PGLITE_START_PARAMS] });
  try {
    await pg.waitReady;
    return pg;
  } catch (e) {
    await pg.close().catch(() => undefined);
    throw e;
  }
}

/**
 * Creates the database in a scratch directory and renames it into place, because a data directory being written holds
 * `PG_VERSION` (the "a database is here" marker) before its last files: a process killed in that window would leave a
 * directory PGlite then resumes as a database, incomplete.
 *
 * From `template` when given: a native copy, well under a second, marked as such until its first start (see
 * openDataDir). Otherwise, or when the template cannot be read, initdb in WebAssembly (several seconds), whose result
 * is then saved as the user's cache template.
 */
async function initDataDir(stateDir: string, dataDir: string, template: Template | undefined): Promise<void> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0)
    throw new GatehouseError('STORE_FAILED', `${dataDir} is not empty but holds no database (no PG_VERSION)`, {
      terminal: true,
    });
  // Leftovers of an initialisation that was killed; we hold the lock, so no one else is writing them.
  for (const name of readdirSync(stateDir))
    if (name.startsWith(INIT_PREFIX)) rmSync(join(stateDir, name), { recursive: true, force: true });
  const scratch = join(stateDir, `${INIT_PREFIX}${process.pid}`);
  mkdirSync(scratch, { mode: 0o700 });
  let copied = false;
  if (template) {
    try {
      copyTemplate(template, scratch);
      writeFileSync(join(scratch, FROM_TEMPLATE), template.where);
      copied = true;
    } catch {
      discardTemplate(template);
      rmSync(scratch, { recursive: true, force: true });
      mkdirSync(scratch, { mode: 0o700 });
    }
  }
  if (!copied) {
    useBaselineWasmCompiler();
    const pg = new PGlite(scratch);
    await pg.waitReady;
    await pg.close();
    await saveCacheTemplate(scratch);
  }
  if (existsSync(dataDir)) rmdirSync(dataDir);
  renameSync(scratch, dataDir);
}

class PgliteDb implements Db {
  readonly backend = 'pglite' as const;
  readonly #pg: PGlite;
  readonly #lock: StateDirLock;
  #closing: Promise<void> | undefined;

  constructor(pg: PGlite, lock: StateDirLock) {
    this.#pg = pg;
    this.#lock = lock;
  }

  async query<T>(sql: string, params?: readonly SqlValue[]) {
    const r = await this.#pg.query<T>(sql, params ? [...params] : undefined);
    return { rows: r.rows };
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.#pg.transaction((tx) =>
      fn({
        async query<R>(sql: string, params?: readonly SqlValue[]) {
          const r = await tx.query<R>(sql, params ? [...params] : undefined);
          return { rows: r.rows };
        },
      }),
    );
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await this.#pg.close();
      } finally {
        await this.#lock.release();
      }
    })();
    return this.#closing;
  }
}

/**
 * Recognises PGlite failing on damaged files: its WebAssembly runtime aborting while it starts (`Aborted()`, e.g. a
 * truncated control file or WAL it cannot replay), failing its start-up check, or PostgreSQL reporting a damaged page
 * (SQLSTATE XX001/XX002). Returns `STORE_CORRUPT` saying what to do, or undefined for any other error (a missing
 * permission, a full disk, a lock: those have their own messages).
 *
 * It never repairs or removes anything: the directory holds the audit log, and only its owner can decide between a
 * backup and a fresh start.
 */
export function corruptStoreError(stateDir: string, e: unknown): GatehouseError | undefined {
  const what = damageOf(e);
  if (what === undefined) return undefined;
  const dataDir = join(stateDir, PGLITE_DIR);
  return new GatehouseError(
    'STORE_CORRUPT',
    `the embedded database in ${dataDir} is damaged (${what}); gatehouse has removed and repaired nothing. ` +
      `Stop every gatehouse process using ${stateDir}, move ${dataDir} aside (keep it: it holds the audit log, ` +
      'snapshots and target state), then restore it from a backup, or let the next run start an empty store (a new ' +
      'audit log: move the audit anchor file aside with it). A power loss or a copy taken while gatehouse ran can cause ' +
      'this; PostgreSQL (DATABASE_URL) is the durable choice',
    {
      terminal: true,
      // The runtime's own text ("Aborted(). Build with -sASSERTIONS…") would mislead in a message; keep it for debugging.
      details: { dataDir, error: e instanceof Error ? e.message : String(e) },
    },
  );
}

function damageOf(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  // WebAssembly.RuntimeError, by name: the project's type libraries do not declare WebAssembly.
  if (e.name === 'RuntimeError' && /^Aborted\(/.test(e.message)) return 'PGlite aborted while opening it';
  if (/PGlite failed to initialize/i.test(e.message)) return 'PGlite could not start on it';
  const code = (e as { code?: unknown }).code;
  if (code === 'XX001' || code === 'XX002') return e.message;
  return undefined;
}
