import type { DesiredContext } from '../../core/contracts.ts';
import { indexPeople, resolveGroup } from '../../core/people.ts';
import { groupRefOf, type KubernetesTenantsConfig } from './config.ts';
import { policyManifests, tenantManifests } from './manifests.ts';
import type { DesiredTenant, KubernetesTenantsDesired } from './types.ts';

/** RFC 1123 label: what a namespace name must be. */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * A tenant per member of the configured group. Pure: facts, config and the clock reading `now`. A member whose
 * namespace name would not be a DNS-1123 label, or who lacks a numeric uidNumber / gidNumber or an absolute home
 * directory, gets no tenant and is reported in `problems` — a name is never altered to fit, since two accounts could
 * then share a namespace.
 */
export function desiredState(
  config: KubernetesTenantsConfig,
  target: string,
  ctx: DesiredContext,
  now: Date,
): KubernetesTenantsDesired {
  const ref = groupRefOf(config.group);
  const people = indexPeople(ctx, [ref.source]);
  const group = resolveGroup(ctx, ref, people);
  const problems: string[] = [...people.problems];
  if (group.unknown.length > 0)
    problems.push(`${config.group}: ${group.unknown.length} member(s) are not people of ${ref.source}`);
  const tenants: DesiredTenant[] = [];
  const namespaces = new Map<string, string>();
  const a = config.attributes;
  const held: string[] = [];
  for (const p of group.members) {
    const uid = p.accounts.ldap;
    if (!uid) {
      problems.push(`${p.id}: no uid; no tenant`);
      continue;
    }
    const namespace = config.namespaceTemplate.replaceAll('{uid}', uid);
    if (namespace.length > 63 || !DNS1123_LABEL.test(namespace)) {
      problems.push(`${uid}: namespace name ${JSON.stringify(namespace)} is not a DNS-1123 label; no tenant`);
      held.push(uid);
      continue;
    }
    const other = namespaces.get(namespace);
    if (other !== undefined) {
      problems.push(`${uid}: namespace ${namespace} is also ${other}'s; no tenant`);
      held.push(uid);
      continue;
    }
    const uidNumber = posixId(p.attributes?.[a.uidNumber]);
    const gidNumber = posixId(p.attributes?.[a.gidNumber]);
    const home = p.attributes?.[a.home];
    if (uidNumber === undefined || gidNumber === undefined || !home?.startsWith('/')) {
      problems.push(`${uid}: needs a numeric ${a.uidNumber} and ${a.gidNumber} and an absolute ${a.home}; no tenant`);
      held.push(uid);
      continue;
    }
    namespaces.set(namespace, uid);
    const user = config.userTemplate.replaceAll('{uid}', uid);
    const kubeconfigPath = config.credentials?.path
      .replaceAll('{home}', home.replace(/\/+$/, ''))
      .replaceAll('{uid}', uid);
    const quota = a.quota === undefined ? undefined : parseQuota(p.attributes?.[a.quota]);
    if (quota === null) problems.push(`${uid}: ${a.quota} is not name=quantity,…; the default quota applies`);
    const facts = {
      uid,
      namespace,
      user,
      uidNumber,
      gidNumber,
      ...(kubeconfigPath ? { kubeconfigPath } : {}),
      ...(quota ? { quota } : {}),
    };
    tenants.push({ ...facts, home, objects: tenantManifests(config, target, facts) });
  }
  tenants.sort((x, y) => (x.uid < y.uid ? -1 : x.uid > y.uid ? 1 : 0));
  const why =
    group.status === 'found'
      ? undefined
      : group.status === 'missing'
        ? `source ${ref.source} has no group "${ref.group}"`
        : `source ${ref.source} could not be read`;
  return {
    known: group.status === 'found',
    ...(why ? { why } : {}),
    now: now.toISOString(),
    tenants,
    policy: policyManifests(config, target),
    problems,
    held: held.sort(),
  };
}

function posixId(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d{1,10}$/.test(v)) return undefined;
  const n = Number(v);
  return n <= 0xffffffff ? n : undefined;
}

const QUOTA_ITEM =
  /^([a-z0-9]([-a-z0-9./]*[a-z0-9])?)=([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/;

/** `limits.memory=8Gi,pods=40` as a map; undefined for no value, null for a value that does not parse. */
function parseQuota(v: string | undefined): Record<string, string> | undefined | null {
  if (v === undefined || v.trim() === '') return undefined;
  const out: Record<string, string> = {};
  for (const item of v.split(',')) {
    const m = QUOTA_ITEM.exec(item.trim());
    if (!m) return null;
    out[m[1] as string] = m[3] as string;
  }
  return out;
}
