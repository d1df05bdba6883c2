import type { GuardVerdict } from '../../core/plan.ts';
import type { KubernetesTenantsConfig } from './config.ts';
import type { KubernetesTenantsChange, KubernetesTenantsObserved } from './types.ts';

/**
 * Target guards (the core's completeness guard already refuses every destructive change while the directory read is
 * incomplete, so a truncated read disables nobody):
 *
 * - `managed-label`: a tenant whose namespace exists without this target's managed-by label (or is another tenant's)
 *   is never touched — someone else's namespace that happens to have the name.
 * - `max-namespace-deletions`: more namespace deletions than the count, or (for more than one) than the fraction of
 *   managed namespaces, and every deletion of the run is refused.
 * - `max-rolebinding-removals`: the same for tenants disabled (RoleBindings removed) in one run.
 */
export function guardTenants(
  config: KubernetesTenantsConfig,
  changes: readonly KubernetesTenantsChange[],
  observed: KubernetesTenantsObserved,
): GuardVerdict[] {
  const verdicts: GuardVerdict[] = [];
  const namespaces = new Map(observed.namespaces.map((n) => [n.name, n]));
  for (const c of changes) {
    if (c.kind !== 'k8s-tenant') continue;
    const ns = namespaces.get(c.namespace);
    if (ns && (!ns.managed || ns.tenant !== c.uid)) {
      verdicts.push({
        guard: 'managed-label',
        outcome: 'reject',
        changeIds: [c.id],
        message: `namespace ${c.namespace} exists and is not ${c.uid}'s tenant managed by gatehouse (no managed-by label for it); it is never touched`,
      });
    }
  }
  const managed = observed.namespaces.filter((n) => n.managed).length;
  const g = config.guards;
  const limit = (
    guard: string,
    ids: string[],
    max: number,
    fraction: number,
    what: string,
  ): GuardVerdict | undefined => {
    const n = ids.length;
    if (n === 0) return undefined;
    const overCount = n > max;
    const overFraction = n > 1 && fraction < 1 && managed > 0 && n / managed > fraction;
    if (!overCount && !overFraction) return undefined;
    return {
      guard,
      outcome: 'reject',
      changeIds: ids,
      message: `${n} ${what} of ${managed} managed tenants in one run: more than the ${max} (or ${Math.round(fraction * 1000) / 10} %) allowed, so none is`,
    };
  };
  const deletions = limit(
    'max-namespace-deletions',
    changes.filter((c) => c.kind === 'k8s-delete-namespace').map((c) => c.id),
    g.maxNamespaceDeletions,
    g.maxNamespaceDeletionFraction,
    'namespaces deleted',
  );
  const disables = limit(
    'max-rolebinding-removals',
    changes.filter((c) => c.kind === 'k8s-disable').map((c) => c.id),
    g.maxRoleBindingRemovals,
    g.maxRoleBindingRemovalFraction,
    'tenants disabled',
  );
  for (const v of [deletions, disables]) if (v) verdicts.push(v);
  return verdicts;
}
