import type { GeofeedKeep } from './parse.ts';

/** Which entries to keep. Each given list is "any of"; all given lists must match. */
export interface GeofeedMatch {
  readonly country?: readonly string[];
  readonly region?: readonly string[];
  readonly city?: readonly string[];
}

/**
 * A predicate for {@link GeofeedMatch}, case-insensitive (and Unicode-normalised, so `Zürich` typed either way
 * matches). No criteria: every entry matches. With a country list it also answers by country alone
 * (`GeofeedKeep.country`), with the same normalisation, so the parser can drop other countries' lines early.
 */
export function matcher(match: GeofeedMatch | undefined): GeofeedKeep {
  const norm = (s: string) => s.normalize('NFC').toLowerCase().trim();
  const set = (list: readonly string[] | undefined) => (list === undefined ? undefined : new Set(list.map(norm)));
  const country = set(match?.country);
  const region = set(match?.region);
  const city = set(match?.city);
  const keep = (e: { country: string; region: string; city: string }) =>
    (country === undefined || country.has(norm(e.country))) &&
    (region === undefined || region.has(norm(e.region))) &&
    (city === undefined || city.has(norm(e.city)));
  if (country === undefined) return keep;
  // At most 677 distinct answers ('' and AA..ZZ): remembered, so asking costs no string per line.
  const byCountry = new Map<string, boolean>();
  return Object.assign(keep, {
    country: (c: string) => {
      let yes = byCountry.get(c);
      if (yes === undefined) byCountry.set(c, (yes = country.has(norm(c))));
      return yes;
    },
  });
}
