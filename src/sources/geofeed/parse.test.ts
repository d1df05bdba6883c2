// node:test's describe/it return promises that the runner itself awaits.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPrefix } from '../../core/address.ts';
import { matcher } from './match.ts';
import { parseGeofeed, splitCsvLine } from './parse.ts';

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
