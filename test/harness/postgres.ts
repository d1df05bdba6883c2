import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A real PostgreSQL server (Debian's `postgresql` package) for one test run: a fresh cluster in a temp dir, trust
 * authentication, listening on 127.0.0.1 only, on a free port, with its Unix socket inside the temp dir. `stop` shuts
 * it down and removes the dir; so does the test process exiting, as a last resort.
 *
 * Durability is turned down (`fsync=off`): tests kill clients, never the machine, and this keeps them fast.
 */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`: the superuser, no password. */
  readonly url: string;
  readonly port: number;
  /** A fresh, empty database on this server; returns its URL. */
  createDatabase(name?: string): Promise<string>;
  stop(): Promise<void>;
}

const INSTALL_HINT = 'install PostgreSQL with: apt-get install -y postgresql';

export async function startPostgres(options: { readyTimeoutMs?: number } = {}): Promise<PostgresServer> {
  const bin = findBinDir();
  const owner = serverOwner();
  const root = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'socket');
  mkdirSync(socketDir);
  if (owner) for (const dir of [root, socketDir]) chownSync(dir, owner.uid, owner.gid);
  const asOwner = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' };

  let child: ChildProcess | undefined;
  const cleanup = () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', cleanup);
  try {
    execFileSync(
      join(bin, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
      { ...asOwner, env, cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const port = await freePort();
    const log: string[] = [];
    child = spawn(
      join(bin, 'postgres'),
      ['-D', dataDir, '-p', String(port), '-h', '127.0.0.1', '-k', socketDir]
        .concat(['-c', 'fsync=off'])
        .concat(['-c', 'max_connections=50', '-c', 'log_min_messages=warning']),
      { ...asOwner, env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => log.push(chunk.toString('utf8'));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await waitReady(url, child, log, options.readyTimeoutMs ?? 30_000);

    const server = child;
    let counter = 0;
    return {
      url,
      port,
      async createDatabase(name = `t${process.pid}_${++counter}`) {
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        try {
          await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
        } finally {
          await admin.end();
        }
        return `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(name)}`;
      },
      async stop() {
        process.off('exit', cleanup);
        if (server.exitCode === null && server.signalCode === null) {
          const exited = new Promise((resolve) => server.once('exit', resolve));
          server.kill('SIGINT'); // fast shutdown: disconnects clients, no waiting for them
          const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (e) {
    process.off('exit', cleanup);
    cleanup();
    throw e;
  }
}

/** `PG_BIN` if set, else the newest `/usr/lib/postgresql/<version>/bin` (Debian's layout) holding a server. */
function findBinDir(): string {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const base = '/usr/lib/postgresql';
  if (existsSync(base))
    candidates.push(
      ...readdirSync(base)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => join(base, v, 'bin')),
    );
  const found = candidates.find((dir) => existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'initdb')));
  if (!found)
    throw new Error(
      `PostgreSQL server binaries (initdb, postgres) not found in ${candidates.join(', ') || base}; ${INSTALL_HINT}`,
    );
  return found;
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user the Debian package creates. */
function serverOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(`running as root, but there is no 'postgres' user to run the server as; ${INSTALL_HINT}`);
  }
}

/** A port that was free a moment ago. Another process may take it before the server binds: the server then exits and
 * `waitReady` reports its log. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, log: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`postgres exited during startup (${child.exitCode ?? child.signalCode}):\n${log.join('')}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
    }
    if (Date.now() > deadline)
      throw new Error(`postgres not ready after ${timeoutMs} ms:\n${log.join('').slice(-4_000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
