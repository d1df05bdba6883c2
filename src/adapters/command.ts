import { spawn } from 'node:child_process';
import { GatehouseError } from '../core/errors.ts';
import { redact } from '../core/redact.ts';

/**
 * A command exited non-zero (or was killed by a signal). `argv` is redacted; `stderr` is the command's whole error
 * output, unredacted and unbounded: callers pick the part worth showing and redact it before it goes anywhere.
 */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(argv: readonly string[], exitCode: number | null, stderr: string) {
    const shown = argv.map(redact);
    super(`${shown.join(' ')} exited with ${exitCode ?? 'a signal'}`);
    this.argv = shown;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

export interface RunCommandOptions {
  /** Written to the command's stdin, which is then closed; empty when unset. */
  readonly input?: string;
  readonly signal: AbortSignal;
  /** The command is killed after this long; only keeps a wedged tool from hanging a run. */
  readonly timeoutMs: number;
  /** Environment of the command; the process's own when unset. */
  readonly env?: NodeJS.ProcessEnv;
  /** Called with the process id once the command is started (e.g. to recognise its own events in a monitor). */
  readonly onSpawn?: (pid: number) => void;
}

/**
 * Runs `argv` (no shell; `argv[0]` is looked up in PATH) and resolves with its stdout once it exits 0.
 *
 * @throws CommandError when it exits non-zero or dies of a signal; GatehouseError ABORTED when `signal` aborts;
 *   GatehouseError TARGET_FAILED when it cannot be started or runs longer than `timeoutMs`.
 */
export function runCommand(argv: readonly string[], options: RunCommandOptions): Promise<string> {
  const { input, signal, timeoutMs, env, onSpawn } = options;
  const [file, ...rest] = argv as [string, ...string[]];
  const cmd = () => redact(argv.join(' '));
  return new Promise((resolvePromise, reject) => {
    if (signal.aborted) {
      reject(new GatehouseError('ABORTED', `aborted before running ${redact(file)}`));
      return;
    }
    const child = spawn(file, rest, {
      stdio: ['pipe', 'pipe', 'pipe'],
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      ...(env === undefined ? {} : { env }),
    });
    if (child.pid !== undefined) onSpawn?.(child.pid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // A command may exit before reading all of stdin (a syntax error on line 1); its exit status tells what happened.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
    let failed = false;
    child.on('error', (e) => {
      failed = true;
      if (signal.aborted) reject(new GatehouseError('ABORTED', `aborted: ${cmd()}`, { cause: e }));
      else if (e.name === 'AbortError') {
        reject(new GatehouseError('TARGET_FAILED', `${cmd()} did not finish within ${timeoutMs / 1000} s`));
      } else reject(new GatehouseError('TARGET_FAILED', `cannot run ${cmd()}`, { cause: e }));
    });
    child.on('close', (code) => {
      if (failed) return;
      if (code === 0) resolvePromise(Buffer.concat(out).toString('utf8'));
      else reject(new CommandError(argv, code, Buffer.concat(err).toString('utf8')));
    });
  });
}

/**
 * Runs a long-running `argv` (no shell) and calls `onLine` with each line of its stdout, in order, until it exits or
 * `signal` aborts (then it is killed and the promise resolves). `onStart` is called once it is running.
 *
 * @throws CommandError when it exits by itself (whatever the status: a monitor is not meant to end); GatehouseError
 *   TARGET_FAILED when it cannot be started.
 */
export function streamLines(
  argv: readonly string[],
  options: { readonly signal: AbortSignal; readonly onLine: (line: string) => void; readonly onStart?: () => void },
): Promise<void> {
  const { signal, onLine, onStart } = options;
  const [file, ...rest] = argv as [string, ...string[]];
  return new Promise((resolvePromise, reject) => {
    if (signal.aborted) {
      resolvePromise();
      return;
    }
    const child = spawn(file, rest, { stdio: ['ignore', 'pipe', 'pipe'], signal });
    const err: Buffer[] = [];
    let errBytes = 0;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', byLine(onLine));
    child.stderr.on('data', (b: Buffer) => {
      // Bounded: only the start of a failing monitor's complaint is worth keeping.
      if (errBytes < 64_000) err.push(b);
      errBytes += b.length;
    });
    child.on('spawn', () => onStart?.());
    let failed = false;
    child.on('error', (e) => {
      failed = true;
      if (signal.aborted) resolvePromise();
      else reject(new GatehouseError('TARGET_FAILED', `cannot run ${redact(argv.join(' '))}`, { cause: e }));
    });
    child.on('close', (code) => {
      if (failed) return;
      if (signal.aborted) resolvePromise();
      else reject(new CommandError(argv, code, Buffer.concat(err).toString('utf8')));
    });
  });
}

/** A long-running command that reads one request per line on stdin (see {@link startLineProcess}). */
export interface LineProcess {
  /** Writes `line` and a newline to its stdin; false (nothing sent) once it has ended or is ending. */
  send(line: string): boolean;
}

/**
 * Starts a long-running `argv` (no shell) that reads requests on stdin, one per line, and acts on each as it arrives
 * (e.g. `nft -i`). Its stdout is discarded; each line it writes on stderr is passed to `onError`. `onClose` is called
 * once, when it ends for any reason (exited, could not start, or `signal` aborted: then it is killed).
 */
export function startLineProcess(
  argv: readonly string[],
  options: { readonly signal: AbortSignal; readonly onError: (line: string) => void; readonly onClose: () => void },
): LineProcess {
  const { signal, onError, onClose } = options;
  const [file, ...rest] = argv as [string, ...string[]];
  let open = !signal.aborted;
  const close = () => {
    if (!open) return;
    open = false;
    onClose();
  };
  if (!open) {
    queueMicrotask(onClose);
    return { send: () => false };
  }
  const child = spawn(file, rest, { stdio: ['pipe', 'ignore', 'pipe'], signal });
  child.stderr.setEncoding('utf8');
  child.stderr.on(
    'data',
    byLine((line) => {
      if (line.trim() !== '') onError(line);
    }),
  );
  // A write to a process that just ended fails with EPIPE: the close below reports the end.
  child.stdin.on('error', () => {});
  child.on('error', close);
  child.on('close', close);
  return {
    send(line) {
      if (!open || child.stdin.destroyed || !child.stdin.writable) return false;
      child.stdin.write(`${line}\n`);
      return true;
    },
  };
}

/** A handler for a text stream's chunks that calls `onLine` with each complete line, in order (a partial last line waits). */
function byLine(onLine: (line: string) => void): (chunk: string) => void {
  let pending = '';
  return (chunk) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
}
