/**
 * Child process for the geofeed memory test (not a test itself): reads the geofeed `<file>` (countries AA..BN)
 * `<reads>` times through a geofeed source keeping 10 countries, as `serve` reads it again and again, and prints the
 * process's peak RSS in kB (VmHWM) as its only output.
 *
 * Usage: node test/sources/geofeed-peak.ts <file> <reads>
 */
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { geofeedSource } from '../../src/sources/geofeed/index.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';

const [file, reads] = process.argv.slice(2);
if (!file || reads === undefined) throw new Error('usage: geofeed-peak.ts <file> <reads>');

const countries = Array.from({ length: 40 }, (_, i) => String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26)));
const source = geofeedSource.create(
  'geo',
  geofeedSource.schema.parse({ type: 'geofeed', file: basename(file), match: { country: countries.slice(0, 10) } }),
  testDeps({ baseDir: dirname(file) }),
);
for (let i = 0; i < Number(reads); i++) {
  const read = await source.read(AbortSignal.timeout(60_000));
  if (!read.complete) throw new Error(read.notes.join('; '));
}
process.stdout.write(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 'unknown');
