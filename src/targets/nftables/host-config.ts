import { basename, dirname } from 'node:path';
import type { DesiredContext } from '../../core/contracts.ts';
import { GatehouseError } from '../../core/errors.ts';
import type { NftablesConfig } from './config.ts';
import { desiredState } from './desired.ts';
import { renderInclude } from './render.ts';

/**
 * The part of a host's /etc/nftables.conf that gatehouse relies on, as a configuration-management role would template
 * it (names here match deploy/nftables/nftables.conf): a table of its own with the allowlist sets declared
 * `flags interval`, a chain dropping the database ports unless the source is in a set, and the include of the file
 * gatehouse writes.
 *
 * - The include comes after the table, whose sets it fills, and is a glob: nft fails the whole load on a missing plain
 *   include, while a glob matching nothing is fine (first boot, before gatehouse ever ran: the ports stay closed).
 * - Established connections are not exempted, so removing an address also cuts its open sessions.
 * - gatehouse only ever replaces the sets' elements; it never flushes or reloads this ruleset.
 */
export const HOST_CONFIG_SNIPPET = `# gatehouse: database allowlist. gatehouse fills the two sets (and only their elements); the include
# below restores them when this file is loaded (boot, systemctl reload nftables).
table inet gatehouse {
	set db_allow_v4 {
		type ipv4_addr
		flags interval
	}

	set db_allow_v6 {
		type ipv6_addr
		flags interval
	}

	chain input {
		type filter hook input priority filter; policy accept;
		iifname "lo" accept
		tcp dport { 5432, 27017 } ip saddr @db_allow_v4 accept
		tcp dport { 5432, 27017 } ip6 saddr @db_allow_v6 accept
		# No exemption for established connections: removing an address also cuts its open sessions.
		tcp dport { 5432, 27017 } drop
	}
}

# After the table, and a glob: a missing file is tolerated (a plain path would fail the whole load).
include "/etc/nftables.d/*.nft"
`;

/**
 * The include file for a fresh host, rendered from the desired state alone, without touching the kernel: lets a
 * provisioning step place the file before nftables first loads, so the sets come up filled. Pure; the caller writes it
 * (e.g. with `writeFileAtomic`) to the target's `includeFile`.
 */
export function bootstrapInclude(target: string, config: NftablesConfig, ctx: DesiredContext): string {
  const desired = desiredState(target, config, null, ctx);
  return renderInclude(target, desired.table, desired.sets);
}

/**
 * {@link HOST_CONFIG_SNIPPET} for one configured nftables target: its table family and name, the nft set of every
 * allowlist and family, and the include of its `includeFile` (absolute). The ports are an example, as in the snippet.
 * The include is a glob, so a missing file is tolerated: `<dir>/*.nft` when the file ends in `.nft` (the nftables.d
 * convention), otherwise a pattern matching exactly that file. Pure.
 *
 * @throws GatehouseError CONFIG_INVALID for an include path nft cannot quote (a `"` or a line break in it).
 */
export function hostConfigSnippet(target: string, config: NftablesConfig, includeFile: string | null): string {
  const { family, name } = config.table;
  const sets: string[] = [];
  const rules: string[] = [];
  for (const s of config.sets) {
    rules.push(`\t\t# allowlist ${oneLine(s.name)}`);
    for (const [set, type, match] of [
      [s.ipv4, 'ipv4_addr', 'ip'],
      [s.ipv6, 'ipv6_addr', 'ip6'],
    ] as const) {
      if (set === undefined) continue;
      sets.push(`\tset ${set} {\n\t\ttype ${type}\n\t\tflags interval\n\t}\n`);
      rules.push(`\t\ttcp dport { 5432, 27017 } ${match} saddr @${set} accept`);
    }
  }
  return `# gatehouse: allowlists of target ${oneLine(target)}. gatehouse fills the sets below (and only their elements);
# the include restores them when this file is loaded (boot, systemctl reload nftables). The ports are an example.
table ${family} ${name} {
${sets.join('\n')}
\tchain input {
\t\ttype filter hook input priority filter; policy accept;
\t\tiifname "lo" accept
${rules.join('\n')}
\t\t# No exemption for established connections: removing an address also cuts its open sessions.
\t\ttcp dport { 5432, 27017 } drop
\t}
}

${includeLine(includeFile)}
`;
}

function includeLine(file: string | null): string {
  if (file === null) {
    return '# No includeFile configured: after a reboot the sets stay empty until gatehouse runs.';
  }
  if (/["\r\n]/.test(file)) {
    throw new GatehouseError('CONFIG_INVALID', `includeFile ${JSON.stringify(file)}: nft cannot include this path`);
  }
  const glob = file.endsWith('.nft')
    ? `${escapeGlob(dirname(file))}/*.nft`
    : `${escapeGlob(dirname(file))}/${escapeGlob(basename(file).slice(0, -1))}[${escapeGlob(file.slice(-1))}]`;
  return `# After the table, and a glob: a missing file is tolerated (a plain path would fail the whole load).
include "${glob}"`;
}

/** glob(3) metacharacters in a literal path, escaped. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

function oneLine(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}
