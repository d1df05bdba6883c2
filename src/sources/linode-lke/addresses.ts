import ipaddr from 'ipaddr.js';
import type { Prefix } from '../../core/address.ts';

/**
 * IPv4 ranges that can never be a node's public address, whatever list the API put them in: "this network", RFC 1918
 * private (Linode's 192.168.128.0/17 private network is here), shared CGNAT, loopback, link-local, multicast and
 * reserved/broadcast. Documentation ranges (RFC 5737) are deliberately not listed: they never occur in Linode data, and
 * tests use them as stand-ins for public addresses.
 */
const NON_PUBLIC_V4: readonly [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const NON_PUBLIC_V4_PARSED = NON_PUBLIC_V4.map(([a, len]) => [ipaddr.IPv4.parse(a), len] as const);

/** IPv6 global unicast; SLAAC addresses outside it (link-local, ULA, …) are not reachable from elsewhere. */
const GLOBAL_V6 = [ipaddr.IPv6.parse('2000::'), 3] as const;

/** Why a host address cannot be allowlisted as a node's public address, or undefined when it can. */
export function nonPublicReason(p: Prefix): string | undefined {
  if (p.family === 4) {
    const a = ipaddr.IPv4.parse(p.address);
    const hit = NON_PUBLIC_V4_PARSED.find(([net, len]) => a.match(net, len));
    return hit ? `in ${hit[0].toString()}/${hit[1]} (not public)` : undefined;
  }
  return ipaddr.IPv6.parse(p.address).match(...GLOBAL_V6) ? undefined : 'not IPv6 global unicast (2000::/3)';
}
