/**
 * Geofeed at scale (issue 12, goal 3). Run: `node_modules/.bin/node bench/geofeed.ts` (N=200000 by default).
 *
 * A geofeed of N lines (IPv4 and IPv6 prefixes over 40 countries) is served over loopback HTTP by this process, read
 * by a geofeed source filtered to 10 countries and planned for an nftables target (kernel: false, so observe reads its
 * include file, which holds half of the previous plan's prefixes). This process only generates and serves the feed:
 * every memory figure is the peak RSS (VmHWM) of a separate process doing the planning, so the feed's generator does
 * not count.
 *
 * 1. Plan path in a child process: source read → target desired → observe → diff, median of REPS, with the child's
 *    peak RSS after one pass (as `gatehouse plan`) and after REPS passes (as `serve`); the same child on a 10-line feed is the floor (Node, the modules, the runtime).
 * 2. The real `gatehouse plan` CLI (embedded store, a config with that source and target), wall time and peak RSS;
 *    the same CLI on a 10-line feed is the floor; a process that only opens and closes the same store shows what of
 *    the floor is the store. The same feed served with an ETag: the first run keeps the body in the store's HTTP
 *    cache, the next ones are answered 304 and read it from there.
 * 3. The pieces of a source read, in this process: fetch, parse (lines and CSV fields), validate (prefix and country
 *    of every line), filter, aggregate, and parse + validate + filter as the source does it.
 *
 * Goal: plan ≤ 3 s and ≤ 300 MB in every run: the CLI, one pass and REPS passes in one process.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aggregate, parsePrefix, type Prefix } from '../src/core/address.ts';
import { matcher } from '../src/sources/geofeed/match.ts';
import { parseGeofeedKeeping, splitCsvLine } from '../src/sources/geofeed/parse.ts';
import { httpRequest } from '../src/adapters/http.ts';

const N = Number(process.env.N ?? 200_000);
const REPS = Number(process.env.REPS ?? 3);
const COUNTRIES = Array.from({ length: 40 }, (_, i) => String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26)));
const KEEP = COUNTRIES.slice(0, 10);
const root = fileURLToPath(new URL('..', import.meta.url));
const CHILD = fileURLToPath(new URL('./geofeed/plan-path.ts', import.meta.url));
/** Prints the process's peak RSS on exit; loaded before the CLI with --import. */
const PEAK_HOOK =
  'data:text/javascript,process.on("exit",()=>process.stderr.write("\\npeak-rss-kb "+process.resourceUsage().maxRSS+"\\n"))';

function feed(lines: number, seed: number): string {
  let a = seed;
  const r = () => (a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const out = ['# bench geofeed'];
  for (let i = 0; i < lines; i++) {
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
    out.push(`${prefix},${country},${country}-X,City ${i % 97},`);
  }
  return out.join('\n') + '\n';
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
async function time<T>(into: number[], fn: () => Promise<T> | T): Promise<T> {
  const t = performance.now();
  const v = await fn();
  into.push(performance.now() - t);
  return v;
}

/** Runs a process to its end without blocking this one (which serves the feed it reads). */
function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; stdout: string; stderr: string }> {
  return new Promise((ok, fail) => {
    const t = performance.now();
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      const ms = performance.now() - t;
      if (code !== 0) fail(new Error(`${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      else ok({ ms, stdout, stderr });
    });
  });
}

interface PathResult {
  readonly ms: Record<string, number>;
  readonly firstPeakRssKb: number;
  readonly peakRssKb: number;
}

const body = feed(N, 1);
const tiny = feed(10, 2);
/** `/etag.csv` is the same feed with an ETag, answered 304 when the request names it (as a real feed server does). */
const ETAG = '"bench-1"';
const server = createServer((req, res) => {
  if (req.url === '/etag.csv') {
    if (req.headers['if-none-match'] === ETAG) return void res.writeHead(304, { etag: ETAG }).end();
    return void res.writeHead(200, { 'content-type': 'text/csv', etag: ETAG }).end(body);
  }
  res.writeHead(200, { 'content-type': 'text/csv' });
  res.end(req.url === '/tiny.csv' ? tiny : body);
});
await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
const url = `${base}/geofeed.csv`;
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-geofeed-'));
const row = (label: string, value: string) => process.stdout.write(`  ${label.padEnd(58)} ${value}\n`);
const ms = (v: number) => `${v.toFixed(0).padStart(6)} ms`;
const mb = (kb: number) => `${(kb / 1024).toFixed(0).padStart(6)} MB`;
const signedMb = (kb: number) => `${kb < 0 ? '−' : '+'}${Math.abs(kb / 1024).toFixed(0)} MB`;

try {
  // 1. The plan path in a child process.
  const path = async (feedUrl: string, name: string): Promise<PathResult> => {
    const work = join(dir, name);
    mkdirSync(work);
    const r = await run([CHILD], {
      GEOFEED_URL: feedUrl,
      GEOFEED_DIR: work,
      GEOFEED_KEEP: KEEP.join(','),
      REPS: `${REPS}`,
    });
    return JSON.parse(r.stdout) as PathResult;
  };
  const floor = await path(`${base}/tiny.csv`, 'path-floor');
  const full = await path(url, 'path');

  // 2. The real CLI: a warm-up run creates the embedded store, then the floor and the full feed, REPS each.
  const cli = async (name: string, feedUrl: string, include: string, reps = REPS) => {
    const cfg = join(dir, `cli-${name}.yaml`);
    writeFileSync(
      cfg,
      `state: { dir: ${JSON.stringify(join(dir, 'state'))} }
targets:
  db:
    type: nftables
    kernel: false
    includeFile: ${JSON.stringify(join(dir, include))}
    table: { family: inet, name: filter }
    sets: [{ name: geo, ipv4: geo_v4, ipv6: geo_v6, from: [geo], maxShrink: 1 }]
sources:
  geo: { type: geofeed, url: ${JSON.stringify(feedUrl)}, match: { country: ${JSON.stringify(KEEP)} } }
`,
    );
    const times: number[] = [];
    const peaks: number[] = [];
    for (let i = 0; i < reps; i++) {
      const r = await run(['--import', PEAK_HOOK, join(root, 'src/cli/main.ts'), '-c', cfg, 'plan'], {
        NO_COLOR: '1',
        GATEHOUSE_CACHE_DIR: join(dir, 'cache'),
      });
      times.push(r.ms);
      peaks.push(Number(/peak-rss-kb (\d+)/.exec(r.stderr)?.[1] ?? NaN));
    }
    return { ms: median(times), peakRssKb: Math.max(...peaks), peaks };
  };
  // The include file the path child left holds half of the last plan, so the CLI's diff has work to do too.
  await cli('warm-up', `${base}/tiny.csv`, 'warm-up.nft');
  // The embedded store alone: a process that opens the CLI's store (made by the warm-up) and closes it.
  const storeOnly = async () => {
    let peak = 0;
    const open = `import { openStore } from ${JSON.stringify(join(root, 'src/store/index.ts'))};
      await (await openStore({ stateDir: ${JSON.stringify(join(dir, 'state'))} })).close();`;
    for (let i = 0; i < REPS; i++) {
      const r = await run(['--import', PEAK_HOOK, '--input-type=module', '-e', open], {});
      peak = Math.max(peak, Number(/peak-rss-kb (\d+)/.exec(r.stderr)?.[1] ?? NaN));
    }
    return peak;
  };
  const storePeakKb = await storeOnly();
  const cliFloor = await cli('floor', `${base}/tiny.csv`, 'floor.nft');
  const cliFull = await cli('full', url, 'path/db.nft');
  // A feed with an ETag: the first run downloads it and keeps the body in the store's HTTP cache, the next ones get
  // 304 and read the body from the store.
  const cliEtag = await cli('etag', `${base}/etag.csv`, 'path/db.nft', REPS + 1);

  // 3. The pieces of a read, in this process.
  const t: Record<string, number[]> = { fetch: [], parse: [], validate: [], filter: [], aggregate: [], source: [] };
  let kept = 0;
  let prefixes = 0;
  const keep = matcher({ country: KEEP });
  for (let i = 0; i < REPS; i++) {
    const text = await time(
      t.fetch as number[],
      async () => (await httpRequest({ url, timeoutMs: 60_000, signal: AbortSignal.timeout(60_000) })).body,
    );
    const rows = await time(t.parse as number[], () =>
      text
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => splitCsvLine(l) as string[]),
    );
    const valid = await time(t.validate as number[], () =>
      rows.map((f, j) => {
        const country = f[1] ?? '';
        if (country !== '' && !/^[A-Za-z]{2}$/.test(country)) throw new Error(`line ${j}: bad country`);
        return { prefix: parsePrefix(f[0] ?? '', `bench:${j}`), country: country.toUpperCase() };
      }),
    );
    await time(t.filter as number[], () => valid.filter((e) => KEEP.includes(e.country)));
    const chosen = await time(t.source as number[], () => parseGeofeedKeeping(text, 'bench', keep).kept);
    kept = chosen.length;
    const chosenPrefixes: Prefix[] = chosen.map((e) => e.prefix);
    prefixes = (await time(t.aggregate as number[], () => aggregate(chosenPrefixes))).length;
  }

  process.stdout.write(
    `geofeed of ${N} lines (${(body.length / 1e6).toFixed(1)} MB), ${kept} kept (10 of 40 countries), ${prefixes} prefixes after aggregation; median of ${REPS}\n` +
      `plan path in a child process (the 10-line floor in brackets):\n`,
  );
  for (const [name, label] of [
    ['read', 'source read (fetch, parse, validate, filter, aggregate)'],
    ['desired', 'target desired'],
    ['observe', 'target observe (include file)'],
    ['diff', 'target diff'],
  ] as const)
    row(label, `${ms(full.ms[name] as number)}  (${(floor.ms[name] as number).toFixed(0)} ms)`);
  const total = full.ms.total as number;
  row(
    'source read + desired + observe + diff',
    `${ms(total)}  (${(floor.ms.total as number).toFixed(0)} ms)  goal ≤ 3000 ms: ${total <= 3000 ? 'met' : 'NOT met'}`,
  );
  for (const [label, peak, floorPeak] of [
    ['peak RSS of the planning process, one pass', full.firstPeakRssKb, floor.firstPeakRssKb],
    [`peak RSS of the planning process, ${REPS} passes`, full.peakRssKb, floor.peakRssKb],
  ] as const)
    row(
      label,
      `${mb(peak)}  (${(floorPeak / 1024).toFixed(0)} MB; ${(peak / floorPeak).toFixed(2)}× floor)  goal ≤ 300 MB: ${peak <= 300 * 1024 ? 'met' : 'NOT met'}`,
    );
  process.stdout.write(`gatehouse plan CLI, embedded store (the 10-line floor in brackets):\n`);
  row(
    'wall time of the process',
    `${ms(cliFull.ms)}  (${cliFloor.ms.toFixed(0)} ms)  goal ≤ 3000 ms: ${cliFull.ms <= 3000 ? 'met' : 'NOT met'}`,
  );
  row('peak RSS of a process that only opens and closes the store', mb(storePeakKb));
  row(
    'peak RSS of the process, 10-line feed',
    `${mb(cliFloor.peakRssKb)}  (+${((cliFloor.peakRssKb - storePeakKb) / 1024).toFixed(0)} MB over the store alone)`,
  );
  row(
    'peak RSS of the process',
    `${mb(cliFull.peakRssKb)}  (${(cliFloor.peakRssKb / 1024).toFixed(0)} MB; ${(cliFull.peakRssKb / cliFloor.peakRssKb).toFixed(2)}× floor, +${((cliFull.peakRssKb - cliFloor.peakRssKb) / 1024).toFixed(0)} MB for the feed)  goal ≤ 300 MB: ${cliFull.peakRssKb <= 300 * 1024 ? 'met' : 'NOT met'}`,
  );
  const [etagFirst = NaN, ...etag304] = cliEtag.peaks;
  const etag304Peak = Math.max(...etag304);
  row('peak RSS of each run', cliFull.peaks.map((kb) => (kb / 1024).toFixed(0)).join(', ') + ' MB');
  row(
    'feed with an ETag, first run (downloads, caches the body)',
    `${mb(etagFirst)}  (${signedMb(etagFirst - cliFull.peakRssKb)} against the feed without one)`,
  );
  row(
    `feed with an ETag, ${etag304.length} runs answered 304 (body from the store)`,
    `${mb(etag304Peak)}  (runs: ${etag304.map((kb) => (kb / 1024).toFixed(0)).join(', ')} MB)`,
  );
  process.stdout.write(`goals (peak RSS ≤ 300 MB in every run):\n`);
  const cliPeak = Math.max(cliFull.peakRssKb, cliEtag.peakRssKb);
  for (const [label, peak] of [
    [`gatehouse plan CLI, every run (${REPS} plain, ${REPS + 1} with an ETag)`, cliPeak],
    ['plan path, 1 pass', full.firstPeakRssKb],
    [`plan path, ${REPS} passes in one process (as serve)`, full.peakRssKb],
  ] as const)
    row(label, `${mb(peak)}  ${peak <= 300 * 1024 ? 'met' : 'NOT met'}`);
  process.stdout.write(`pieces of a source read, in this process:\n`);
  for (const [name, label] of [
    ['fetch', 'fetch (loopback HTTP)'],
    ['parse', 'parse (lines and CSV fields of every line)'],
    ['validate', 'validate (prefix and country of every line)'],
    ['filter', 'filter by country'],
    ['source', 'parse + validate + filter, as the source does it'],
    ['aggregate', 'aggregate'],
  ] as const)
    row(label, ms(median(t[name] as number[])));
} finally {
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
