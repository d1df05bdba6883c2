import { isCanonicalV4Prefix, parsePrefix, type Prefix } from '../../core/address.ts';
import { GatehouseError } from '../../core/errors.ts';

/** One line of an RFC 8805 geofeed. Geographic fields are trimmed and may be empty. */
export interface GeofeedEntry {
  readonly prefix: Prefix;
  /** ISO 3166-1 alpha-2, upper case, or ''. */
  readonly country: string;
  /** Usually ISO 3166-2 (`US-CA`), as written. */
  readonly region: string;
  readonly city: string;
  readonly postal: string;
  /** 1-based line number in the feed. */
  readonly line: number;
}

/**
 * Parses an RFC 8805 geofeed: CSV lines `prefix,country,region,city,postal` (RFC 4180 quoting; later fields may be
 * omitted; columns after the fifth are ignored so a future extension does not break reads), `#` comment lines, blank
 * lines, CRLF or LF, an optional UTF-8 BOM.
 *
 * Every line that is not blank or a comment must be valid: its prefix passes {@link parsePrefix} (no hostnames, no host
 * bits set) and its country, if given, is two letters. There is no skipping: a feed with a broken line is a broken feed,
 * and a string passed on to nft might be resolved as a hostname.
 *
 * @param origin names the feed in errors, e.g. `source eu: https://example.net/geofeed.csv`; `:<line>` is appended.
 * @throws GatehouseError SOURCE_INVALID_DATA naming origin and line.
 */
export function parseGeofeed(text: string, origin: string): GeofeedEntry[] {
  return parseGeofeedKeeping(text, origin, () => true).kept;
}

/**
 * Which entries {@link parseGeofeedKeeping} keeps. `country`, when given, must agree with the predicate: false only for
 * a country (upper case, or '') no entry of which the predicate keeps. It lets the parser drop such a line after
 * validating it, without building its entry.
 */
export type GeofeedKeep = ((e: GeofeedEntry) => boolean) & { readonly country?: (country: string) => boolean };

/**
 * {@link parseGeofeed} that keeps only the entries `keep` accepts, and counts all of them. Every line is still
 * validated, in the same order and with the same errors; entries not kept are never held, and a line whose country
 * `keep.country` refuses is checked in place without building its entry, so a 200k-line feed filtered to a few
 * countries costs little more memory than the entries it keeps.
 * @throws GatehouseError SOURCE_INVALID_DATA naming origin and line.
 */
export function parseGeofeedKeeping(
  text: string,
  origin: string,
  keep: GeofeedKeep,
): { kept: GeofeedEntry[]; total: number } {
  const kept: GeofeedEntry[] = [];
  let total = 0;
  const keepCountry = keep.country;
  const len = text.length;
  // Field bounds of the current line, trimmed: [starts[k], ends[k]) for the first five fields.
  const starts = [0, 0, 0, 0, 0];
  const ends = [0, 0, 0, 0, 0];
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  // Line by line, by character codes: no array of lines, and no string for a blank, comment or dropped line.
  for (let line = 1; start <= len; line++) {
    let end = start;
    let quote = false;
    let fields = 0;
    let fieldStart = start;
    for (; end < len; end++) {
      const c = text.charCodeAt(end);
      if (c === 0x0a || c === 0x0d) break;
      if (c === 0x22) quote = true;
      else if (c === 0x2c && fields < 5) {
        trimmed(text, fieldStart, end, fields, starts, ends);
        fields++;
        fieldStart = end + 1;
      }
    }
    if (fields < 5) trimmed(text, fieldStart, end, fields++, starts, ends);
    const next = text.charCodeAt(end) === 0x0d && text.charCodeAt(end + 1) === 0x0a ? end + 2 : end + 1;
    const lineStart = start;
    start = next;

    let first = lineStart;
    while (first < end && isBlank(text.charCodeAt(first))) first++;
    if (first === end || text.charCodeAt(first) === 0x23) continue;
    if (quote) {
      // Quoted fields are rare in geofeeds: the general reading.
      const entry = readFields(splitCsvLine(text.slice(lineStart, end)), at(origin, line), line);
      total++;
      if (keep(entry)) kept.push(entry);
      continue;
    }
    const [ps = 0, cs = 0] = starts;
    const [pe = 0, ce = 0] = ends;
    if (ps === pe) throw invalid(at(origin, line), 'no prefix');
    const country = fields > 1 ? countryAt(text, cs, ce) : '';
    if (keepCountry !== undefined && country !== undefined && !keepCountry(country)) {
      // Dropped: validated exactly as a kept line, in place.
      if (!isCanonicalV4Prefix(text, ps, pe)) parsePrefix(text.slice(ps, pe), at(origin, line));
      total++;
      continue;
    }
    const field = (k: number) => (k < fields ? text.slice(starts[k], ends[k]) : '');
    const entry = readFields([field(0), field(1), field(2), field(3), field(4)], at(origin, line), line);
    total++;
    if (keep(entry)) kept.push(entry);
  }
  return { kept, total };
}

/** `origin:line`, made only for a line that needs it. */
function at(origin: string, line: number): string {
  return `${origin}:${line}`;
}

/** Validates the fields of one line (undefined: malformed quoting) into its entry. */
function readFields(fields: string[] | undefined, where: string, line: number): GeofeedEntry {
  if (fields === undefined) throw invalid(where, 'malformed quoting');
  const [prefixText = '', country = '', region = '', city = '', postal = ''] = fields;
  if (prefixText === '') throw invalid(where, 'no prefix');
  const prefix = parsePrefix(prefixText, where);
  if (country !== '' && !/^[A-Za-z]{2}$/.test(country)) {
    throw invalid(where, `country ${JSON.stringify(country)} is not an ISO 3166-1 alpha-2 code`);
  }
  return { prefix, country: country.toUpperCase(), region, city, postal, line };
}

/** Stores the bounds of `text[start, end)` without the blanks `String.prototype.trim` strips as field `k`. */
function trimmed(text: string, start: number, end: number, k: number, starts: number[], ends: number[]): void {
  let a = start;
  let b = end;
  while (a < b && isBlank(text.charCodeAt(a))) a++;
  while (b > a && isBlank(text.charCodeAt(b - 1))) b--;
  starts[k] = a;
  ends[k] = b;
}

/** Exactly the characters `String.prototype.trim` strips: ECMAScript WhiteSpace and LineTerminator. */
function isBlank(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** Upper-case two-letter codes, so that reading a country allocates nothing. */
const CODES = Array.from({ length: 26 * 26 }, (_, i) => String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26)));

/** The country field `text[start, end)` as a valid upper-case code or '', or undefined when it is not one. */
function countryAt(text: string, start: number, end: number): string | undefined {
  if (start === end) return '';
  if (end - start !== 2) return undefined;
  const a = text.charCodeAt(start) | 0x20;
  const b = text.charCodeAt(start + 1) | 0x20;
  if (a < 0x61 || a > 0x7a || b < 0x61 || b > 0x7a) return undefined;
  return CODES[(a - 0x61) * 26 + (b - 0x61)];
}

/**
 * RFC 4180 fields of one line, unquoted fields trimmed; undefined when quoting is malformed (an unclosed quote — multi-line
 * fields do not occur in geofeeds — or text after a closing quote).
 */
export function splitCsvLine(line: string): string[] | undefined {
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (inQuotes) {
      if (ch !== '"') cur += ch;
      else if (line[i + 1] === '"') {
        cur += '"';
        i++;
      } else inQuotes = false;
    } else if (ch === ',') {
      fields.push(quoted ? cur : cur.trim());
      cur = '';
      quoted = false;
    } else if (ch === '"' && cur.trim() === '' && !quoted) {
      inQuotes = true;
      quoted = true;
      cur = '';
    } else if (quoted) {
      // After a closing quote only blanks may come before the comma.
      if (ch !== ' ' && ch !== '\t') return undefined;
    } else {
      cur += ch;
    }
  }
  if (inQuotes) return undefined;
  fields.push(quoted ? cur : cur.trim());
  return fields;
}

function invalid(where: string, why: string): GatehouseError {
  return new GatehouseError('SOURCE_INVALID_DATA', `${where}: ${why}`, { terminal: true, details: { origin: where } });
}
