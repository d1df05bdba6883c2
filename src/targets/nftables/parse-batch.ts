import type { Prefix } from '../../core/address.ts';
import { GatehouseError } from '../../core/errors.ts';
import { classify } from './elements.ts';
import { toPrefix } from './set-math.ts';
import type { ManagedSet, ObservedSet, TableRef } from './types.ts';

/** One line of the batches gatehouse writes. */
export interface BatchCommand {
  readonly op: 'flush' | 'add';
  readonly table: TableRef;
  readonly set: string;
  readonly elements: readonly string[];
}

const FLUSH = /^flush set (ip|ip6|inet) (\S+) (\S+)$/;
const ADD = /^add element (ip|ip6|inet) (\S+) (\S+) \{ (.+) \}$/;

/**
 * Parses text in the format `renderBatch` / `renderInclude` write (comments, `flush set`, `add element`), and nothing
 * else: it reads back gatehouse's own include file, it is not an nft parser.
 * @throws GatehouseError TARGET_FAILED naming the first line in another format.
 */
export function parseBatch(text: string, origin: string): BatchCommand[] {
  const out: BatchCommand[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const f = FLUSH.exec(line);
    const a = f ? null : ADD.exec(line);
    const m = f ?? a;
    if (!m) {
      throw new GatehouseError(
        'TARGET_FAILED',
        `${origin}:${i + 1}: not a line gatehouse writes (${JSON.stringify(line.slice(0, 80))}); ` +
          'the file is gatehouse-owned: delete it and the next run rewrites it',
      );
    }
    const table = { family: m[1] as TableRef['family'], name: m[2] as string };
    out.push({ op: f ? 'flush' : 'add', table, set: m[3] as string, elements: a ? (a[4] as string).split(', ') : [] });
  });
  return out;
}

/**
 * Replays parsed commands against the managed sets of `table`, as nft would: each set's final contents. Lines for
 * other tables or sets are ignored (they vanish when the file is rewritten).
 * @throws GatehouseError TARGET_FAILED / SOURCE_INVALID_DATA for an element that is not an address of the set's family.
 */
export function replay(
  commands: readonly BatchCommand[],
  table: TableRef,
  sets: readonly Pick<ManagedSet, 'set' | 'family'>[],
  origin: string,
): ObservedSet[] {
  return sets.map(({ set, family }) => {
    let prefixes: Prefix[] = [];
    for (const c of commands) {
      if (c.table.family !== table.family || c.table.name !== table.name || c.set !== set) continue;
      if (c.op === 'flush') prefixes = [];
      else for (const e of c.elements) prefixes.push(toPrefix(e, `${origin}: set ${set}`));
    }
    return classify(set, family, prefixes, `${origin}: set ${set}`);
  });
}
