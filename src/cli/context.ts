import type { Command } from 'commander';
import type { Logger } from 'pino';
import { formatIssue, type ConfigIssue } from '../core/config/issue.ts';
import { redact } from '../core/redact.ts';
import { parseDuration } from '../core/duration.ts';
import { GatehouseError, isGatehouseError } from '../core/errors.ts';
import type { Engine } from '../engine.ts';
import { createLogger, type OutputFormat } from './output.ts';

export interface GlobalOptions {
  config: string;
  output: OutputFormat;
  logLevel: string;
  /** `--allow-include DIR`, repeatable: trees outside the config's directory that `include:` may read. */
  allowInclude: string[];
  /** `--wait` bare is `''` (main.ts rewrites it to `--wait=`) or `true`; `--wait=10s` a duration. */
  wait?: string | true;
}

/** Configuration warnings go to stderr, one a line, so they never mix with a plan or JSON on stdout. */
export function printConfigWarnings(warnings: readonly ConfigIssue[]): void {
  for (const w of warnings) process.stderr.write(redact(`gatehouse: warning: ${formatIssue(w)}\n`));
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** The signals of one command's run. */
export interface RunSignals {
  /** Aborts on SIGINT/SIGTERM or once `run.timeout` passed: for reading sources and observing targets. */
  readonly signal: AbortSignal;
  /** Aborts on SIGINT/SIGTERM only: what a change in flight may see, so the deadline never cuts one in half. */
  readonly interrupt: AbortSignal;
  /** Aborts once `run.timeout` passed, with a TIMEOUT GatehouseError as its reason; checked between changes. */
  readonly deadline: AbortSignal;
}

/**
 * Opens the engine for one command and always closes it (releasing the state lock). The run gets a deadline from
 * `run.timeout`: when it passed, the command ends with that TIMEOUT error, whatever `fn` made of the aborted work.
 */
export async function withEngine<T>(
  cmd: Command,
  fn: (engine: Engine, logger: Logger, opts: GlobalOptions, run: RunSignals) => Promise<T>,
): Promise<T> {
  const opts = globals(cmd);
  const logger = createLogger(opts.logLevel);
  const lockWaitMs = lockWait(opts.wait);
  // The engine (core pipeline, store, plugins) loads with the first command that runs one, not with `--help`.
  const { Engine } = await import('../engine.ts');
  const engine = await Engine.open({
    configFile: opts.config,
    logger,
    includeDirs: opts.allowInclude,
    ...(lockWaitMs === undefined ? {} : { lockWaitMs }),
    onLockWait: (pid) =>
      process.stderr.write(
        `gatehouse: the state dir is in use by pid ${pid}; waiting ${lockWaitMs === Infinity ? 'until it is released' : `up to ${String(opts.wait)}`}\n`,
      ),
  });
  printConfigWarnings(engine.config.warnings);
  try {
    const interrupt = interruptSignal();
    const deadline = runDeadline(engine.config.value.run.timeout);
    const run = { signal: AbortSignal.any([interrupt, deadline]), interrupt, deadline };
    // Past the deadline, its error replaces whatever the aborted work returned or threw.
    const passed = () => deadline.aborted && isGatehouseError(deadline.reason);
    let result: T;
    try {
      result = await fn(engine, logger, opts, run);
    } catch (e) {
      throw passed() ? deadline.reason : e;
    }
    if (passed()) throw deadline.reason;
    return result;
  } finally {
    await engine.close();
  }
}

/** A signal that aborts with a TIMEOUT GatehouseError once `timeout` (config `run.timeout`, e.g. `15m`) passed. */
export function runDeadline(timeout: string): AbortSignal {
  const ms = parseDuration(timeout);
  const ac = new AbortController();
  const timer = setTimeout(
    () =>
      ac.abort(
        new GatehouseError(
          'TIMEOUT',
          `run.timeout of ${timeout} passed: the run was stopped (no further change was started)`,
          { details: { timeoutMs: ms } },
        ),
      ),
    ms,
  );
  // The deadline must never be what keeps a finished command alive.
  timer.unref();
  return ac.signal;
}

/** `--wait` without a value waits without limit (Ctrl-C stops it); `--wait=DURATION` at most that long. */
export function lockWait(wait: string | true | undefined): number | undefined {
  if (wait === undefined) return undefined;
  if (wait === true || wait === '') return Infinity;
  try {
    return parseDuration(wait);
  } catch (e) {
    throw new GatehouseError('CONFIG_INVALID', `--wait: ${(e as Error).message}; write it as --wait=10s`, {
      terminal: true,
    });
  }
}

/** An AbortSignal that fires on SIGINT/SIGTERM so long operations stop between changes. */
export function interruptSignal(): AbortSignal {
  const ac = new AbortController();
  const stop = () => ac.abort(new Error('interrupted'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return ac.signal;
}
