/**
 * Secret masking at every output boundary (logs, plans, errors, audit). Values resolved from `${env:…}` and
 * `${file:…}` register themselves here; any occurrence in text that leaves the process is replaced.
 *
 * Values are masked before they are serialised (`redactValue`): once a secret containing `"` or `\` is inside JSON
 * text it is escaped and no longer equals itself. `redact` on text also masks the JSON-escaped form, as a second line
 * of defence for text that was serialised elsewhere.
 */
const secrets = new Set<string>();

/** Values shorter than this are not masked: masking `1` or `on` would mangle output without protecting anything. */
const MIN_SECRET_LENGTH = 6;

const MASK = '[redacted]';

export function registerSecret(value: string): void {
  if (value.length < MIN_SECRET_LENGTH) return;
  secrets.add(value);
  const escaped = JSON.stringify(value).slice(1, -1);
  if (escaped !== value) secrets.add(escaped);
}

/** Masks every registered secret (raw or JSON-escaped) in `text`. */
export function redact(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}

/**
 * A copy of a JSON-like value with every registered secret masked in every string, object keys included. Call it on
 * anything about to be serialised for output. The input is not modified; non-plain objects (dates) pass through.
 */
export function redactValue<T>(value: T): T {
  return secrets.size === 0 ? value : (walk(value) as T);
}

function walk(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map(walk);
  if (value !== null && typeof value === 'object' && isPlain(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[redact(k)] = walk(v);
    return out;
  }
  return value;
}

function isPlain(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
