import * as z from 'zod';
import type { SourceRef } from '../../plugins.ts';
import { DEFAULT_MIN_LENGTH, formatPrefix, parsePrefix, type WidthPolicy } from '../../core/address.ts';
import type { ShrinkLimit } from '../../core/guards.ts';
import type { ManagedSet } from './types.ts';

/**
 * nft identifiers gatehouse accepts for tables and sets: a letter, then letters, digits or `_`, at most 64 characters.
 * Stricter than nft itself on purpose: names are pasted into nft commands, and nft has no quoting for them (`"x"` is a
 * syntax error there), so nothing that could end a token may get through. nft keywords (`counter`, `flush`, …) pass
 * this check but nft refuses them in the host's nftables.conf already.
 */
/**
 * Default max-shrink limit: half the set per run, and always one entry. The floor of one lets a one-node pool replace
 * its node in one run (100 % of the set, but ordinary churn); any removal of two or more entries from a small set still
 * needs the fraction, so a source outage that empties the set is still held back.
 */
export const DEFAULT_SHRINK: ShrinkLimit = { fraction: 0.5, minCount: 1 };

export const NFT_IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

const identifier = z.string().regex(NFT_IDENTIFIER, 'must be an nft identifier: a letter, then letters, digits or _');

const setSchema = z
  .object({
    name: z.string().min(1).describe('Name of the allowlist, used in plans and messages.'),
    ipv4: identifier
      .optional()
      .describe('nft set receiving the IPv4 addresses (type ipv4_addr; flags interval). Omitted: IPv4 is ignored.'),
    ipv6: identifier
      .optional()
      .describe('nft set receiving the IPv6 addresses (type ipv6_addr; flags interval). Omitted: IPv6 is ignored.'),
    from: z
      .array(z.string().min(1))
      .min(1)
      .describe('Sources whose address sets (all of them) are united into this allowlist.'),
    allowEmpty: z
      .boolean()
      .default(false)
      .describe('Allow the sets to become empty; otherwise the never-empty guard refuses it.'),
    maxShrink: z
      .union([
        z.number().min(0).max(1),
        z
          .object({
            fraction: z.number().min(0).max(1).default(DEFAULT_SHRINK.fraction),
            minCount: z.number().int().min(0).default(DEFAULT_SHRINK.minCount),
          })
          .strict(),
      ])
      .default(DEFAULT_SHRINK)
      .transform((v) => (typeof v === 'number' ? { fraction: v, minCount: DEFAULT_SHRINK.minCount } : v))
      .describe(
        'How much of a set may lose access in one run: more than `fraction` of its entries is held back, except ' +
          'that losing at most `minCount` entries always passes (a number is the fraction; 1 disables the guard). ' +
          'A held-back removal waits while the set’s additions still apply.',
      ),
  })
  .strict()
  .refine((s) => s.ipv4 !== undefined || s.ipv6 !== undefined, {
    message: 'give at least one of ipv4 or ipv6 (the nft set names to fill)',
  });

export const nftablesSchema = z
  .object({
    type: z.literal('nftables'),
    table: z
      .object({ family: z.enum(['ip', 'ip6', 'inet']), name: identifier })
      .strict()
      .describe(
        'The nftables table holding the sets; the host’s nftables.conf declares it, gatehouse never creates it.',
      ),
    sets: z.array(setSchema).min(1).describe('Allowlists: which sources fill which nft sets.'),
    minPrefixLength: z
      .object({
        ipv4: z.number().int().min(0).max(32).default(DEFAULT_MIN_LENGTH[4]),
        ipv6: z.number().int().min(0).max(128).default(DEFAULT_MIN_LENGTH[6]),
      })
      .strict()
      .default({ ipv4: DEFAULT_MIN_LENGTH[4], ipv6: DEFAULT_MIN_LENGTH[6] })
      .describe(
        'Shortest prefix a source may put in an allowlist without naming it in allowWide (a source offering a wider ' +
          'one, e.g. 0.0.0.0/0, fails the target until fixed). An IPv4-mapped IPv6 prefix counts as its IPv4 width.',
      ),
    allowWide: z
      .array(
        z.string().superRefine((v, ctx) => {
          try {
            parsePrefix(v, 'allowWide');
          } catch (e) {
            ctx.addIssue({ code: 'custom', message: (e as Error).message.replace(/^allowWide: /, '') });
          }
        }),
      )
      .default([])
      .describe('Prefixes wider than minPrefixLength that may be granted anyway, each exactly as a CIDR (10.0.0.0/8).'),
    kernel: z
      .boolean()
      .default(true)
      .describe('false: only write includeFile, never run nft (no root needed; for demos and staged rollouts).'),
    watch: z
      .boolean()
      .default(true)
      .describe(
        '`serve` only: follow the kernel with `nft monitor`, so a hand edit is reverted within seconds and a set provably unchanged since the last read or write is not listed again. Commits invisible marker transactions (table gatehouse_sync_<hex>, created and deleted at once) through a long-running `nft -i`; false: list every set on every pass.',
      ),
    includeFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'File restoring the sets when the host loads nftables.conf (e.g. /etc/nftables.d/gatehouse.nft); ' +
          'relative to the config file.',
      ),
    nft: z
      .object({
        command: z
          .array(z.string().min(1))
          .min(1)
          .default(['nft'])
          .describe('Command line running nft, e.g. ["sudo", "-n", "nft"].'),
      })
      .strict()
      .default({ command: ['nft'] })
      .describe('How to run nft.'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.kernel && c.includeFile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['includeFile'], message: 'kernel: false needs an includeFile to write' });
    }
    const seen = new Map<string, string>();
    const names = new Set<string>();
    c.sets.forEach((s, i) => {
      if (names.has(s.name)) {
        ctx.addIssue({ code: 'custom', path: ['sets', i, 'name'], message: `allowlist ${s.name} is defined twice` });
      }
      names.add(s.name);
      for (const key of ['ipv4', 'ipv6'] as const) {
        const set = s[key];
        if (set === undefined) continue;
        const other = seen.get(set);
        if (other !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['sets', i, key],
            message: `nft set ${set} is already filled by ${other}; each nft set belongs to one allowlist and family`,
          });
        } else seen.set(set, `sets[${i}].${key}`);
      }
    });
  })
  .describe('Keeps nftables interval sets equal to the union of address sets from sources, one transaction per run.');

export type NftablesConfig = z.output<typeof nftablesSchema>;

/**
 * The nft sets a config manages, in config order (IPv4 before IPv6 within an allowlist). An allowlist without an
 * `ipv6` set name ignores the IPv6 addresses of its sources, and likewise for IPv4.
 */
export function managedSets(config: NftablesConfig): ManagedSet[] {
  return config.sets.flatMap((s) => {
    const base = { name: s.name, allowEmpty: s.allowEmpty, maxShrink: s.maxShrink };
    const out: ManagedSet[] = [];
    if (s.ipv4 !== undefined) out.push({ ...base, set: s.ipv4, family: 4 });
    if (s.ipv6 !== undefined) out.push({ ...base, set: s.ipv6, family: 6 });
    return out;
  });
}

/** The width policy of a target: what `tooWide` checks every element against, in desired state and at apply. */
export function widthPolicy(config: Pick<NftablesConfig, 'minPrefixLength' | 'allowWide'>): WidthPolicy {
  return {
    minLength: { 4: config.minPrefixLength.ipv4, 6: config.minPrefixLength.ipv6 },
    allow: new Set(config.allowWide.map((v) => formatPrefix(parsePrefix(v, 'allowWide')))),
  };
}

/** The sources this target's config names, with config paths relative to its block (checked at load time). */
export function nftablesSourceRefs(config: NftablesConfig): SourceRef[] {
  return config.sets.flatMap((s, i) => s.from.map((source, j) => ({ path: ['sets', i, 'from', j], source })));
}
