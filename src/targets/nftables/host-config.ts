import type { DesiredContext } from '../../core/contracts.ts';
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
