import { closeSync, lstatSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { basename, dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
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
 *
 * Anyone who can reach the socket can connect to it, so nothing a client does (hang up early, send data, never read,
 * never close, connect by the hundred) may disturb the holder: the holder only ever writes its pid and forgets the
 * connection.
 */
export interface StateDirLock {
  /** Stops listening, drops every open connection and removes the lock files. Idempotent. */
  release(): Promise<void>;
}

export interface LockOptions {
  /**
   * How long to wait for a live holder to release the lock, in milliseconds: 0 (the default) refuses at once,
   * `Infinity` waits without limit. Waiting polls with a growing pause (0.1 s up to 2 s).
   */
  readonly waitMs?: number;
  /** Called once, with the holder's pid, when the lock is held and the caller is about to wait for it. */
  readonly onWait?: (holderPid: string) => void;
}

/** Linux allows 108 bytes in a socket path, macOS 104, both counting the terminating NUL. */
const MAX_SOCKET_PATH = 103;
/** How long a prober waits for the holder's pid on the socket before reading the pid file instead. */
const ANSWER_WAIT_MS = 1_000;
/** How long the holder keeps a client's connection open: long enough to deliver the pid to a slow reader. */
const CLIENT_TIMEOUT_MS = 5_000;
/** Beyond this many open connections the holder drops new ones at once (a dropped prober still sees it alive). */
const MAX_CONNECTIONS = 64;
const FIRST_PAUSE_MS = 100;
const MAX_PAUSE_MS = 2_000;

/**
 * Takes the lock at `path` (a socket file, e.g. `<stateDir>/pglite.lock`; the holder's pid is also written to
 * `<path>.pid`, for probers that find the holder too busy to answer).
 *
 * Throws `STORE_LOCKED` (terminal), naming the holder's pid in the message and in `details.pid`, when a live process
 * holds it and `waitMs` passed (at once by default). Throws `STORE_FAILED` when the path is unusable.
 */
export async function lockStateDir(path: string, options: LockOptions = {}): Promise<StateDirLock> {
  socketAddress(path).close(); // a path no socket can use fails here, before anything is created
  const waitMs = options.waitMs ?? 0;
  const started = Date.now();
  let pause = FIRST_PAUSE_MS;
  let announced = false;
  let staleRemovals = 0;
  for (;;) {
    const lock = await listen(path);
    if (lock) return lock;
    const holder = await probe(path);
    if (!holder.alive) {
      // A dead holder's socket: remove it and try again at once. A few rounds cover racers doing the same.
      if (++staleRemovals > 5)
        throw new GatehouseError('STORE_FAILED', `could not take the state dir lock ${path}`, {
          details: { lock: path },
        });
      if (holder.inode !== undefined) removeIfSame(path, holder.inode);
      continue;
    }
    const waited = Date.now() - started;
    if (waited >= waitMs) throw lockedError(path, holder.pid, waitMs);
    if (!announced) {
      announced = true;
      options.onWait?.(holder.pid);
    }
    // Jitter, so processes queued behind one holder do not all retry in the same instant.
    await sleep(Math.min(pause * (0.75 + Math.random() / 2), waitMs - waited));
    pause = Math.min(pause * 2, MAX_PAUSE_MS);
  }
}

function lockedError(path: string, pid: string, waitMs: number): GatehouseError {
  const self = pid === String(process.pid);
  const who = self ? `pid ${pid}, this one` : `pid ${pid}`;
  const waited = waitMs > 0 ? ` and did not release it within ${formatMs(waitMs)}` : '';
  const what = self
    ? 'close the store this process already opened'
    : 'wait for it to finish (--wait queues behind it), stop it, or share one PostgreSQL with DATABASE_URL';
  return new GatehouseError(
    'STORE_LOCKED',
    `state dir ${dirname(path)} is in use by another gatehouse process (${who})${waited}; ${what}`,
    { terminal: true, details: { lock: path, pid: /^\d+$/.test(pid) ? Number(pid) : pid } },
  );
}

function formatMs(ms: number): string {
  return ms % 1_000 === 0 ? `${ms / 1_000}s` : `${ms}ms`;
}

/**
 * The name to bind or connect a socket at `path` by. A socket name is limited to 107 bytes; a longer path (a state dir
 * deep in a home directory or an unpacked release) is reached through the directory's descriptor on Linux,
 * `/proc/self/fd/N/<name>`, which names the same file. The descriptor must stay open while the name is in use: Node
 * unlinks a listening socket by its bound name on close, and a reused descriptor number would name another directory.
 */
function socketAddress(path: string): { address: string; close: () => void } {
  if (Buffer.byteLength(path) <= MAX_SOCKET_PATH) return { address: path, close: () => {} };
  let fd: number | undefined;
  try {
    fd = openSync(dirname(path), 'r');
  } catch {
    // no such directory, or no /proc: reported below
  }
  const address = `/proc/self/fd/${fd}/${basename(path)}`;
  if (fd === undefined || process.platform !== 'linux' || Buffer.byteLength(address) > MAX_SOCKET_PATH) {
    if (fd !== undefined) closeSync(fd);
    throw new GatehouseError('STORE_FAILED', `state dir path too long for its lock socket: ${path}`, {
      terminal: true,
    });
  }
  let open = true;
  return {
    address,
    close: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** Listens on `path`; undefined when the path exists (binding never replaces a file, which makes this atomic). */
function listen(path: string): Promise<StateDirLock | undefined> {
  const { address, close } = socketAddress(path);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    // Every event a client can cause is handled here: an unheard 'error' (EPIPE, ECONNRESET from a client that hung up
    // before the answer) would otherwise crash the holder, mid-apply.
    socket.on('error', () => {});
    // A deadline, not an idle timeout: a client streaming bytes would keep resetting an idle timer forever. Unref'd, so
    // a lingering client never keeps the holder's process alive.
    const deadline = setTimeout(() => socket.destroy(), CLIENT_TIMEOUT_MS).unref();
    socket.on('close', () => {
      clearTimeout(deadline);
      sockets.delete(socket);
    });
    socket.resume(); // discard anything a client sends
    socket.end(`${process.pid}\n`);
  });
  server.maxConnections = MAX_CONNECTIONS;
  return new Promise((resolve, reject) => {
    let listening = false;
    // After listening, errors (e.g. EMFILE while accepting) must not crash the holder either: the lock is still held,
    // the socket still listens, and a prober that cannot connect retries.
    server.on('error', (e: NodeJS.ErrnoException) => {
      if (listening) return;
      close();
      if (e.code === 'EADDRINUSE') resolve(undefined);
      else reject(e);
    });
    server.listen(address, () => {
      listening = true;
      server.unref();
      const pidFile = `${path}.pid`;
      try {
        writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o644 });
      } catch {
        // Only the busy-holder message depends on it.
      }
      let released: Promise<void> | undefined;
      resolve({
        release: () =>
          (released ??= new Promise<void>((done) => {
            server.close(() => {
              close();
              done();
            });
            for (const s of sockets) s.destroy();
            if (readPid(pidFile) === String(process.pid)) removeQuietly(pidFile);
          })),
      });
    });
  });
}

type Holder = { alive: true; pid: string } | { alive: false; inode?: number };

/**
 * Connects to a lock socket. The kernel completes the connection for any live listener, even one whose event loop is
 * busy (PGlite runs queries synchronously on it), so connecting proves the holder alive; its pid answer is waited for
 * briefly, then read from the pid file. A dead holder's socket refuses the connection.
 */
function probe(path: string): Promise<Holder> {
  const inode = inodeOf(path);
  const { address, close } = socketAddress(path);
  return new Promise<Holder>((resolve) => {
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    const socket = createConnection(address);
    const alive = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ alive: true, pid: answer.trim() || readPid(`${path}.pid`) || 'unknown' });
    };
    socket.on('connect', () => (timer = setTimeout(alive, ANSWER_WAIT_MS)));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('end', alive);
    socket.on('error', () => {
      if (timer)
        alive(); // connected, then reset: still a live holder
      else resolve({ alive: false, ...(inode === undefined ? {} : { inode }) });
    });
  }).finally(close);
}

function readPid(file: string): string | undefined {
  try {
    const text = readFileSync(file, 'utf8').trim();
    return /^\d{1,10}$/.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

function inodeOf(path: string): number | undefined {
  try {
    return lstatSync(path).ino;
  } catch {
    return undefined;
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
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
