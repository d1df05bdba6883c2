import { parsePrefix, type Prefix } from '../../core/address.ts';
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
 * {@link parseGeofeed} that keeps only the entries `keep` accepts, and counts all of them. Every line is still
 * validated; entries not kept are dropped as they are parsed, so a 200k-line feed filtered to a few countries never
 * holds all its entries in memory at once.
 * @throws GatehouseError SOURCE_INVALID_DATA naming origin and line.
 */
export function parseGeofeedKeeping(
  text: string,
  origin: string,
  keep: (e: GeofeedEntry) => boolean,
): { kept: GeofeedEntry[]; total: number } {
  const kept: GeofeedEntry[] = [];
  let total = 0;
  const body = text.replace(/^\uFEFF/, '');
  // Line by line without splitting the whole text into an array first.
  const breaks = /\r\n|\n|\r/g;
  let start = 0;
  for (let line = 1; start <= body.length; line++) {
    const m = breaks.exec(body);
    const end = m ? m.index : body.length;
    const raw = body.slice(start, end);
    start = m ? end + m[0].length : body.length + 1;
    const where = `${origin}:${line}`;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const fields = splitCsvLine(raw);
    if (fields === undefined) throw invalid(where, 'malformed quoting');
    const [prefixText = '', country = '', region = '', city = '', postal = ''] = fields;
    if (prefixText === '') throw invalid(where, 'no prefix');
    const prefix = parsePrefix(prefixText, where);
    if (country !== '' && !/^[A-Za-z]{2}$/.test(country)) {
      throw invalid(where, `country ${JSON.stringify(country)} is not an ISO 3166-1 alpha-2 code`);
    }
    const entry = { prefix, country: country.toUpperCase(), region, city, postal, line };
    total++;
    if (keep(entry)) kept.push(entry);
  }
  return { kept, total };
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
