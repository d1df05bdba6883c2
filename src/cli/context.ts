import type { Command } from 'commander';
import type { Logger } from 'pino';
import { parseDuration } from '../core/duration.ts';
import { GatehouseError } from '../core/errors.ts';
import { Engine } from '../engine.ts';
import { createLogger, type OutputFormat } from './output.ts';

export interface GlobalOptions {
  config: string;
  output: OutputFormat;
  logLevel: string;
  /** `--wait` bare is `''` (main.ts rewrites it to `--wait=`) or `true`; `--wait=10s` a duration. */
  wait?: string | true;
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** Opens the engine for one command and always closes it. */
export async function withEngine<T>(
  cmd: Command,
  fn: (engine: Engine, logger: Logger, opts: GlobalOptions) => Promise<T>,
): Promise<T> {
  const opts = globals(cmd);
  const logger = createLogger(opts.logLevel);
  const lockWaitMs = lockWait(opts.wait);
  const engine = await Engine.open({
    configFile: opts.config,
    logger,
    ...(lockWaitMs === undefined ? {} : { lockWaitMs }),
    onLockWait: (pid) =>
      process.stderr.write(
        `gatehouse: the state dir is in use by pid ${pid}; waiting ${lockWaitMs === Infinity ? 'until it is released' : `up to ${String(opts.wait)}`}\n`,
      ),
  });
  try {
    return await fn(engine, logger, opts);
  } finally {
    await engine.close();
  }
}

/** `--wait` without a value waits without limit (Ctrl-C stops it); `--wait=DURATION` at most that long. */
function lockWait(wait: string | true | undefined): number | undefined {
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
