/**
 * Plan size benchmark (issue 12, goal 6). Run: `node_modules/.bin/node bench/plan-size.ts`. No root, no kernel.
 *
 * The changes of an nftables plan, as `plan --output json` prints them, against the raw nft batch that makes the
 * same change, for: a 100k-element set replaced by 100k others, and an empty set filled with 100k. Two raw batches
 * are shown for the replacement: the delta batch (`delete element` the old, `add element` the new — it says what is
 * removed, as a plan must) is the one the goal compares with; the flush batch (`flush set` + the new elements) says
 * nothing about what goes, so it is shown for reference. Also checks each element is carried once and that the JSON
 * is byte-identical when computed twice.
 */
import { formatPrefix, type Prefix } from '../src/core/address.ts';
import { canonicalJson } from '../src/core/canonical-json.ts';
import type { DesiredContext } from '../src/core/contracts.ts';
import { toJson } from '../src/cli/output.ts';
import { ELEMENTS_PER_LINE, renderBatch } from '../src/targets/nftables/render.ts';
import { nftablesTarget } from '../src/targets/nftables/index.ts';
import { testDeps } from '../src/testing/plugin-deps.ts';
import { generatePrefixes } from './lib/prefixes.ts';

const GOAL = 2;
const table = { family: 'inet', name: 'gh' } as const;
const [a, b] = [generatePrefixes(100_000, 1), generatePrefixes(100_000, 2)];

const target = nftablesTarget.create(
  'bench',
  nftablesTarget.schema.parse({
    type: 'nftables',
    table,
    sets: [{ name: 'bench', ipv4: 'allow_v4', from: ['src'] }],
    kernel: false,
    includeFile: 'bench.nft', // never written: only diff runs
  }),
  testDeps({ baseDir: '/nonexistent' }),
);
const ctx: DesiredContext = {
  sources: new Map([
    [
      'src',
      {
        name: 'src',
        type: 'static',
        status: 'live',
        facts: { addressSets: [{ name: 'src', prefixes: a }] },
        notes: [],
      },
    ],
  ]),
};
const held = (ps: readonly Prefix[]) => ({
  sets: [{ set: 'allow_v4', family: 4 as const, elements: ps.map(formatPrefix), stray: [] }],
  include: null,
});

function edits(op: 'add' | 'delete', ps: readonly Prefix[]): string {
  const texts = ps.map(formatPrefix);
  let out = '';
  for (let i = 0; i < texts.length; i += ELEMENTS_PER_LINE) {
    out += `${op} element inet gh allow_v4 { ${texts.slice(i, i + ELEMENTS_PER_LINE).join(', ')} }\n`;
  }
  return out;
}

const desired = target.desired(ctx);
const flushBatch = renderBatch(table, [{ set: 'allow_v4', family: 4, prefixes: a }]).length;
const rows: { name: string; changes: unknown; raw: number; rawName: string; elements: number }[] = [
  {
    name: '100k replaced by 100k others',
    changes: target.diff(desired, held(b)),
    raw: edits('delete', b).length + edits('add', a).length,
    rawName: 'delete old + add new',
    elements: a.length + b.length,
  },
  {
    name: 'empty set filled with 100k',
    changes: target.diff(desired, held([])),
    raw: flushBatch,
    rawName: 'flush + add',
    elements: a.length,
  },
];

console.log('plan JSON size against the raw nft batch making the same change (goal ≤ 2×)\n');
for (const r of rows) {
  const text = toJson(r.changes);
  const again = toJson(target.diff(target.desired(ctx), held(r.name.startsWith('empty') ? [] : b)));
  const carried = text.match(/"\d+\.\d+\.\d+\.\d+(\/\d+)?"/g) ?? [];
  const listed = (r.changes as { add?: string[]; remove?: string[] }[]).reduce(
    (n, c) => n + (c.add?.length ?? 0) + (c.remove?.length ?? 0),
    0,
  );
  const before = canonicalJson(r.changes, 2).length + 1;
  const ratio = text.length / r.raw;
  console.log(`${r.name}:`);
  console.log(
    `  plan JSON ${text.length} bytes; raw batch (${r.rawName}) ${r.raw} bytes → ${ratio.toFixed(2)}× (goal ≤ ${GOAL}×: ${ratio <= GOAL ? 'met' : 'NOT met'})`,
  );
  console.log(
    `  vs flush + add batch (${flushBatch} bytes): ${(text.length / flushBatch).toFixed(2)}×; one element per line (before): ${before} bytes, ${(before / r.raw).toFixed(2)}×`,
  );
  const once = carried.length === listed && new Set(carried).size === carried.length;
  console.log(
    `  ${listed} ranges in add/remove for ${r.elements} elements changed (ranges split where old and new overlap); ` +
      `addresses in the JSON ${carried.length}, each once: ${once ? 'yes' : 'NO'}; byte-identical when planned twice: ${again === text ? 'yes' : 'NO'}`,
  );
}
