import { inspect } from 'node:util';
import { describeError } from '../core/errors.ts';

/**
 * Connection strings carry passwords (`postgres://user:secret@host/db`, `?password=secret`, or libpq's
 * `host=h password=secret`). Nothing derived from one may leave the process unredacted.
 */

const MASK = '***';
const KEYWORD_PASSWORD = /\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)/gi;
/**
 * `scheme://user:` then everything up to the last `@`: a password may hold an unencoded `@` or `/` (drivers accept
 * some), and masking too much is harmless where masking too little is not. Matched by hand, not with `new URL`, which
 * throws on exactly the malformed strings whose errors need redacting.
 */
const USERINFO_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^:/@?#]*:)(.*)@/is;

/** The connection string with every password replaced by `***`; safe for messages and logs. */
export function redactConnectionString(connection: string): string {
  return connection.replace(USERINFO_PASSWORD, `$1${MASK}@`).replace(KEYWORD_PASSWORD, `$1${MASK}`);
}

/**
 * Every password-like value in the connection string, raw and percent-decoded, for scrubbing text that might quote
 * it (a driver error echoing its input).
 */
export function connectionSecrets(connection: string): string[] {
  const found = new Set<string>();
  const add = (v: string) => {
    if (v === '' || v === MASK) return;
    found.add(v);
    try {
      found.add(decodeURIComponent(v));
    } catch {
      // not percent-encoded: the raw form is already recorded
    }
  };
  const userInfo = USERINFO_PASSWORD.exec(connection);
  if (userInfo?.[2] !== undefined) add(userInfo[2]);
  for (const m of connection.matchAll(KEYWORD_PASSWORD)) add((m[2] ?? '').replace(/^'|'$/g, ''));
  return [...found].sort((a, b) => b.length - a.length);
}

/**
 * The error itself when nothing in it (message, stack, cause chain, or fields such as a URL error's `input`) quotes a
 * secret; otherwise a plain Error carrying only the scrubbed message and code, because the original object cannot be
 * cleaned in place reliably.
 */
export function scrubSecrets(e: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0) return e;
  const full = inspect(e, { depth: 6 });
  if (!secrets.some((s) => full.includes(s))) return e;
  const clean = (text: string) => secrets.reduce((t, s) => t.split(s).join(MASK), text);
  const copy = new Error(clean(describeError(e)));
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string') Object.assign(copy, { code });
  return copy;
}
