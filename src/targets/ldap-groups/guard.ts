import { maxShrinkGuard } from '../../core/guards.ts';
import type { GuardVerdict } from '../../core/plan.ts';
import { normalizeDn } from '../../adapters/ldap/dn.ts';
import type { LdapGroupsConfig } from './config.ts';
import { isManaged } from './diff.ts';
import type { LdapGroupsChange, LdapGroupsDesired, LdapGroupsObserved } from './types.ts';

/**
 * Target guards, pure (core's completeness guard runs first and rejects destructive changes when a source is
 * missing):
 *
 * - `group-unknown`: the base role or a mapped group could not be resolved; the diff left everything depending on it
 *   alone, and this verdict (blocking nothing) says so in the plan.
 * - `max-lock-fraction`: more than `lock.maxFraction` of managed accounts would be locked in one run → every lock is
 *   refused (a role deleted by mistake or a half-read guild looks exactly like this).
 * - `protected`: a lock of, or a group removal touching, a protected uid → that change is refused.
 * - `max-remove`: a group would lose more than its `maxRemoveFraction` of members → that change is refused.
 */
export function guardLdapGroups(
  config: LdapGroupsConfig,
  changes: readonly LdapGroupsChange[],
  desired: LdapGroupsDesired,
  observed: LdapGroupsObserved,
): GuardVerdict[] {
  const verdicts: GuardVerdict[] = [];
  if (desired.base && !desired.base.known) {
    verdicts.push({
      guard: 'group-unknown',
      outcome: 'reject',
      changeIds: [],
      message: `base role unknown (${desired.base.why}): no account is locked, unlocked or enrolled, and no group changes, this run`,
    });
  }
  for (const g of desired.groups) {
    if (g.known) continue;
    verdicts.push({
      guard: 'group-unknown',
      outcome: 'reject',
      changeIds: [],
      message: `${g.dn}: ${g.why}; its members are left as they are`,
    });
  }

  const locks = changes.filter((c) => c.kind === 'ldap-lock');
  const managed = observed.accounts.filter(isManaged).length;
  if (locks.length > 0 && managed > 0 && locks.length / managed > config.lock.maxFraction) {
    verdicts.push({
      guard: 'max-lock-fraction',
      outcome: 'reject',
      changeIds: locks.map((c) => c.id),
      message: `${locks.length} of ${managed} managed accounts would be locked (${pct(locks.length / managed)}), more than the ${pct(config.lock.maxFraction)} allowed per run`,
    });
  }

  const protectedUids = new Set(config.protected);
  if (protectedUids.size > 0) {
    const protectedDns = new Set(
      observed.accounts.filter((a) => protectedUids.has(a.uid)).map((a) => normalizeDn(a.dn)),
    );
    for (const c of changes) {
      if (c.kind === 'ldap-lock' && protectedUids.has(c.uid)) {
        verdicts.push({
          guard: 'protected',
          outcome: 'reject',
          changeIds: [c.id],
          message: `${c.uid} is protected: it is never locked`,
        });
      }
      if (c.kind === 'ldap-group-members') {
        const hit = c.remove.filter((dn) => protectedDns.has(normalizeDn(dn)));
        if (hit.length > 0) {
          verdicts.push({
            guard: 'protected',
            outcome: 'reject',
            changeIds: [c.id],
            message: `${c.group}: would remove protected ${hit.join(', ')}; the group's change is refused as a whole (one modify per group)`,
          });
        }
      }
    }
  }

  // The first group of a DN, as a search of the list finds it: one lookup per change, not a scan of every group.
  const firstByDn = <T extends { readonly dn: string }>(list: readonly T[]) => {
    const m = new Map<string, T>();
    for (const x of list) if (!m.has(x.dn)) m.set(x.dn, x);
    return m;
  };
  const desiredGroups = firstByDn(desired.groups);
  const observedGroups = firstByDn(observed.groups);
  for (const c of changes) {
    if (c.kind !== 'ldap-group-members' || c.remove.length === 0) continue;
    const g = desiredGroups.get(c.group);
    const before = observedGroups.get(c.group)?.members.length ?? 0;
    const v = maxShrinkGuard(
      {
        label: `group ${c.group}`,
        changeId: c.id,
        before,
        after: before - c.remove.length + c.add.length,
        removed: c.remove.length,
      },
      g?.maxRemoveFraction ?? 0.5,
      'max-remove',
    );
    if (v) verdicts.push(v);
  }
  return verdicts;
}

function pct(f: number): string {
  return `${Math.round(f * 1000) / 10} %`;
}
