import { CommandError, runCommand as run } from '../../adapters/command.ts';
import { GatehouseError } from '../../core/errors.ts';
import { redact } from '../../core/redact.ts';

/** How this target runs Postfix's tools. */
export interface PostfixTools {
  /** argv prefix of postmap, e.g. `['postmap']`. */
  readonly postmap: readonly string[];
  /** Passed as `-c` so postmap reads that main.cf (required when the host has no /etc/postfix/main.cf). */
  readonly configDir?: string;
  readonly timeoutMs: number;
}

/**
 * Runs a command and returns its stdout. Fails with TARGET_FAILED carrying the tail of stderr: postmap's own message
 * is the useful part ("postmap: fatal: …").
 */
export async function runCommand(argv: readonly string[], signal: AbortSignal, timeoutMs: number): Promise<string> {
  try {
    return await run(argv, { signal, timeoutMs, env: { ...process.env, LANG: 'C' } });
  } catch (e) {
    if (!(e instanceof CommandError)) throw e;
    const why = redact(e.stderr.trim().split('\n').slice(-5).join('; ')) || e.message;
    throw new GatehouseError('TARGET_FAILED', `${e.argv.join(' ')} failed: ${why}`, { cause: e });
  }
}

/** `postmap [-c dir] ARGS…`. */
export function postmap(tools: PostfixTools, args: readonly string[], signal: AbortSignal): Promise<string> {
  const c = tools.configDir ? ['-c', tools.configDir] : [];
  return runCommand([...tools.postmap, ...c, ...args], signal, tools.timeoutMs);
}
