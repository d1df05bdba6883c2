import type { SnapshotStore } from './audit.ts';
import { digest } from './canonical-json.ts';
import type { Change, DesiredContext, Source, Target } from './contracts.ts';
import { describeError, isGatehouseError } from './errors.ts';
import { completenessGuard, holdBack, type GuardedChanges } from './guards.ts';
import { entryCount, type Facts, type ResolvedSource } from './model.ts';
import { sealPlan, type Plan, type SourceReport, type TargetPlan } from './plan.ts';

export interface PlanInput {
  readonly configDigest: string;
  readonly sources: readonly Source[];
  readonly targets: readonly Target[];
  readonly snapshots: SnapshotStore;
  readonly signal: AbortSignal;
  readonly now?: () => Date;
  /** Called as each step finishes, for progress display. */
  readonly onProgress?: (event: { step: 'source' | 'target'; name: string }) => void;
}

/**
 * Reads every source, then for each target computes desired state, observes, diffs and guards. Never writes to a
 * target. Complete source reads are saved as last-known-good snapshots; an incomplete read falls back to the snapshot.
 */
export async function buildPlan(input: PlanInput): Promise<{ plan: Plan; observed: Map<string, unknown> }> {
  const resolved = await resolveSources(input);
  const ctx: DesiredContext = { sources: new Map(resolved.map((r) => [r.name, r])) };
  const observed = new Map<string, unknown>();
  const targets: TargetPlan[] = [];
  for (const t of [...input.targets].sort(byName)) {
    const { plan, observation } = await planTarget(t, ctx, input.signal);
    if (observation !== undefined) observed.set(t.name, observation);
    targets.push(plan);
    input.onProgress?.({ step: 'target', name: t.name });
  }
  const sources: SourceReport[] = resolved.map((r) => ({
    name: r.name,
    type: r.type,
    status: r.status,
    factsDigest: digest(r.facts),
    notes: r.notes,
    ...(r.snapshotAt === undefined ? {} : { snapshotAt: r.snapshotAt }),
  }));
  return { plan: sealPlan({ format: 1, configDigest: input.configDigest, sources, targets }), observed };
}

/**
 * Reads every source concurrently. A complete read is saved as the last-known-good snapshot; an incomplete or failed
 * one falls back to the snapshot (`snapshot`) or, with none, contributes nothing (`missing`). A complete read with no
 * entries from a source whose snapshot has some counts as incomplete unless the source sets `allowEmpty`. Sorted by
 * name.
 */
export async function resolveSources(
  input: Pick<PlanInput, 'sources' | 'snapshots' | 'signal' | 'now' | 'onProgress'>,
): Promise<ResolvedSource[]> {
  const now = input.now ?? (() => new Date());
  return Promise.all(
    [...input.sources].sort(byName).map(async (s) => {
      const r = await resolveSource(s, input.snapshots, input.signal, now);
      input.onProgress?.({ step: 'source', name: s.name });
      return r;
    }),
  );
}

async function resolveSource(
  source: Source,
  snapshots: SnapshotStore,
  signal: AbortSignal,
  now: () => Date,
): Promise<ResolvedSource> {
  const base = { name: source.name, type: source.type };
  let notes: string[];
  try {
    const read = await source.read(signal);
    const suspicious = read.complete && source.allowEmpty !== true && entryCount(read.facts) === 0;
    const had = suspicious ? await snapshots.loadSnapshot(source.name) : undefined;
    const before = had ? entryCount(had.facts as Facts) : 0;
    if (read.complete && before === 0) {
      await snapshots.saveSnapshot(source.name, read.facts, now().toISOString());
      return { ...base, status: 'live', facts: read.facts, notes: [...read.notes] };
    }
    notes = read.complete
      ? [
          ...read.notes,
          `read returned no entries, but the last-known-good snapshot has ${before}; treated as incomplete ` +
            '(set allowEmpty: true on the source if empty is legitimate)',
        ]
      : [...read.notes, 'read incomplete'];
  } catch (e) {
    notes = [`read failed: ${describeError(e)}`];
  }
  const snap = await snapshots.loadSnapshot(source.name);
  if (snap) {
    return {
      ...base,
      status: 'snapshot',
      facts: snap.facts as Facts,
      notes: [...notes, `using last-known-good snapshot from ${snap.at}`],
      snapshotAt: snap.at,
    };
  }
  return { ...base, status: 'missing', facts: {}, notes: [...notes, 'no last-known-good snapshot'] };
}

async function planTarget(
  t: Target,
  ctx: DesiredContext,
  signal: AbortSignal,
): Promise<{ plan: TargetPlan; observation?: unknown }> {
  const base = { name: t.name, type: t.type };
  let observation: unknown;
  let desired: unknown;
  try {
    desired = t.desired(ctx);
    observation = await t.observe(signal);
  } catch (e) {
    const code = isGatehouseError(e) ? e.code : 'TARGET_FAILED';
    return {
      plan: {
        ...base,
        observedDigest: '',
        changes: [],
        verdicts: [],
        blocked: [],
        error: { code, message: describeError(e) },
      },
    };
  }
  const proposed: Change[] = t.diff(desired, observation);
  const notes = t.notes?.(desired, observation) ?? [];
  const { changes, verdicts, blocked } = guardTarget(t, proposed, desired, observation, ctx);
  return {
    plan: {
      ...base,
      observedDigest: digest(observation),
      changes,
      verdicts,
      blocked,
      ...(notes.length > 0 ? { notes } : {}),
    },
    observation,
  };
}

/**
 * The guard step of planning one target, pure: the generic completeness guard, then the target's own guards, then
 * {@link holdBack} (withholding the removal when the target can). Exported so that benchmarks time exactly this.
 */
export function guardTarget(
  t: Target,
  proposed: readonly Change[],
  desired: unknown,
  observation: unknown,
  ctx: DesiredContext,
): GuardedChanges<Change> {
  return holdBack(
    proposed,
    [...completenessGuard(t.sources, proposed, ctx), ...(t.guard?.(proposed, desired, observation, ctx) ?? [])],
    t.atomic ?? false,
    t.withhold && ((rejected) => t.withhold?.(proposed, rejected, desired, observation)),
  );
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
