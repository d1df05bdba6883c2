// node:test's describe/it return promises that the runner itself awaits.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPrefix, parsePrefix } from '../../core/address.ts';
import { matcher } from './match.ts';
import { parseGeofeed, parseGeofeedKeeping, splitCsvLine, type GeofeedEntry } from './parse.ts';

const FEED = [
  '\uFEFF# RFC 8805 example, with comments and blank lines',
  '192.0.2.0/25,US,US-AL,,',
  '',
  '   # indented comment',
  '192.0.2.5,us,US-CA,"San Francisco, CA"\r',
  '2001:db8::/32,CH,CH-ZH,Zürich,8001,extra,columns',
  '198.51.100.0/24,,,,',
  '203.0.113.0/24',
].join('\n');

describe('parseGeofeed', () => {
  it('reads prefixes and geography, skipping comments and blank lines', () => {
    const entries = parseGeofeed(FEED, 'feed');
    assert.deepEqual(
      entries.map((e) => [formatPrefix(e.prefix), e.country, e.region, e.city, e.postal, e.line]),
      [
        ['192.0.2.0/25', 'US', 'US-AL', '', '', 2],
        ['192.0.2.5', 'US', 'US-CA', 'San Francisco, CA', '', 5],
        ['2001:db8::/32', 'CH', 'CH-ZH', 'Zürich', '8001', 6],
        ['198.51.100.0/24', '', '', '', '', 7],
        ['203.0.113.0/24', '', '', '', '', 8],
      ],
    );
  });

  it('rejects an invalid line with origin and line number, never skipping it', () => {
    const bad = (line: string, pattern: RegExp) =>
      assert.throws(
        () => parseGeofeed(`# ok\n192.0.2.0/24,US\n${line}\n`, 'source f: https://example.test/feed.csv'),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, 'SOURCE_INVALID_DATA');
          assert.match(e.message, /^source f: https:\/\/example\.test\/feed\.csv:3: /);
          assert.match(e.message, pattern);
          return true;
        },
      );
    bad('localhost,US', /invalid address "localhost": not an IPv4 or IPv6 literal/);
    bad('10.0.0.1/8,US', /host bits set; did you mean 10\.0\.0\.0\/8/);
    bad('192.0.2.0/33,US', /prefix length exceeds 32/);
    bad(',US,US-CA', /no prefix/);
    bad('192.0.2.0/24,USA', /country "USA" is not an ISO 3166-1 alpha-2 code/);
    bad('192.0.2.0/24,US,"unclosed', /malformed quoting/);
    bad('192.0.2.0/24,US,"a"b', /malformed quoting/);
  });

  it('splits RFC 4180 lines', () => {
    assert.deepEqual(splitCsvLine(' a , "b ""q"", c" ,,d'), ['a', 'b "q", c', '', 'd']);
    assert.deepEqual(splitCsvLine(''), ['']);
    assert.equal(splitCsvLine('"x'), undefined);
    assert.equal(splitCsvLine('"x"y,z'), undefined);
  });
});

describe('matcher', () => {
  const entries = parseGeofeed(FEED, 'feed');
  const kept = (m: Parameters<typeof matcher>[0]) => entries.filter(matcher(m)).map((e) => e.line);

  it('keeps everything without criteria', () => {
    assert.deepEqual(kept(undefined), [2, 5, 6, 7, 8]);
    assert.deepEqual(kept({}), [2, 5, 6, 7, 8]);
  });

  it('matches case-insensitively, any-of within a list, all lists together', () => {
    assert.deepEqual(kept({ country: ['us'] }), [2, 5]);
    assert.deepEqual(kept({ country: ['US', 'ch'] }), [2, 5, 6]);
    assert.deepEqual(kept({ country: ['US'], region: ['us-ca'] }), [5]);
    assert.deepEqual(kept({ city: ['ZÜRICH'] }), [6]);
    assert.deepEqual(kept({ city: ['Zu\u0308rich'] }), [6], 'decomposed umlaut');
    assert.deepEqual(kept({ country: ['CH'], city: ['Bern'] }), []);
  });
});

/** The straightforward reading of a geofeed that {@link parseGeofeedKeeping} must agree with, line for line. */
function reference(text: string, origin: string, keep: (e: GeofeedEntry) => boolean) {
  const kept: GeofeedEntry[] = [];
  let total = 0;
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  for (const [i, raw] of lines.entries()) {
    const where = `${origin}:${i + 1}`;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const fields = splitCsvLine(raw);
    if (fields === undefined) throw new Error(`${where}: malformed quoting`);
    const [prefixText = '', country = '', region = '', city = '', postal = ''] = fields;
    if (prefixText === '') throw new Error(`${where}: no prefix`);
    const prefix = parsePrefix(prefixText, where);
    if (country !== '' && !/^[A-Za-z]{2}$/.test(country)) {
      throw new Error(`${where}: country ${JSON.stringify(country)} is not an ISO 3166-1 alpha-2 code`);
    }
    const entry = { prefix, country: country.toUpperCase(), region, city, postal, line: i + 1 };
    total++;
    if (keep(entry)) kept.push(entry);
  }
  return { kept, total };
}

function outcome(f: () => { kept: GeofeedEntry[]; total: number }) {
  try {
    return f();
  } catch (e) {
    return { error: (e as Error).message };
  }
}

describe('parseGeofeedKeeping', () => {
  const FILTERS: Parameters<typeof matcher>[0][] = [
    undefined,
    { country: ['US'] },
    { country: ['de', 'CH'] },
    { country: ['us'], region: ['US-CA'] },
    { city: ['zürich'] },
  ];
  const PREFIXES = [
    '192.0.2.0/24',
    '192.0.2.5',
    '10.0.0.0/8',
    '0.0.0.0/0',
    '255.255.255.255/32',
    '2001:db8::/32',
    '2001:DB8:0::1',
    '::ffff:192.0.2.0/120',
    '64:ff9b::192.0.2.1',
  ];
  const BAD_PREFIXES = [
    '10.0.0.1/8',
    '010.0.0.0/8',
    '192.0.2.0/08',
    '192.0.2.0/33',
    '256.0.0.0/8',
    '1.2.3',
    '192.0.2.0/',
    'localhost',
    '2001:db8::1/32',
    'fe80::1%eth0',
    '1.2.3.4/24x',
  ];
  const COUNTRIES = ['US', 'us', 'DE', 'de', 'CH', '', 'FR'];
  const BAD_COUNTRIES = ['USA', 'D1', 'ü', 'U S'];
  // Every kind of blank String.prototype.trim strips, and some it does not (zero-width space, NEL).
  const PADS = [
    '',
    ' ',
    '\t',
    '\v',
    '\f',
    '\u00a0',
    '\u1680',
    '\u2000',
    '\u200a',
    '\u2028',
    '\u202f',
    '\u3000',
    '\ufeff',
    '\u200b',
    '\u0085',
  ];
  const BREAKS = ['\n', '\r\n', '\r'];

  function randomFeed(seed: number, badRate: number): string {
    let a = seed;
    const r = () => (a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)] as T;
    const pad = (s: string) => (r() < 0.08 ? pick(PADS) + s + pick(PADS) : s);
    let text = r() < 0.2 ? '\uFEFF' : '';
    for (let i = 0; i < 30; i++) {
      const kind = r();
      let line: string;
      if (kind < 0.08) line = pick(['', '  ', '# comment', '  # indented', '\t']);
      else {
        const prefix = r() < badRate ? pick(BAD_PREFIXES) : pick(PREFIXES);
        const country = r() < badRate ? pick(BAD_COUNTRIES) : pick(COUNTRIES);
        const fields = [pad(prefix), pad(country), pick(['', 'US-CA', 'DE-HE', 'CH-ZH']), pick(['', 'Zürich', 'Bern'])];
        const k = Math.floor(r() * 4);
        if (r() < 0.15) fields[k] = k < 2 ? `"${fields[k] as string}"` : `"${pick(['x', 'a, b', 'q ""x""'])}"`;
        if (r() < 0.1) fields.push('8001', 'extra');
        line = fields.slice(0, 1 + Math.floor(r() * fields.length)).join(',');
        if (r() < badRate / 4) line += pick([',"unclosed', ',"a"b']);
      }
      text += line + pick(BREAKS);
    }
    return text;
  }

  it('agrees with reading every line in full: entries, count, and the first invalid line and why', () => {
    let failed = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const text = randomFeed(seed, seed % 4 === 0 ? 0 : 0.02);
      for (const m of FILTERS) {
        const want = outcome(() => reference(text, 'feed', matcher(m)));
        if ('error' in want) failed++;
        assert.deepEqual(
          outcome(() => parseGeofeedKeeping(text, 'feed', matcher(m))),
          want,
          `seed ${seed}`,
        );
      }
    }
    assert.ok(failed > 100 && failed < 1800, `both valid and invalid feeds were tried (${failed} invalid)`);
  });

  it('validates the lines a country filter drops as fully as the ones it keeps', () => {
    const keepUs = matcher({ country: ['US'] });
    for (const bad of [...BAD_PREFIXES, '']) {
      assert.throws(
        () => parseGeofeedKeeping(`192.0.2.0/24,US\n${bad},DE\n`, 'feed', keepUs),
        (e: Error & { code?: string }) => e.code === 'SOURCE_INVALID_DATA' && e.message.startsWith('feed:2: '),
        bad,
      );
    }
    assert.throws(() => parseGeofeedKeeping('192.0.2.0/24,DEU\n', 'feed', keepUs), /feed:1: country "DEU"/);
    const { kept, total } = parseGeofeedKeeping('192.0.2.0/24,US\n2001:db8::/32,DE\n10.0.0.0/8,de\n', 'f', keepUs);
    assert.deepEqual([kept.length, total], [1, 3]);
  });
});
