import { readFile } from 'node:fs/promises';
import { GatehouseError } from '../../core/errors.ts';
import { parseSetListing, setFacts } from './elements.ts';
import { NftCommandError, nftFailure, type NftRunner } from './nft.ts';
import { parseBatch, replay } from './parse-batch.ts';
import type { ManagedSet, NftObserved, ObservedSet, TableRef } from './types.ts';
import type { NftWatch } from './watch.ts';

export interface ObserveOptions {
  readonly table: TableRef;
  readonly sets: readonly ManagedSet[];
  /** false: read the sets back from the include file instead of the kernel. */
  readonly kernel: boolean;
  readonly includeFile: string | null;
  readonly runner: NftRunner;
  /** The target's `nft monitor` watch, when the daemon runs one: sets it proves unchanged are not listed again. */
  readonly watch?: NftWatch;
}

/**
 * Reads what each managed set holds (from the kernel, or from the include file when `kernel` is false) and the include
 * file's content. Reads only. A set the kernel does not have is an error telling the operator to declare it: gatehouse
 * never creates tables or sets, the host's nftables.conf owns them.
 * @throws GatehouseError TARGET_FAILED (missing or misdeclared set, unreadable file), TARGET_FORBIDDEN (no
 *   CAP_NET_ADMIN), ABORTED.
 */
export async function observeNftables(o: ObserveOptions, signal: AbortSignal): Promise<NftObserved> {
  const include = o.includeFile === null ? null : await readInclude(o.includeFile);
  let sets: ObservedSet[];
  if (o.kernel) {
    // With a live monitor that has caught up with every transaction committed so far, a set nobody touched since
    // gatehouse last read or wrote it is taken from the cache; any other set is listed as without a watch.
    await o.watch?.settled();
    const watch = o.watch?.live && (await o.watch.sync(signal)) !== undefined ? o.watch : undefined;
    sets = [];
    for (const s of o.sets) {
      // Whether the set merges neighbours (`auto-merge`) decides whether gatehouse's own writes leave exactly the
      // elements written (see apply's element edits); nft's JSON does not show it, the terse listing does. Read once
      // per monitor start, cached set or not.
      const learn = watch?.needsDeclaration(s.set) ? watch.declarationToken() : undefined;
      const declaration =
        learn !== undefined && watch
          ? o.runner
              .run(['-t', 'list', 'set', o.table.family, o.table.name, s.set], { signal })
              .then((text) => watch.learnAutoMerge(s.set, /^\s*auto-merge\s*$/m.test(text), learn))
              .catch(() => {})
          : undefined;
      const cached = watch?.cached(s.set);
      if (cached) {
        await declaration;
        sets.push(cached);
        continue;
      }
      const version = watch?.version(s.set);
      const [listed] = await Promise.all([listSet(o, s, signal), declaration]);
      if (watch && version !== undefined && setFacts(listed)?.cacheable) watch.store(listed, version);
      sets.push(listed);
    }
  } else {
    const commands = include === null ? [] : parseBatch(include, o.includeFile ?? 'include file');
    sets = replay(commands, o.table, o.sets, o.includeFile ?? 'include file');
  }
  return { sets, include };
}

async function listSet(o: ObserveOptions, s: ManagedSet, signal: AbortSignal): Promise<ObservedSet> {
  const { family, name } = o.table;
  let json: string;
  try {
    json = await o.runner.run(['-j', 'list', 'set', family, name, s.set], { signal });
  } catch (e) {
    if (e instanceof NftCommandError && /No such file or directory/.test(e.stderr)) {
      const type = s.family === 4 ? 'ipv4_addr' : 'ipv6_addr';
      throw new GatehouseError(
        'TARGET_FAILED',
        `set ${family} ${name} ${s.set} (allowlist ${s.name}) does not exist: declare it in the host's ` +
          `nftables.conf, inside "table ${family} ${name} { … }": "set ${s.set} { type ${type}; flags interval; }" ` +
          '(gatehouse never creates tables or sets)',
        { cause: e },
      );
    }
    throw nftFailure(`listing set ${family} ${name} ${s.set}`, e);
  }
  return parseSetListing(json, o.table, s.set, s.family);
}

async function readInclude(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new GatehouseError('TARGET_FAILED', `cannot read include file ${path}`, { cause: e });
  }
}
