import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * Throwaway network namespaces for tests that need the real kernel (nftables): namespaces, veth links with addresses,
 * commands run inside a namespace, a TCP listener and a bounded TCP connect probe. Root only.
 *
 * Everything happens inside namespaces created here (`gh-test-<label>-<random>`): links are created directly inside
 * them (`ip -n`), so the host's interfaces and ruleset are never touched, and traffic only flows between addresses
 * in 10.231.0.0/16 and fd00::/8 on those links. `cleanup()` stops listeners and deletes the namespaces (deleting a
 * namespace also deletes its veth ends); a process-exit hook does the same if a test run dies first.
 */

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** Runs a command, never throwing for a non-zero exit. */
export function run(argv: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const [file, ...args] = argv as [string, ...string[]];
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { timeout: options.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ stdout, stderr, code });
      },
    );
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}

/** Runs a command and throws with its stderr if it fails. */
export async function must(argv: readonly string[], options: { input?: string; timeoutMs?: number } = {}) {
  const r = await run(argv, options);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

export const isRoot = (): boolean => process.getuid?.() === 0;

/** For node:test's `skip` option: a reason when these tests cannot run here, false when they can. */
export const skipUnlessRoot = (): string | false =>
  isRoot() ? false : 'needs root (creates network namespaces and nftables rulesets); runs on CI as root';

export interface Endpoint {
  readonly ns: string;
  /** `10.231.x.y/24` and/or `fd00:…/64`. */
  readonly addresses: readonly string[];
}

export interface Listener {
  readonly port: number;
  stop(): Promise<void>;
}

/** Tracks what a test created, so `cleanup()` can remove all of it. */
export class NetnsLab {
  readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly onExit = () => this.cleanupSync();

  constructor() {
    process.once('exit', this.onExit);
  }

  /** Creates `gh-test-<label>-<random>` with loopback up. */
  async namespace(label: string): Promise<string> {
    const name = `gh-test-${label}-${randomBytes(3).toString('hex')}`;
    await must(['ip', 'netns', 'add', name]);
    this.namespaces.push(name);
    await must(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /**
   * A veth pair between two namespaces, each end with its addresses, both up. IPv6 addresses skip duplicate address
   * detection, so they are usable at once.
   */
  async link(a: Endpoint, b: Endpoint): Promise<void> {
    const id = randomBytes(3).toString('hex');
    const [ifA, ifB] = [`gh${id}a`, `gh${id}b`];
    await must(['ip', '-n', a.ns, 'link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB, 'netns', b.ns]);
    for (const [end, ifname] of [
      [a, ifA],
      [b, ifB],
    ] as const) {
      for (const addr of end.addresses) {
        const extra = addr.includes(':') ? ['nodad'] : [];
        await must(['ip', '-n', end.ns, 'addr', 'add', addr, 'dev', ifname, ...extra]);
      }
      await must(['ip', '-n', end.ns, 'link', 'set', ifname, 'up']);
    }
  }

  /** Runs `argv` inside `ns`. */
  exec(ns: string, argv: readonly string[], options: { input?: string; timeoutMs?: number } = {}) {
    return run(['ip', 'netns', 'exec', ns, ...argv], options);
  }

  /** Like `exec`, throwing on failure. */
  mustExec(ns: string, argv: readonly string[], options: { input?: string } = {}) {
    return must(['ip', 'netns', 'exec', ns, ...argv], options);
  }

  /** A TCP server on `port` (all addresses, IPv4 and IPv6) inside `ns` that accepts and closes connections. */
  async listen(ns: string, port: number): Promise<Listener> {
    const script = `require('node:net').createServer((s) => s.end()).listen({ port: ${port}, host: '::', ipv6Only: false }, () => console.log('ready'));`;
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(child);
    await new Promise<void>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`listener in ${ns} did not start: ${err}`)), 10_000);
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.stdout.on('data', (b: Buffer) => {
        if (b.toString().includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`listener in ${ns} exited (${code}): ${err}`));
      });
    });
    return { port, stop: () => this.stopChild(child) };
  }

  /**
   * Whether a TCP connection from `fromNs` to `host:port` is established within `timeoutMs` (at most 2 s). A dropped
   * SYN shows as a timeout, a refused one as an error: both are false.
   */
  async canConnect(fromNs: string, host: string, port: number, timeoutMs = 1500): Promise<boolean> {
    const ms = Math.min(timeoutMs, 2000);
    const script =
      `const s = require('node:net').connect({ host: ${JSON.stringify(host)}, port: ${port} });` +
      `s.setTimeout(${ms}, () => process.exit(2)); s.on('connect', () => process.exit(0)); s.on('error', () => process.exit(1));`;
    const r = await this.exec(fromNs, [process.execPath, '-e', script], { timeoutMs: ms + 3000 });
    return r.code === 0;
  }

  /** Stops listeners and deletes every namespace created. Safe to call twice; never throws. */
  async cleanup(): Promise<void> {
    await Promise.all([...this.children].map((c) => this.stopChild(c)));
    for (const ns of this.namespaces.splice(0)) await run(['ip', 'netns', 'del', ns]);
    process.removeListener('exit', this.onExit);
  }

  private cleanupSync(): void {
    for (const c of this.children) c.kill('SIGKILL');
    for (const ns of this.namespaces.splice(0)) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // Already gone: nothing to clean.
      }
    }
  }

  private async stopChild(child: ChildProcess): Promise<void> {
    this.children.delete(child);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }
}
