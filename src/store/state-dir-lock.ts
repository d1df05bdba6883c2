import { lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { GatehouseError } from '../core/errors.ts';

/**
 * PGlite ignores its own `postmaster.pid` (it writes a fake pid, -42), so two processes can open one data directory at
 * once — a daemon and a CLI run, or the old and new pod of a rolling update on one node — and each would overwrite the
 * other's pages. This lock prevents that.
 *
 * The lock is a listening Unix socket in the state directory. The kernel closes it when the process dies, even on
 * SIGKILL, so a leftover socket file is recognisably stale (connecting is refused) rather than a lock held forever; a
 * live holder answers with its pid. Unlike an abstract socket it is visible to every process that sees the directory,
 * whatever network namespace (container) it runs in. It does not reach across machines (NFS): share a PostgreSQL
 * server there instead.
 */
export interface StateDirLock {
  release(): Promise<void>;
}

/** Linux allows 108 bytes in a socket path, macOS 104, both counting the terminating NUL. */
const MAX_SOCKET_PATH = 103;

/**
 * Takes the lock at `path` (a socket file, e.g. `<stateDir>/pglite.lock`).
 * Throws `STORE_FAILED` (terminal) when a live process holds it.
 */
export async function lockStateDir(path: string): Promise<StateDirLock> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH)
    throw new GatehouseError('STORE_FAILED', `state dir path too long for its lock socket: ${path}`, {
      terminal: true,
    });
  for (let attempt = 0; attempt < 5; attempt++) {
    const server = await listen(path);
    if (server) {
      server.unref();
      return { release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
    }
    const holder = await probe(path);
    if (holder.alive) {
      const who = holder.pid === String(process.pid) ? `pid ${holder.pid}, this one` : `pid ${holder.pid}`;
      throw new GatehouseError(
        'STORE_FAILED',
        `state dir is in use by another gatehouse process (${who}); stop it, or share one PostgreSQL with DATABASE_URL`,
        { terminal: true, details: { lock: path } },
      );
    }
    if (holder.inode !== undefined) removeIfSame(path, holder.inode);
  }
  throw new GatehouseError('STORE_FAILED', `could not take the state dir lock ${path}`, { details: { lock: path } });
}

/** Listens on `path`; undefined when the path exists (binding never replaces a file, which makes this atomic). */
function listen(path: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.end(`${process.pid}\n`));
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(undefined) : reject(e)));
    server.listen(path, () => resolve(server));
  });
}

type Holder = { alive: true; pid: string } | { alive: false; inode?: number };

/**
 * Connects to a lock socket. The kernel completes the connection for any live listener, even one whose event loop is
 * busy (PGlite runs queries synchronously on it), so connecting proves the holder alive; its pid answer is waited for
 * briefly, for the message only. A dead holder's socket refuses the connection.
 */
function probe(path: string): Promise<Holder> {
  const inode = inodeOf(path);
  return new Promise((resolve) => {
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    const socket = createConnection(path);
    const alive = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ alive: true, pid: answer.trim() || 'unknown' });
    };
    socket.on('connect', () => (timer = setTimeout(alive, 1_000)));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('end', alive);
    socket.on('error', () => {
      if (timer)
        alive(); // connected, then reset: still a live holder
      else resolve({ alive: false, ...(inode === undefined ? {} : { inode }) });
    });
  });
}

function inodeOf(path: string): number | undefined {
  try {
    return lstatSync(path).ino;
  } catch {
    return undefined;
  }
}

/**
 * Removes a stale socket only if it is still the one probed, so a racer that already replaced it keeps its lock. The
 * check and the unlink are two calls: two processes taking over the same stale lock within microseconds could still
 * both succeed. Acceptable for a lock whose usual contender is a human starting a second command.
 */
function removeIfSame(path: string, inode: number): void {
  if (inodeOf(path) !== inode) return;
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
