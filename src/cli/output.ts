import { userInfo } from 'node:os';
import { styleText } from 'node:util';
import { createRequire } from 'node:module';
import type { Logger, default as Pino } from 'pino';
import { prettyJson } from '../core/canonical-json.ts';
import { redact, redactValue } from '../core/redact.ts';
import type { Paint } from '../core/render.ts';

export type OutputFormat = 'text' | 'json';

/** Colour only when stdout is a TTY and NO_COLOR is unset (styleText checks both). */
export const paint: Paint = (style, text) => styleText(style, text, { validateStream: true, stream: process.stdout });

/** Everything the CLI prints goes through the redactor, so a resolved secret can never reach a terminal or file. */
export function print(text: string): void {
  process.stdout.write(redact(text));
}

/** One JSON document on stdout, secrets masked in its values before it is serialised. */
export function printJson(value: unknown): void {
  print(toJson(value));
}

/** The CLI's JSON form of a value (canonical, indented, one trailing newline), secrets masked before serialising. */
export function toJson(value: unknown): string {
  return prettyJson(redactValue(value)) + '\n';
}

/** A pino logger writing JSON lines to `write` (stderr by default), secrets masked in values before serialising. */
export function createLogger(level: string, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  // Required on first use, not imported at the top: commands that log nothing (`--help`, `validate`) skip loading it.
  const pino = createRequire(import.meta.url)('pino') as typeof Pino;
  return pino(
    { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    { write: (line: string) => write(redactLine(line)) },
  );
}

/** pino hands over serialised lines; parse, mask, serialise again, so an escaped secret is masked as well. */
function redactLine(line: string): string {
  try {
    return JSON.stringify(redactValue(JSON.parse(line) as unknown)) + '\n';
  } catch {
    return redact(line);
  }
}

/** One status line on stderr, rewritten in place; silent when stderr is not a TTY. */
export function progress(label: string, total: number): { tick(name: string): void; done(): void } {
  let n = 0;
  const tty = process.stderr.isTTY;
  return {
    tick(name) {
      n++;
      if (tty) process.stderr.write(`\r\x1b[K${label} ${n}/${total} ${name}`);
    },
    done() {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}

export function actor(): string {
  const fromEnv = process.env.GATEHOUSE_ACTOR;
  if (fromEnv) return fromEnv;
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:unknown';
  }
}
