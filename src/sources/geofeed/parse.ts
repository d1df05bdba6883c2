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
  const out: GeofeedEntry[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const where = `${origin}:${line}`;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = splitCsvLine(raw);
    if (fields === undefined) throw invalid(where, 'malformed quoting');
    const [prefixText = '', country = '', region = '', city = '', postal = ''] = fields;
    if (prefixText === '') throw invalid(where, 'no prefix');
    const prefix = parsePrefix(prefixText, where);
    if (country !== '' && !/^[A-Za-z]{2}$/.test(country)) {
      throw invalid(where, `country ${JSON.stringify(country)} is not an ISO 3166-1 alpha-2 code`);
    }
    out.push({ prefix, country: country.toUpperCase(), region, city, postal, line });
  });
  return out;
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
