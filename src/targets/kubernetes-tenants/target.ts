import type { Target } from '../../core/contracts.ts';
import type { PluginDeps, TargetBody } from '../../plugins.ts';
import { applyTenants } from './apply.ts';
import { KubeClient, RateLimiter, loadKubeConfig } from '../../adapters/kubernetes/client.ts';
import type { KubernetesTenantsConfig } from './config.ts';
import { desiredState } from './desired.ts';
import { diffTenants, tenantNotes } from './diff.ts';
import { guardTenants } from './guard.ts';
import { observeTenants } from './observe.ts';
import type { KubernetesTenantsChange, KubernetesTenantsDesired, KubernetesTenantsObserved } from './types.ts';

export type KubernetesTenantsTarget = Target<
  KubernetesTenantsDesired,
  KubernetesTenantsObserved,
  KubernetesTenantsChange
> & {
  /** API requests sent so far, for benchmarks and tests. */
  readonly requests: number;
  /** Releases the client's connections. */
  close(): void;
};

export interface TargetOptions {
  /** The clock grace periods and certificate renewal are judged by (tests inject one). */
  readonly now?: () => Date;
}

/**
 * Builds the kubernetes-tenants target. Not atomic: each tenant's change stands alone. One client (and one QPS budget)
 * serves observe and apply; it is created on first use, so a bad kubeconfig fails the target's run, not loading.
 */
export function createKubernetesTenantsTarget(
  name: string,
  config: KubernetesTenantsConfig,
  deps: PluginDeps,
  options: TargetOptions = {},
): TargetBody<KubernetesTenantsTarget> {
  const now = options.now ?? (() => new Date());
  let client: KubeClient | undefined;
  const getClient = () =>
    (client ??= new KubeClient(
      loadKubeConfig(config.connection, deps.baseDir),
      new RateLimiter(config.apply.qps, config.apply.burst),
      config.apply.concurrency,
      deps.requestTimeoutMs,
    ));
  const kubeconfigServer = () => config.credentials?.server ?? getClient().server;
  return {
    name,
    type: 'kubernetes-tenants',
    atomic: false,
    get requests() {
      return client?.requests ?? 0;
    },
    close: () => client?.close(),
    desired: (ctx) => desiredState(config, name, ctx, now()),
    observe: (signal) => observeTenants(getClient(), name, deps.state, config.apply.pageSize, signal),
    // The server is read only for kubeconfigs, which exist only with credentials configured: without them, planning
    // from an observation neither loads the kubeconfig nor the Kubernetes client library.
    diff: (desired, observed) =>
      diffTenants(config, desired, observed, {
        target: name,
        kubeconfigServer: config.credentials ? kubeconfigServer() : '',
      }),
    notes: (desired, observed) => tenantNotes(config, desired, observed),
    guard: (changes, _desired, observed) => guardTenants(config, changes, observed),
    applyConcurrency: config.apply.concurrency,
    apply: (changes, signal) =>
      applyTenants(
        { config, target: name, client: getClient(), state: deps.state, kubeconfigServer: kubeconfigServer(), now },
        changes,
        signal,
      ),
  };
}
