/**
 * Secret masking at every output boundary (logs, plans, errors, audit). Values resolved from `${env:…}` and
 * `${file:…}` register themselves here; any occurrence in text that leaves the process is replaced.
 */
const secrets = new Set<string>();

/** Values shorter than this are not masked: masking `1` or `on` would mangle output without protecting anything. */
const MIN_SECRET_LENGTH = 6;

export function registerSecret(value: string): void {
  if (value.length >= MIN_SECRET_LENGTH) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
  return out;
}
