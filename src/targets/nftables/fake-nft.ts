import { GatehouseError } from '../../core/errors.ts';
import { NftCommandError, type NftRunner } from './nft.ts';
import { parseBatch } from './parse-batch.ts';
import { CANONICAL_V4 } from './set-math.ts';

interface FakeSet {
  type: 'ipv4_addr' | 'ipv6_addr';
  interval: boolean;
  elements: string[];
}

/**
 * An in-memory stand-in for nft, for unit tests of observe and apply. It understands exactly what the target sends:
 * `-j list set F T S`, and `-f -` / `-c -f -` batches of `flush set` / `add element` lines, applied all-or-nothing.
 *
 * It does NOT model: nft's grammar beyond those lines, auto-merge, overlap and interval rules, ranges in listings,
 * per-element options (timeouts, counters), permissions, or concurrent writers. Real-kernel behaviour is covered by
 * test/nftables/.
 */
export class FakeNft implements NftRunner {
  readonly sets = new Map<string, FakeSet>();
  readonly calls: { args: readonly string[]; input?: string }[] = [];
  /** Return stderr to make a call fail as nft would (exit 1); undefined lets it run. */
  failWith: ((args: readonly string[], input: string | undefined) => string | undefined) | undefined;

  /** Declares a set, as the host's nftables.conf would. */
  declare(table: string, set: string, type: FakeSet['type'], elements: string[] = [], interval = true): this {
    this.sets.set(`${table} ${set}`, { type, interval, elements });
    return this;
  }

  elements(table: string, set: string): string[] | undefined {
    return this.sets.get(`${table} ${set}`)?.elements;
  }

  run(args: readonly string[], options: { input?: string; signal: AbortSignal }): Promise<string> {
    this.calls.push({ args, ...(options.input === undefined ? {} : { input: options.input }) });
    if (options.signal.aborted) return Promise.reject(new GatehouseError('ABORTED', 'aborted'));
    try {
      const stderr = this.failWith?.(args, options.input);
      if (stderr !== undefined) fail(args, stderr);
      return Promise.resolve(this.execute(args, options.input ?? ''));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private execute(args: readonly string[], input: string): string {
    const a = args.join(' ');
    const list = /^-j list set (\S+) (\S+) (\S+)$/.exec(a);
    if (list) {
      const [, family, table, name] = list as unknown as [string, string, string, string];
      const s = this.sets.get(`${family} ${table} ${name}`);
      if (!s) fail(args, `Error: No such file or directory\nlist set ${family} ${table} ${name}\n`);
      const elem = s.elements.map((e) => {
        const [addr, len] = e.split('/');
        return len === undefined ? addr : { prefix: { addr, len: Number(len) } };
      });
      const set = {
        family,
        name,
        table,
        type: s.type,
        handle: 1,
        ...(s.interval ? { flags: ['interval'] } : {}),
        ...(elem.length > 0 ? { elem } : {}),
      };
      return JSON.stringify({ nftables: [{ metainfo: { version: '1.0.6', json_schema_version: 1 } }, { set }] });
    }
    if (a !== '-f -' && a !== '-c -f -') fail(args, `Error: fake nft does not understand ${a}`);
    const next = new Map([...this.sets].map(([k, v]) => [k, { ...v, elements: [...v.elements] }]));
    for (const c of parseBatch(input, 'stdin')) {
      const s = next.get(`${c.table.family} ${c.table.name} ${c.set}`);
      if (!s) fail(args, `Error: No such file or directory\n${c.op} set ${c.table.family} ${c.table.name} ${c.set}\n`);
      if (c.op === 'flush') s.elements = [];
      for (const e of c.elements) {
        if ((s.type === 'ipv4_addr') !== CANONICAL_V4.test(e)) fail(args, `Error: Could not resolve hostname\n${e}\n`);
        if (e.includes('/') && !s.interval)
          fail(args, `Error: You must add 'flags interval' to your set declaration\n`);
        s.elements.push(e);
      }
    }
    if (a === '-f -') for (const [k, v] of next) this.sets.set(k, v);
    return '';
  }
}

function fail(args: readonly string[], stderr: string): never {
  throw new NftCommandError(['nft', ...args], 1, stderr);
}
