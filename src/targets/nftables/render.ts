import { isIPv6 } from 'node:net';
import type { Prefix } from '../../core/address.ts';
import { GatehouseError } from '../../core/errors.ts';
import { NFT_IDENTIFIER } from './config.ts';
import { canonicalV4Value, recordFormatted } from './set-math.ts';
import type { SetContents, TableRef } from './types.ts';

/**
 * Elements per `add element` line. nft parses long lines fastest: on a 100k-element set, lines of 50,000 and a single
 * line both take 1.30 s, lines of 1,000 take 2.01 s (1.54×; nft 1.0.6, bench/nftables.ts). 50,000 bounds the line
 * length, which matters because nft echoes the whole offending line in its error messages.
 */
export const ELEMENTS_PER_LINE = 50_000;

const CANONICAL_V6 = /^[0-9a-f:]{2,39}$/;

/**
 * Last check before an element becomes nft text: a Prefix whose address is canonical text of its family. nft resolves
 * anything that is not an address as a hostname, so nothing else may reach it, whatever a plan file says.
 */
function elementText(p: unknown, family: 4 | 6, where: string): string {
  const q = p as Partial<Prefix> | null;
  const bits = family === 4 ? 32 : 128;
  const ok =
    q !== null &&
    typeof q === 'object' &&
    q.family === family &&
    typeof q.address === 'string' &&
    Number.isInteger(q.length) &&
    (q.length as number) >= 0 &&
    (q.length as number) <= bits &&
    (family === 4 ? canonicalV4Value(q.address) !== -1 : CANONICAL_V6.test(q.address) && isIPv6(q.address));
  if (!ok) {
    throw new GatehouseError('TARGET_FAILED', `${where}: refusing to render ${JSON.stringify(p)?.slice(0, 100)}`, {
      terminal: true,
    });
  }
  return q.length === bits ? q.address : `${q.address}/${q.length}`;
}

function identifier(name: string, what: string): string {
  if (!NFT_IDENTIFIER.test(name)) {
    throw new GatehouseError('TARGET_FAILED', `refusing to render ${what} name ${JSON.stringify(name)}`, {
      terminal: true,
    });
  }
  return name;
}

/**
 * The nft batch that replaces the contents of `sets`: per set a `flush set` and `add element` lines, in order. Fed to
 * `nft -f`, it is one transaction: either every set gets its new contents or none changes. Pure.
 *
 * Each set's prefixes must be disjoint (pass them through `aggregate`): interval sets without `auto-merge` reject
 * overlapping elements. An empty set renders as a bare `flush set` (nft has no empty `add element`).
 * @throws GatehouseError TARGET_FAILED (terminal) for a name or element that is not a validated identifier / Prefix.
 */
export function renderBatch(
  table: TableRef,
  sets: readonly SetContents[],
  elementsPerLine: number = ELEMENTS_PER_LINE,
): string {
  if (table.family !== 'ip' && table.family !== 'ip6' && table.family !== 'inet') {
    throw new GatehouseError('TARGET_FAILED', `refusing to render table family ${JSON.stringify(table.family)}`);
  }
  const head = `${table.family} ${identifier(table.name, 'table')}`;
  return sets.map((s) => renderSet(head, s, elementsPerLine)).join('');
}

/**
 * One set's `flush set` and `add element` lines, each ending in a newline. Memoized by the identity of the prefix list
 * (a plan value, never mutated): diff renders the include file from the desired lists, and apply's batch and include
 * file are rendered from the same lists; at 100k elements each render costs tens of ms.
 */
function renderSet(head: string, s: SetContents, elementsPerLine: number): string {
  const key = `${head} ${s.set} ${s.family} ${elementsPerLine}`;
  const known = rendered.get(s.prefixes);
  const hit = known?.get(key);
  if (hit !== undefined) return hit;
  const where = `set ${head} ${identifier(s.set, 'set')}`;
  const lines = [`flush set ${head} ${s.set}`];
  const texts = s.prefixes.map((p) => elementText(p, s.family, where));
  // What formatPrefix makes of each (checked) prefix: the observation of what this batch writes lists these.
  recordFormatted(s.prefixes, texts);
  for (let i = 0; i < texts.length; i += elementsPerLine) {
    lines.push(`add element ${head} ${s.set} { ${texts.slice(i, i + elementsPerLine).join(', ')} }`);
  }
  const text = `${lines.join('\n')}\n`;
  if (known) known.set(key, text);
  else rendered.set(s.prefixes, new Map([[key, text]]));
  return text;
}

/** Rendered set text by prefix list, then by table, set, family and line length (see `renderSet`). */
const rendered = new WeakMap<readonly Prefix[], Map<string, string>>();

/**
 * The nft batch that edits one set in place: `delete element` of `remove`, then `add element` of `add`. Part of one
 * `nft -f` transaction: a delete of an element the set does not hold fails the whole batch and changes nothing. Each
 * removal must be an element the set holds exactly as listed; `add` must be disjoint from what stays. Pure.
 * @throws GatehouseError TARGET_FAILED (terminal) for a name or element that is not a validated identifier / Prefix.
 */
export function renderEdits(
  table: TableRef,
  edit: {
    readonly set: string;
    readonly family: 4 | 6;
    readonly remove: readonly Prefix[];
    readonly add: readonly Prefix[];
  },
): string {
  const head = `${table.family} ${identifier(table.name, 'table')}`;
  const where = `set ${head} ${identifier(edit.set, 'set')}`;
  const lines: string[] = [];
  for (const [op, list] of [
    ['delete', edit.remove],
    ['add', edit.add],
  ] as const) {
    const texts = list.map((p) => elementText(p, edit.family, where));
    for (let i = 0; i < texts.length; i += ELEMENTS_PER_LINE) {
      lines.push(`${op} element ${head} ${edit.set} { ${texts.slice(i, i + ELEMENTS_PER_LINE).join(', ')} }`);
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/**
 * A check-only batch proving that each set exists and takes one element of its family: `flush set` plus the first
 * element (if any). Run with `nft -c`, it costs a fraction of checking the full batch; see apply.ts for why that is
 * enough.
 */
export function renderProbe(table: TableRef, sets: readonly SetContents[]): string {
  return renderBatch(
    table,
    sets.map((s) => ({ ...s, prefixes: s.prefixes.slice(0, 1) })),
  );
}

/**
 * The include file: a header, then the batch for every managed set. The host's nftables.conf includes it after the
 * table declaration, so a reboot or an nftables reload restores the sets. Deterministic: no timestamps, so comparing
 * it with the file on disk tells whether the file is current.
 */
export function renderInclude(target: string, table: TableRef, sets: readonly SetContents[]): string {
  return includeHeader(target) + renderBatch(table, sets);
}

/** The include file's comment header; `renderInclude` is this followed by `renderBatch` of every managed set. */
export function includeHeader(target: string): string {
  // The name comes from config; keep it on its comment line.
  const name = target.replace(/[^\x20-\x7e]/g, '?');
  return (
    `# Written by gatehouse (target ${name}). Do not edit: the next run overwrites it.\n` +
    `# Restores the allowlist sets when the host's nftables.conf loads; the table and its sets are declared there.\n`
  );
}
