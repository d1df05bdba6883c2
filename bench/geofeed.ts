/**
 * Geofeed at scale (issue 12, goal 3). Run: `node_modules/.bin/node bench/geofeed.ts` (N=200000 by default).
 *
 * A geofeed of N lines (IPv4 and IPv6 prefixes over 40 countries) served over loopback HTTP, read by the geofeed
 * source filtered to 10 countries, turned into a plan for an nftables target (kernel: false, so observe reads its
 * include file, which holds the previous plan's contents). Prints the median breakdown — fetch, parse + validate,
 * filter, aggregate (the source's read in pieces), then the target's desired, observe and diff — and the whole path
 * (source read + desired + observe + diff) with the peak RSS of this process. Goal: ≤ 3 s and ≤ 300 MB.
 */
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aggregate } from '../src/core/address.ts';
import type { DesiredContext } from '../src/core/contracts.ts';
import { geofeedSource } from '../src/sources/geofeed/index.ts';
import { matcher } from '../src/sources/geofeed/match.ts';
import { parseGeofeed } from '../src/sources/geofeed/parse.ts';
import { httpRequest } from '../src/adapters/http.ts';
import { nftablesTarget } from '../src/targets/nftables/index.ts';
import { renderInclude } from '../src/targets/nftables/render.ts';
import { testDeps } from '../src/testing/plugin-deps.ts';

const N = Number(process.env.N ?? 200_000);
const REPS = Number(process.env.REPS ?? 3);
const COUNTRIES = Array.from({ length: 40 }, (_, i) => String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26)));
const KEEP = COUNTRIES.slice(0, 10);

function feed(seed: number): string {
  let a = seed;
  const r = () => (a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const lines = ['# bench geofeed'];
  for (let i = 0; i < N; i++) {
    const country = COUNTRIES[Math.floor(r() * COUNTRIES.length)] as string;
    let prefix: string;
    if (i % 5 === 4) {
      prefix = `2001:db8:${Math.floor(r() * 0xffff).toString(16)}:${Math.floor(r() * 0xffff).toString(16)}::/64`;
    } else {
      const len = 20 + Math.floor(r() * 13);
      const v = (11 + Math.floor(r() * 100)) * 2 ** 24 + Math.floor(r() * 2 ** 24);
      const b = v - (v % 2 ** (32 - len));
      prefix = `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${len}`;
    }
    lines.push(`${prefix},${country},${country}-X,City ${i % 97},`);
  }
  return lines.join('\n') + '\n';
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
async function time<T>(into: number[], fn: () => Promise<T> | T): Promise<T> {
  const t = performance.now();
  const v = await fn();
  into.push(performance.now() - t);
  return v;
}

const body = feed(1);
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/csv' });
  res.end(body);
});
await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/geofeed.csv`;
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-geofeed-'));

try {
  const deps = testDeps({ baseDir: dir });
  const source = geofeedSource.create(
    'geo',
    geofeedSource.schema.parse({ type: 'geofeed', url, match: { country: KEEP } }),
    deps,
  );
  const target = nftablesTarget.create(
    'db',
    nftablesTarget.schema.parse({
      type: 'nftables',
      kernel: false,
      includeFile: join(dir, 'db.nft'),
      table: { family: 'inet', name: 'filter' },
      sets: [{ name: 'geo', ipv4: 'geo_v4', ipv6: 'geo_v6', from: ['geo'], maxShrink: 1 }],
    }),
    deps,
  );

  const t = {
    fetch: [],
    parse: [],
    filter: [],
    aggregate: [],
    read: [],
    desired: [],
    observe: [],
    diff: [],
    total: [],
  } as Record<string, number[]>;
  let kept = 0;
  let prefixes = 0;
  // The whole path first, so the peak RSS is that of planning, not of the pieces measured below.
  for (let i = 0; i < REPS; i++) {
    // The whole path, as a plan runs it.
    await time(t.total as number[], async () => {
      const read = await time(t.read as number[], () => source.read(AbortSignal.timeout(60_000)));
      const ctx: DesiredContext = {
        sources: new Map([['geo', { name: 'geo', type: 'geofeed', status: 'live', ...read }]]),
      };
      const desired = await time(t.desired as number[], () => target.desired(ctx));
      const observed = await time(t.observe as number[], () => target.observe(AbortSignal.timeout(60_000)));
      await time(t.diff as number[], () => target.diff(desired, observed));
      // The next run's include file holds half of this run's prefixes, so every diff has work to do.
      const half = desired.sets.map((s) => ({ ...s, prefixes: s.prefixes.filter((_, j) => j % 2 === 0) }));
      writeFileSync(join(dir, 'db.nft'), renderInclude('db', desired.table, half));
    });
  }
  const rss = process.resourceUsage().maxRSS / 1024;
  for (let i = 0; i < REPS; i++) {
    // The pieces of a read, one by one.
    const text = await time(
      t.fetch as number[],
      async () => (await httpRequest({ url, timeoutMs: 60_000, signal: AbortSignal.timeout(60_000) })).body,
    );
    const entries = await time(t.parse as number[], () => parseGeofeed(text, 'bench'));
    const keep = matcher({ country: KEEP });
    const chosen = await time(t.filter as number[], () => entries.filter(keep));
    kept = chosen.length;
    prefixes = (await time(t.aggregate as number[], () => aggregate(chosen.map((e) => e.prefix)))).length;
  }
  const total = median(t.total as number[]);
  process.stdout.write(
    `geofeed of ${N} lines (${(body.length / 1e6).toFixed(1)} MB), ${kept} kept (10 of 40 countries), ${prefixes} prefixes after aggregation; median of ${REPS}\n`,
  );
  for (const [name, label] of [
    ['fetch', '  fetch (loopback HTTP)'],
    ['parse', '  parse + validate every line'],
    ['filter', '  filter by country'],
    ['aggregate', '  aggregate'],
    ['read', 'source read (all of the above, as the source does it)'],
    ['desired', 'target desired'],
    ['observe', 'target observe (include file)'],
    ['diff', 'target diff'],
  ] as const)
    process.stdout.write(
      `  ${label.padEnd(56)} ${median(t[name] as number[])
        .toFixed(0)
        .padStart(6)} ms\n`,
    );
  process.stdout.write(
    `  ${'source read + desired + observe + diff'.padEnd(56)} ${total.toFixed(0).padStart(6)} ms  (goal ≤ 3000 ms: ${total <= 3000 ? 'met' : 'NOT met'})\n` +
      `  ${'peak RSS of this process'.padEnd(56)} ${rss.toFixed(0).padStart(6)} MB  (goal ≤ 300 MB: ${rss <= 300 ? 'met' : 'NOT met'})\n`,
  );
} finally {
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
