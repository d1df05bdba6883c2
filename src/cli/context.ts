import type { Command } from 'commander';
import type { Logger } from 'pino';
import { formatIssue, type ConfigIssue } from '../core/config/load.ts';
import { redact } from '../core/redact.ts';
import { Engine } from '../engine.ts';
import { createLogger, type OutputFormat } from './output.ts';

export interface GlobalOptions {
  config: string;
  output: OutputFormat;
  logLevel: string;
  /** `--allow-include DIR`, repeatable: trees outside the config's directory that `include:` may read. */
  allowInclude: string[];
}

/** Configuration warnings go to stderr, one a line, so they never mix with a plan or JSON on stdout. */
export function printConfigWarnings(warnings: readonly ConfigIssue[]): void {
  for (const w of warnings) process.stderr.write(redact(`gatehouse: warning: ${formatIssue(w)}\n`));
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
  const engine = await Engine.open({ configFile: opts.config, logger, includeDirs: opts.allowInclude });
  printConfigWarnings(engine.config.warnings);
  try {
    return await fn(engine, logger, opts);
  } finally {
    await engine.close();
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
