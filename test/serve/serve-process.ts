import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface ServeProcess {
  readonly pid: number;
  /** `http://127.0.0.1:PORT` of the main listener. */
  readonly url: string;
  /** Parsed JSON log lines so far. */
  logs(): Record<string, unknown>[];
  stderr(): string;
  get(path: string): Promise<{ status: number; body: string }>;
  /** The value of one metric sample (exact name and labels as exposed), or undefined. */
  metric(sample: string): Promise<number | undefined>;
  /** Waits until `cond` holds, polling; throws after `ms`. */
  until(cond: () => boolean | Promise<boolean>, what: string, ms?: number): Promise<number>;
  signal(sig: NodeJS.Signals): void;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/**
 * Starts `gatehouse serve` as a real process and resolves once it listens (its JSON "listening" log line). Killed with
 * SIGKILL after `timeoutMs` as a last resort, so a hung daemon never outlives the test.
 */
export async function startServe(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; startMs?: number } = {},
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [MAIN, 'serve', ...args], {
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not start gatehouse serve');
  let stderr = '';
  const lines: Record<string, unknown>[] = [];
  let partial = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
    partial += b.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts) {
      try {
        lines.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        // not a log line (a warning printed by the CLI)
      }
    }
  });
  child.stdout.resume();
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, at: Date.now() });
    }),
  );
  const until = async (cond: () => boolean | Promise<boolean>, what: string, ms = 30_000) => {
    const start = Date.now();
    while (!(await cond())) {
      if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return Date.now() - start;
  };
  let exited = false;
  void exit.then(() => (exited = true));
  await until(
    () => exited || lines.some((l) => l.msg === 'listening'),
    'the daemon to listen',
    options.startMs ?? 60_000,
  );
  if (exited) throw new Error(`gatehouse serve exited before listening:\n${stderr}`);
  const url = `http://${String(lines.find((l) => l.msg === 'listening')?.http)}`;
  const get = async (path: string) => {
    const r = await fetch(url + path, { signal: AbortSignal.timeout(10_000) });
    return { status: r.status, body: await r.text() };
  };
  return {
    pid: child.pid,
    url,
    logs: () => lines,
    stderr: () => stderr,
    get,
    async metric(sample) {
      const { body } = await get('/metrics');
      const line = body.split('\n').find((l) => l.startsWith(`${sample} `));
      return line === undefined ? undefined : Number(line.slice(sample.length + 1));
    },
    until,
    signal: (sig) => child.kill(sig),
    exit,
  };
}
