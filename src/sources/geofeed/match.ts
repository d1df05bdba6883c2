import type { GeofeedEntry } from './parse.ts';

/** Which entries to keep. Each given list is "any of"; all given lists must match. */
export interface GeofeedMatch {
  readonly country?: readonly string[];
  readonly region?: readonly string[];
  readonly city?: readonly string[];
}

/**
 * A predicate for {@link GeofeedMatch}, case-insensitive (and Unicode-normalised, so `Zürich` typed either way
 * matches). No criteria: every entry matches.
 */
export function matcher(match: GeofeedMatch | undefined): (e: GeofeedEntry) => boolean {
  const norm = (s: string) => s.normalize('NFC').toLowerCase().trim();
  const set = (list: readonly string[] | undefined) => (list === undefined ? undefined : new Set(list.map(norm)));
  const country = set(match?.country);
  const region = set(match?.region);
  const city = set(match?.city);
  return (e) =>
    (country === undefined || country.has(norm(e.country))) &&
    (region === undefined || region.has(norm(e.region))) &&
    (city === undefined || city.has(norm(e.city)));
}
