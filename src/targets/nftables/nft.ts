import { CommandError, runCommand, startLineProcess, streamLines, type LineProcess } from '../../adapters/command.ts';
import { GatehouseError } from '../../core/errors.ts';
import { redact } from '../../core/redact.ts';

/**
 * How the target talks to nft: run it with arguments and optional stdin, get stdout. Replaceable in unit tests
 * (fake-nft.ts); the real one runs a command line.
 */
export interface NftRunner {
  /** @throws NftCommandError when nft exits non-zero; GatehouseError ABORTED / TARGET_FAILED if it cannot run. */
  run(
    args: readonly string[],
    options: {
      readonly input?: string;
      readonly signal: AbortSignal;
      /** Called with the started process's id: the id nft reports in `nft monitor` for its transaction. */
      readonly onSpawn?: (pid: number) => void;
    },
  ): Promise<string>;
  /**
   * Runs `nft monitor` (plain text) until `signal` aborts, calling `onLine` per line and `onStart` once it runs. Absent
   * on runners that cannot watch (unit-test fakes): then nothing is cached. Rejects when the monitor ends by itself.
   */
  monitor?(signal: AbortSignal, onLine: (line: string) => void, onStart: () => void): Promise<void>;
  /**
   * Starts `nft -i`, which runs each line it reads as one transaction, until `signal` aborts: the watch commits its
   * marker transactions through it instead of starting an nft process for each (1–6 ms instead of 15–30). Each stderr
   * line goes to `onError`; `onClose` is called once it ended. Absent on runners that cannot (unit-test fakes): markers
   * then use `run`.
   */
  interactive?(signal: AbortSignal, onError: (line: string) => void, onClose: () => void): LineProcess;
}

/** nft exited non-zero. `stderr` is a bounded, redacted excerpt. */
export class NftCommandError extends Error {
  override readonly name = 'NftCommandError';
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(argv: readonly string[], exitCode: number | null, stderr: string) {
    super(`${argv.join(' ')} exited with ${exitCode ?? 'a signal'}: ${stderr || '(no error output)'}`);
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** Generous: replacing a 500k-element set takes a few seconds; this only keeps a wedged nft from hanging a run. */
const NFT_TIMEOUT_MS = 120_000;
const MAX_ERROR_LINES = 12;
const MAX_ERROR_LINE = 240;

/**
 * nft's error output, bounded: nft echoes the offending input line under the message, and a batch line can hold
 * 50,000 elements. Redacted in case the command prefix (e.g. a sudo wrapper) carries a secret.
 */
export function summarizeStderr(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const kept = lines
    .slice(0, MAX_ERROR_LINES)
    .map((l) => (l.length > MAX_ERROR_LINE ? `${l.slice(0, MAX_ERROR_LINE)}…` : l));
  if (lines.length > MAX_ERROR_LINES) kept.push(`… ${lines.length - MAX_ERROR_LINES} more lines`);
  return redact(kept.join('\n'));
}

/** Runs `[...command, ...args]` (e.g. `['sudo', 'nft']` or `['ip', 'netns', 'exec', 'ns1', 'nft']`). */
export function commandRunner(command: readonly string[]): NftRunner {
  return {
    async run(args, { input, signal, onSpawn }) {
      try {
        return await runCommand([...command, ...args], {
          input,
          signal,
          timeoutMs: NFT_TIMEOUT_MS,
          ...(onSpawn === undefined ? {} : { onSpawn }),
        });
      } catch (e) {
        if (e instanceof CommandError) throw new NftCommandError(e.argv, e.exitCode, summarizeStderr(e.stderr));
        throw e;
      }
    },
    interactive(signal, onError, onClose) {
      return startLineProcess([...command, '-i'], { signal, onError: (l) => onError(redact(l)), onClose });
    },
    async monitor(signal, onLine, onStart) {
      try {
        // nft flushes each event line as it prints it, so a pipe delivers it at once.
        await streamLines([...command, 'monitor'], { signal, onLine, onStart });
      } catch (e) {
        if (e instanceof CommandError) throw new NftCommandError(e.argv, e.exitCode, summarizeStderr(e.stderr));
        throw e;
      }
    },
  };
}

/**
 * Wraps a failed nft run into the error the plan or apply report shows: what gatehouse was doing, with nft's own
 * message as the cause. Missing permissions become TARGET_FORBIDDEN with the fix.
 */
export function nftFailure(doing: string, e: unknown): GatehouseError {
  if (e instanceof GatehouseError) return e;
  const stderr = e instanceof NftCommandError ? e.stderr : '';
  if (/Operation not permitted/i.test(stderr)) {
    return new GatehouseError('TARGET_FORBIDDEN', `${doing}: nft needs CAP_NET_ADMIN (run as root or via sudo)`, {
      cause: e,
    });
  }
  return new GatehouseError('TARGET_FAILED', `${doing} failed`, { cause: e });
}
