import { applyPlan, type TargetApplyReport } from './apply.ts';
import type { AuditLog, SnapshotStore } from './audit.ts';
import type { ChangeResult, Source, Target } from './contracts.ts';
import { buildPlan } from './pipeline.ts';
import { runnableChanges, type Plan } from './plan.ts';
import type { PlanRecords } from './plan-records.ts';
import { replanSaved } from './saved-plan.ts';

/**
 * How a run ended, for exit codes, alerts and metrics:
 * - `ok`: converged, or every change applied;
 * - `attention`: what was safe happened, but a guard held changes back or a source was not read completely — a human
 *   should look;
 * - `error`: a change failed or a target could not be observed.
 */
export type OutcomeClass = 'ok' | 'attention' | 'error';

export interface ReconcileCounts {
  /** Changes apply would attempt (not blocked). */
  readonly runnable: number;
  readonly applied: number;
  readonly failed: number;
  readonly skipped: number;
  readonly blocked: number;
}

/** The one value a reconcile returns; the CLI maps `outcome` to its exit code, the daemon to metrics and logs. */
export interface ReconcileOutcome {
  readonly plan: Plan;
  /** Empty when nothing was applied (plan mode, nothing to do, or declined). */
  readonly results: readonly TargetApplyReport[];
  readonly counts: ReconcileCounts;
  readonly outcome: OutcomeClass;
  /** False when `mode: 'plan'`, or `confirm` declined. */
  readonly applied: boolean;
}

export interface ReconcileInput {
  readonly configDigest: string;
  readonly sources: readonly Source[];
  readonly targets: readonly Target[];
  readonly snapshots: SnapshotStore;
  readonly audit: AuditLog;
  readonly actor: string;
  /** Target names to reconcile (the sources they draw on are read, no others); every target when absent. */
  readonly scope?: readonly string[];
  /** `plan` stops after the plan: nothing is written to any target, by construction. */
  readonly mode: 'apply' | 'plan';
  /** Reading and observing. */
  readonly signal: AbortSignal;
  /** Handed to targets while they write (default `signal`): aborting it may cut a change in half. */
  readonly writeSignal?: AbortSignal;
  /** Checked between changes only: once aborted, the change in flight completes and no other starts. */
  readonly stop?: AbortSignal;
  /** Called before every write; throwing skips the rest (see `ApplyInput.beforeWrite`). */
  readonly beforeWrite?: () => Promise<void>;
  /** A plan read from a file: decided from the world (`replanSaved`) instead of planned afresh. */
  readonly saved?: { readonly plan: Plan; readonly records: PlanRecords; readonly maxAge: string };
  /** Records a freshly made plan (so a saved copy can be applied later); not called for a saved plan. */
  readonly record?: (plan: Plan) => Promise<void>;
  /** Asked before applying a fresh plan that has runnable changes; false declines (nothing written). */
  readonly confirm?: (plan: Plan, runnable: number) => Promise<boolean>;
  readonly onProgress?: (e: { step: 'source' | 'target'; name: string }) => void;
  readonly onResult?: (target: string, r: ChangeResult) => void;
  readonly now?: () => Date;
}

/**
 * One level-based pass over a set of targets: read the sources they draw on, observe, diff, guard, and (mode `apply`)
 * apply what the guards let through, auditing every change and every guard decision. The CLI's `plan` and `apply`,
 * the daemon and the benchmarks all run this.
 *
 * Errors of the pass itself (a refused saved plan, a store failure) are thrown; per-change failures are results.
 */
export async function reconcileOnce(input: ReconcileInput): Promise<ReconcileOutcome> {
  const targets = inScope(input.targets, input.scope);
  const wanted = new Set(targets.flatMap((t) => t.sources));
  const sources = input.scope ? input.sources.filter((s) => wanted.has(s.name)) : input.sources;
  const planInput = {
    configDigest: input.configDigest,
    sources,
    targets,
    snapshots: input.snapshots,
    signal: input.signal,
    ...(input.now ? { now: input.now } : {}),
    ...(input.onProgress ? { onProgress: input.onProgress } : {}),
  };
  const { plan, observed } = input.saved
    ? await replanSaved({
        ...planInput,
        saved: input.saved.plan,
        records: input.saved.records,
        maxAge: input.saved.maxAge,
        audit: input.audit,
        actor: input.actor,
      })
    : await buildPlan(planInput);
  if (!input.saved) await input.record?.(plan);

  const runnable = plan.targets.reduce((n, t) => n + runnableChanges(t).length, 0);
  const blocked = plan.targets.reduce((n, t) => n + t.blocked.length, 0);
  let results: TargetApplyReport[] = [];
  let applied = false;
  const declined =
    input.mode === 'apply' && runnable > 0 && !input.saved && input.confirm && !(await input.confirm(plan, runnable));
  // Applied even when every change is blocked: the guard decisions made now are audited.
  if (input.mode === 'apply' && !declined && (runnable > 0 || blocked > 0)) {
    results = await applyPlan({
      plan,
      configDigest: input.configDigest,
      targets,
      audit: input.audit,
      actor: input.actor,
      signal: input.writeSignal ?? input.signal,
      observed,
      ...(input.stop ? { deadline: input.stop } : {}),
      ...(input.beforeWrite ? { beforeWrite: input.beforeWrite } : {}),
      ...(input.onResult ? { onResult: input.onResult } : {}),
      ...(input.now ? { now: input.now } : {}),
    });
    applied = true;
  }
  const counts = count(runnable, blocked, results);
  return { plan, results, counts, outcome: classify(plan, counts), applied };
}

/**
 * The attention policy, in one place: a change that failed or was not attempted (stopped, lost leadership) or an
 * unobservable target is an error; a blocked change or a source that was not live needs attention; else ok.
 */
export function classify(plan: Plan, counts: ReconcileCounts): OutcomeClass {
  if (counts.failed > 0 || counts.skipped > 0 || plan.targets.some((t) => t.error)) return 'error';
  if (counts.blocked > 0 || plan.sources.some((s) => s.status !== 'live')) return 'attention';
  return 'ok';
}

function count(runnable: number, blocked: number, results: readonly TargetApplyReport[]): ReconcileCounts {
  let applied = 0;
  let failed = 0;
  let skipped = 0;
  for (const r of results)
    for (const x of r.results) {
      if (x.status === 'applied') applied++;
      else if (x.status === 'failed') failed++;
      else skipped++;
    }
  return { runnable, applied, failed, skipped, blocked };
}

function inScope(targets: readonly Target[], scope: readonly string[] | undefined): Target[] {
  if (!scope) return [...targets];
  const wanted = new Set(scope);
  return targets.filter((t) => wanted.has(t.name));
}
