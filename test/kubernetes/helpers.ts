import { applyPlan } from '../../src/core/apply.ts';
import type { Source } from '../../src/core/contracts.ts';
import type { Person } from '../../src/core/model.ts';
import { buildPlan } from '../../src/core/pipeline.ts';
import type { TargetState } from '../../src/core/target-state.ts';
import { MemoryStore } from '../../src/core/testing/memory-store.ts';
import {
  createKubernetesTenantsTarget,
  kubernetesTenantsSchema,
  kubernetesTenantsTarget,
  type KubernetesTenantsTarget,
} from '../../src/targets/kubernetes-tenants/index.ts';
import { completeTarget } from '../../src/plugins.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';
import type { KubeFake } from '../fakes/kubernetes/index.ts';

export interface Account {
  readonly uid: string;
  readonly uidNumber?: number;
  readonly home?: string;
}

/** A directory-like source: people with uid, uidNumber, gidNumber and homeDirectory, and one group `tools`. */
export class AccountsSource implements Source {
  readonly name = 'directory';
  readonly type = 'test';
  accounts: Account[] = [];
  complete = true;
  /** An emptied directory is taken as the truth (the guards under test must see it), not as a suspicious read. */
  allowEmpty = true;
  read(): ReturnType<Source['read']> {
    const people: Person[] = this.accounts.map((a, i) => ({
      id: `ldap:${a.uid}`,
      accounts: { ldap: a.uid },
      attributes: {
        uidNumber: String(a.uidNumber ?? 10_000 + i),
        gidNumber: String(a.uidNumber ?? 10_000 + i),
        homeDirectory: a.home ?? `/home/${a.uid}`,
      },
    }));
    return Promise.resolve({
      complete: this.complete,
      facts: { people, groups: [{ name: 'tools', members: people.map((p) => p.id) }] },
      notes: [],
    });
  }
}

export function tenantsConfig(fake: KubeFake, overrides: Record<string, unknown> = {}) {
  return kubernetesTenantsSchema.parse({
    type: 'kubernetes-tenants',
    connection: { kubeconfig: 'kubeconfig.json' },
    group: 'directory/tools',
    quota: { 'limits.cpu': '2', 'limits.memory': '4Gi', pods: '20' },
    limits: { default: { cpu: '500m', memory: '512Mi' }, defaultRequest: { cpu: '100m', memory: '128Mi' } },
    apply: { qps: 1000, burst: 1000, concurrency: 8, pageSize: 5000 },
    ...overrides,
  });
}

export function makeTarget(
  fake: KubeFake,
  baseDir: string,
  state: TargetState,
  overrides: Record<string, unknown> = {},
  now?: () => Date,
): KubernetesTenantsTarget {
  const config = tenantsConfig(fake, overrides);
  return completeTarget(
    kubernetesTenantsTarget,
    config,
    createKubernetesTenantsTarget('k8s', config, testDeps({ baseDir, state }), { ...(now ? { now } : {}) }),
  );
}

/** One plan and apply through the core pipeline, as a run does. */
export async function run(source: Source, target: KubernetesTenantsTarget, store = new MemoryStore()) {
  const signal = AbortSignal.timeout(120_000);
  const { plan, observed } = await buildPlan({
    configDigest: 'c',
    sources: [source],
    targets: [target],
    snapshots: store,
    signal,
  });
  const reports = await applyPlan({
    plan,
    configDigest: 'c',
    targets: [target],
    audit: store,
    actor: 'test',
    signal,
    observed,
  });
  return { plan, tp: plan.targets[0]!, results: reports[0]?.results ?? [] };
}
