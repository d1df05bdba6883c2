import { GatehouseError } from './errors.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+)(ms|s|m|h|d)$/;

/** Matches the config's duration syntax: a whole number and one unit, e.g. `500ms`, `30s`, `15m`, `24h`, `7d`. */
export const DURATION_PATTERN = DURATION;

/**
 * Parses a duration such as `30s` or `24h` into milliseconds. One unit only, no fractions, no spaces: a duration in a
 * safety setting should read one way.
 *
 * @throws GatehouseError CONFIG_INVALID for anything else.
 */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text);
  if (!m) {
    throw new GatehouseError(
      'CONFIG_INVALID',
      `invalid duration ${JSON.stringify(text)}: use a whole number and one of ms, s, m, h, d (e.g. 30s, 24h)`,
      { terminal: true },
    );
  }
  return Number(m[1]) * (UNITS[m[2] as string] as number);
}
