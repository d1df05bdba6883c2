import { execFile } from 'node:child_process';
import { GatehouseError } from '../../core/errors.ts';

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
export function runCommand(argv: readonly string[], signal: AbortSignal, timeoutMs: number): Promise<string> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    execFile(
      file as string,
      args,
      { signal, timeout: timeoutMs, maxBuffer: 1 << 30, encoding: 'utf8', env: { ...process.env, LANG: 'C' } },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const why = stderr.trim().split('\n').slice(-5).join('; ') || error.message;
        reject(new GatehouseError('TARGET_FAILED', `${argv.join(' ')} failed: ${why}`, { cause: error }));
      },
    );
  });
}

/** `postmap [-c dir] ARGS…`. */
export function postmap(tools: PostfixTools, args: readonly string[], signal: AbortSignal): Promise<string> {
  const c = tools.configDir ? ['-c', tools.configDir] : [];
  return runCommand([...tools.postmap, ...c, ...args], signal, tools.timeoutMs);
}
