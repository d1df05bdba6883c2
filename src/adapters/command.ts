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
}

/**
 * Runs `argv` (no shell; `argv[0]` is looked up in PATH) and resolves with its stdout once it exits 0.
 *
 * @throws CommandError when it exits non-zero or dies of a signal; GatehouseError ABORTED when `signal` aborts;
 *   GatehouseError TARGET_FAILED when it cannot be started or runs longer than `timeoutMs`.
 */
export function runCommand(argv: readonly string[], options: RunCommandOptions): Promise<string> {
  const { input, signal, timeoutMs, env } = options;
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
