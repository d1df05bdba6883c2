import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aggregate, parsePrefix } from '../../src/core/address.ts';
import type { ChangeResult, DesiredContext } from '../../src/core/contracts.ts';
import { nftablesTarget, type NftablesTarget } from '../../src/targets/nftables/index.ts';
import { NetnsLab, type Listener } from '../harness/netns.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';

/**
 * The topology the real-kernel nftables tests share: a `db` namespace with a listener on 5432 behind a gatehouse-style
 * ruleset, and two clients A and B on their own veth links.
 *
 *   A 10.231.1.2 / fd00:231:1::2  ──  db 10.231.1.1 / fd00:231:1::1
 *   B 10.231.2.2 / fd00:231:2::2  ──  db 10.231.2.1 / fd00:231:2::1
 */
export const A = { v4: '10.231.1.2', v6: 'fd00:231:1::2', db4: '10.231.1.1', db6: 'fd00:231:1::1' } as const;
export const B = { v4: '10.231.2.2', v6: 'fd00:231:2::2', db4: '10.231.2.1', db6: 'fd00:231:2::1' } as const;

/** The db host's ruleset: what the host's nftables.conf would declare. `merge_v4` has auto-merge, for observe tests. */
export const DB_TABLE = `table inet gh {
	set allow_v4 { type ipv4_addr; flags interval; }
	set allow_v6 { type ipv6_addr; flags interval; }
	set merge_v4 { type ipv4_addr; flags interval; auto-merge; }
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 5432 ip saddr @allow_v4 accept
		tcp dport 5432 ip6 saddr @allow_v6 accept
		tcp dport 5432 drop
	}
}
`;

export interface DbLab {
  readonly lab: NetnsLab;
  readonly db: string;
  readonly a: string;
  readonly b: string;
  /** A temp directory for include files, removed by `close`. */
  readonly dir: string;
  readonly listener: Listener;
  /** `nft` inside the db namespace, throwing on failure. */
  nft(args: readonly string[], input?: string): Promise<string>;
  close(): Promise<void>;
}

export async function createDbLab(): Promise<DbLab> {
  const lab = new NetnsLab();
  const dir = await mkdtemp(join(tmpdir(), 'gh-nft-it-'));
  try {
    const db = await lab.namespace('db');
    const a = await lab.namespace('a');
    const b = await lab.namespace('b');
    await lab.link(
      { ns: a, addresses: [`${A.v4}/24`, `${A.v6}/64`] },
      { ns: db, addresses: [`${A.db4}/24`, `${A.db6}/64`] },
    );
    await lab.link(
      { ns: b, addresses: [`${B.v4}/24`, `${B.v6}/64`] },
      { ns: db, addresses: [`${B.db4}/24`, `${B.db6}/64`] },
    );
    await lab.mustExec(db, ['nft', '-f', '-'], { input: DB_TABLE });
    const listener = await lab.listen(db, 5432);
    return {
      lab,
      db,
      a,
      b,
      dir,
      listener,
      nft: (args, input) => lab.mustExec(db, ['nft', ...args], input === undefined ? {} : { input }),
      close: async () => {
        await lab.cleanup();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await lab.cleanup();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The nftables target acting inside the lab's db namespace. */
export function dbTarget(l: DbLab, overrides: Record<string, unknown> = {}, name = 'db'): NftablesTarget {
  const config = nftablesTarget.schema.parse({
    type: 'nftables',
    table: { family: 'inet', name: 'gh' },
    sets: [{ name: 'db-clients', ipv4: 'allow_v4', ipv6: 'allow_v6', from: ['clients'], maxShrink: 1 }],
    includeFile: 'gh-db.nft',
    nft: { command: ['ip', 'netns', 'exec', l.db, 'nft'] },
    ...overrides,
  });
  const deps = testDeps({ baseDir: l.dir });
  return nftablesTarget.create(name, config, deps);
}

/** A DesiredContext with one live source `clients` holding `addresses`. */
export function clients(...addresses: string[]): DesiredContext {
  const prefixes = aggregate(addresses.map((x) => parsePrefix(x, 'test')));
  return {
    sources: new Map([
      [
        'clients',
        {
          name: 'clients',
          type: 'static',
          status: 'live',
          facts: { addressSets: [{ name: 'clients', prefixes }] },
          notes: [],
        },
      ],
    ]),
  };
}

/**
 * One reconcile pass, as the pipeline runs it: desired, observe, diff, guards, apply. Throws if a guard rejects.
 * Returns the change ids and results.
 */
export async function reconcile(t: NftablesTarget, ctx: DesiredContext, signal: AbortSignal) {
  const desired = t.desired(ctx);
  const observed = await t.observe(signal);
  const changes = t.diff(desired, observed);
  const rejected = (t.guard?.(changes, desired, observed, ctx) ?? []).filter((v) => v.outcome === 'reject');
  if (rejected.length > 0) throw new Error(`guards rejected: ${rejected.map((v) => v.message).join('; ')}`);
  const results: ChangeResult[] = changes.length > 0 ? ((await t.apply(changes, signal)) ?? []) : [];
  return { changes: changes.map((c) => c.id), results };
}

/** The elements of a set in the db namespace as nft lists them (text, sorted). */
export async function kernelElements(l: DbLab, set: string): Promise<string[]> {
  const json = JSON.parse(await l.nft(['-j', 'list', 'set', 'inet', 'gh', set])) as {
    nftables: { set?: { elem?: unknown[] } }[];
  };
  const elems = json.nftables.find((x) => x.set)?.set?.elem ?? [];
  return elems.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).sort();
}
