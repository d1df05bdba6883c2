import { isIPv4 } from 'node:net';

/** A node slot of an LKE pool. `instance_id` is null while the Linode is being provisioned. */
export interface FakeNode {
  id: string;
  instance_id: number | null;
  status: 'ready' | 'not_ready';
}

export interface FakePool {
  id: number;
  type: string;
  nodes: FakeNode[];
  tags: string[];
}

export interface FakeCluster {
  id: number;
  pools: FakePool[];
}

/** The addresses `GET /linode/instances/{id}/ips` reports. Values are served verbatim, valid or not. */
export interface FakeInstance {
  id: number;
  region: string;
  ipv4: { public: string[]; private: string[] };
  /** Null: the response carries no `slaac` object. */
  slaac: string | null;
  linkLocal: string;
}

/** Everything the fake serves; tests mutate it directly between (or during) reads. */
export interface LinodeState {
  readonly clusters: Map<number, FakeCluster>;
  readonly instances: Map<number, FakeInstance>;
}

/**
 * The wire form of a pool, with the fields Linode returns that the description knows. The description marks no field
 * required, so the fake sends what the real API sends; `count` is the node count, which must be 1..100 there — an empty
 * pool in the state is therefore reported as a response violation rather than served quietly.
 */
export function poolJson(p: FakePool): Record<string, unknown> {
  const count = p.nodes.length;
  return {
    id: p.id,
    type: p.type,
    count,
    nodes: p.nodes.map((n) => ({ id: n.id, instance_id: n.instance_id, status: n.status })),
    autoscaler: { enabled: false, min: count, max: count },
    tags: p.tags,
    disks: [],
    taints: [],
  };
}

/**
 * The wire form of an instance's networking. Fields the description types as non-nullable but Linode sends as null
 * (`rdns` on SLAAC / private addresses, `gateway` on private ones, `vpc_nat_1_1`) are omitted rather than sent as null,
 * which keeps the response description-valid; a consumer must not depend on them anyway.
 */
export function ipsJson(i: FakeInstance): Record<string, unknown> {
  const v4 = (address: string, isPublic: boolean) => ({
    address,
    ...(isPublic && isIPv4(address) ? { gateway: address.replace(/\.\d+$/, '.1') } : {}),
    linode_id: i.id,
    prefix: isPublic ? 24 : 17,
    public: isPublic,
    ...(isPublic ? { rdns: `${address.replace(/[.:]/g, '-')}.ip.linodeusercontent.com` } : {}),
    region: i.region,
    subnet_mask: isPublic ? '255.255.255.0' : '255.255.128.0',
    type: 'ipv4',
  });
  const v6 = (address: string, isPublic: boolean) => ({
    address,
    gateway: 'fe80::1',
    linode_id: i.id,
    prefix: 64,
    public: isPublic,
    region: i.region,
    subnet_mask: 'ffff:ffff:ffff:ffff::',
    type: 'ipv6',
  });
  return {
    ipv4: {
      public: i.ipv4.public.map((a) => v4(a, true)),
      private: i.ipv4.private.map((a) => v4(a, false)),
      shared: [],
      reserved: [],
      vpc: [],
    },
    ipv6: {
      global: [],
      link_local: v6(i.linkLocal, false),
      ...(i.slaac === null ? {} : { slaac: v6(i.slaac, true) }),
    },
  };
}
