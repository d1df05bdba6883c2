import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GatehouseError } from '../../src/core/errors.ts';
import { lockStateDir } from '../../src/store/state-dir-lock.ts';

const HOLDER = fileURLToPath(new URL('./lock-holder.ts', import.meta.url));

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'gatehouse-lock-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A real process holding the lock, driven over stdin/stdout. */
class Holder {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  stderr = '';
  readonly #lines: string[] = [];
  readonly #waiters: (() => void)[] = [];

  constructor(lockPath: string) {
    this.child = spawn(process.execPath, [HOLDER, lockPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (c: Buffer) => (this.stderr += c.toString('utf8')));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      this.#lines.push(line);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Resolves when the holder printed `line`; rejects if it exits first or after 20 s. */
  async expect(line: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!this.#lines.includes(line)) {
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`holder exited (${this.child.exitCode ?? this.child.signalCode}): ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`holder did not print ${line}: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    this.#lines.splice(this.#lines.indexOf(line), 1);
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Connects and misbehaves in one of several ways; resolves when this client is done (never rejects). */
function rudeClient(path: string, kind: number, keep: Socket[]): Promise<void> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    switch (kind % 5) {
      case 0: // connect and hang up at once, before the holder could answer
        socket.on('connect', () => socket.destroy());
        break;
      case 1: // hang up before the connection completed
        socket.destroy();
        resolve();
        break;
      case 2: // send garbage, then hang up
        socket.on('connect', () => socket.write(Buffer.alloc(64 * 1024, 0xff), () => socket.destroy()));
        break;
      case 3: // half-close and then vanish
        socket.on('connect', () => {
          socket.end();
          setTimeout(() => socket.destroy(), 5);
        });
        break;
      default: // connect and stay, never reading
        socket.on('connect', () => {
          socket.pause();
          keep.push(socket);
          resolve();
        });
    }
  });
}

function isLocked(e: unknown): e is GatehouseError {
  return e instanceof GatehouseError && e.code === 'STORE_LOCKED';
}

describe('state dir lock', () => {
  it('a holder survives hundreds of probes and rude clients, and still answers with its pid', async () => {
    const lockPath = join(tempDir(), 'pglite.lock');
    const holder = new Holder(lockPath);
    const idle: Socket[] = [];
    try {
      await holder.expect('ready');
      for (let batch = 0; batch < 20; batch++)
        await Promise.all(Array.from({ length: 20 }, (_, i) => rudeClient(lockPath, batch * 20 + i, idle)));
      // The holder accepts late (its loop is busy); give it time to run into every closed connection.
      await new Promise((r) => setTimeout(r, 500));
      holder.send('ping');
      await holder.expect('alive');
      await assert.rejects(lockStateDir(lockPath), (e: unknown) => {
        assert.ok(isLocked(e), String(e));
        assert.match(e.message, new RegExp(`pid ${holder.child.pid}\\b`));
        assert.equal(e.details.pid, holder.child.pid);
        return true;
      });
      // Clients that stay connected do not keep the holder from releasing.
      holder.send('release');
      await holder.expect('released');
      assert.equal(await holder.exited, 0, holder.stderr);
      assert.equal(holder.stderr, '');
      const lock = await lockStateDir(lockPath);
      await lock.release();
    } finally {
      for (const s of idle) s.destroy();
      holder.kill();
    }
  });

  it('waits for a holder with waitMs, announcing the pid once; gives up after waitMs with STORE_LOCKED', async () => {
    const lockPath = join(tempDir(), 'pglite.lock');
    const holder = new Holder(lockPath);
    try {
      await holder.expect('ready');
      const announced: string[] = [];
      const started = Date.now();
      await assert.rejects(
        lockStateDir(lockPath, { waitMs: 1_000, onWait: (pid) => announced.push(pid) }),
        (e: unknown) => isLocked(e) && /did not release it within 1s/.test(e.message),
      );
      const waited = Date.now() - started;
      assert.ok(waited >= 1_000 && waited < 5_000, `gave up after ${waited} ms`);
      assert.deepEqual(announced, [String(holder.child.pid)]);

      const queued = lockStateDir(lockPath, { waitMs: 10_000 });
      await new Promise((r) => setTimeout(r, 300));
      holder.send('release');
      const lock = await queued;
      assert.equal(await holder.exited, 0, holder.stderr);
      await lock.release();
    } finally {
      holder.kill();
    }
  });

  it('locks a state dir whose path is longer than a socket name allows, through the directory descriptor', async () => {
    const dir = join(
      tempDir(),
      'a-state-dir-deep-in-a-home-directory'.repeat(2),
      'or-in-an-unpacked-release'.repeat(2),
    );
    mkdirSync(dir, { recursive: true });
    const lockPath = join(dir, 'pglite.lock');
    assert.ok(Buffer.byteLength(lockPath) > 108, lockPath);
    const holder = new Holder(lockPath);
    try {
      await holder.expect('ready');
      assert.ok(existsSync(lockPath), 'the socket is in the state dir, under its own name');
      await assert.rejects(lockStateDir(lockPath), (e: unknown) => {
        assert.ok(isLocked(e), String(e));
        assert.equal(e.details.pid, holder.child.pid);
        return true;
      });
      // A holder killed outright leaves its socket behind: recognised as stale and taken over.
      holder.kill();
      await holder.exited;
      const lock = await lockStateDir(lockPath);
      await assert.rejects(lockStateDir(lockPath), isLocked);
      await lock.release();
      assert.ok(!existsSync(lockPath), 'release removed the socket');
      await (await lockStateDir(lockPath)).release();
    } finally {
      holder.kill();
    }
  });

  it('refuses a lock name no socket can use, before creating anything', async () => {
    const lockPath = join(tempDir(), `${'x'.repeat(110)}.lock`);
    await assert.rejects(
      lockStateDir(lockPath),
      (e: unknown) => e instanceof GatehouseError && e.code === 'STORE_FAILED' && /too long/.test(e.message),
    );
    assert.ok(!existsSync(lockPath));
  });
});
