/**
 * The planning half of bench/geofeed.ts, run as its own process so that its peak RSS is planning's alone.
 * Env: GEOFEED_URL (the feed), GEOFEED_DIR (work directory for the include file), GEOFEED_KEEP (countries, comma
 * separated), REPS. Prints `{ ms: { read, desired, observe, diff, total }, firstPeakRssKb, peakRssKb }` as JSON: medians of REPS
 * passes of source read → target desired → observe → diff, the process's peak RSS (VmHWM) after the first pass (one
 * `gatehouse plan`) and after all of them (a process planning again and again, as `serve` does).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DesiredContext } from '../../src/core/contracts.ts';
import { geofeedSource } from '../../src/sources/geofeed/index.ts';
import { nftablesTarget } from '../../src/targets/nftables/index.ts';
import { renderInclude } from '../../src/targets/nftables/render.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';

const url = process.env.GEOFEED_URL as string;
const dir = process.env.GEOFEED_DIR as string;
const keep = (process.env.GEOFEED_KEEP as string).split(',');
const REPS = Number(process.env.REPS ?? 3);

const deps = testDeps({ baseDir: dir });
const source = geofeedSource.create(
  'geo',
  geofeedSource.schema.parse({ type: 'geofeed', url, match: { country: keep } }),
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

const t: Record<string, number[]> = { read: [], desired: [], observe: [], diff: [], total: [] };
async function time<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  const start = performance.now();
  const v = await fn();
  (t[name] as number[]).push(performance.now() - start);
  return v;
}

/** VmHWM: the resident high-water mark the kernel kept for this process. */
const hwm = () =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? process.resourceUsage().maxRSS);
let firstPeakRssKb = 0;
for (let i = 0; i < REPS; i++) {
  if (i === 1) firstPeakRssKb = hwm();
  await time('total', async () => {
    const read = await time('read', () => source.read(AbortSignal.timeout(60_000)));
    const ctx: DesiredContext = {
      sources: new Map([['geo', { name: 'geo', type: 'geofeed', status: 'live', ...read }]]),
    };
    const desired = await time('desired', () => target.desired(ctx));
    const observed = await time('observe', () => target.observe(AbortSignal.timeout(60_000)));
    await time('diff', () => target.diff(desired, observed));
    // The next pass's include file holds half of this pass's prefixes, so every diff has work to do.
    const half = desired.sets.map((s) => ({ ...s, prefixes: s.prefixes.filter((_, j) => j % 2 === 0) }));
    writeFileSync(join(dir, 'db.nft'), renderInclude('db', desired.table, half));
  });
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
process.stdout.write(
  JSON.stringify({
    ms: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)])),
    firstPeakRssKb: REPS === 1 ? hwm() : firstPeakRssKb,
    peakRssKb: hwm(),
  }),
);
