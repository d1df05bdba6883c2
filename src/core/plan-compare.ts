import { digest } from './canonical-json.ts';
import type { Plan, SourceReport, TargetPlan } from './plan.ts';

/**
 * What differs between a saved plan and the plan computed now, at the level a human acts on: the configuration, a
 * source's facts or status, a target's observation, a change, a guard verdict. Empty when the two plans are the same
 * plan. Display-only: the decision to refuse is that the plans differ at all.
 */
export function planDifferences(saved: Plan, fresh: Plan): string[] {
  const out: string[] = [];
  if (saved.configDigest !== fresh.configDigest) out.push('the configuration changed');
  out.push(...byName(saved.sources, fresh.sources, 'source', sourceDifferences));
  out.push(...byName(saved.targets, fresh.targets, 'target', targetDifferences));
  if (out.length === 0 && digest(withoutId(saved)) !== digest(withoutId(fresh))) out.push('the plan content differs');
  return out;
}

function sourceDifferences(a: SourceReport, b: SourceReport): string[] {
  const out: string[] = [];
  if (a.factsDigest !== b.factsDigest) out.push(`source ${a.name}'s data changed`);
  if (a.status !== b.status) out.push(`source ${a.name} is now ${b.status} (was ${a.status})`);
  else if (digest(a.notes) !== digest(b.notes) || a.snapshotAt !== b.snapshotAt) {
    out.push(`source ${a.name} reads differently now (${b.notes.join('; ') || 'no notes'})`);
  }
  return out;
}

function targetDifferences(a: TargetPlan, b: TargetPlan): string[] {
  const out: string[] = [];
  const name = `target ${a.name}`;
  if (a.observedDigest !== b.observedDigest) out.push(`${name} changed since the plan was made`);
  if ((a.error === undefined) !== (b.error === undefined)) {
    out.push(b.error ? `${name} cannot be observed now` : `${name} can be observed now`);
  }
  const changes = new Map(b.changes.map((c) => [c.id, c]));
  for (const c of a.changes) {
    const now = changes.get(c.id);
    if (!now) out.push(`${name}: change ${c.id} is no longer needed`);
    else if (digest(now) !== digest(c)) out.push(`${name}: change ${c.id} is different now`);
  }
  const before = new Set(a.changes.map((c) => c.id));
  for (const c of b.changes) if (!before.has(c.id)) out.push(`${name}: change ${c.id} is new`);
  if (digest(a.verdicts) !== digest(b.verdicts) || digest(a.blocked) !== digest(b.blocked)) {
    out.push(`${name}: the guard verdicts differ (now: ${verdictSummary(b)})`);
  }
  return out;
}

function verdictSummary(t: TargetPlan): string {
  const rejects = t.verdicts.filter((v) => v.outcome === 'reject').map((v) => v.guard);
  return rejects.length === 0 ? 'no guard rejects anything' : `rejected by ${[...new Set(rejects)].join(', ')}`;
}

function byName<T extends { name: string }>(
  saved: readonly T[],
  fresh: readonly T[],
  what: string,
  compare: (a: T, b: T) => string[],
): string[] {
  const out: string[] = [];
  const now = new Map(fresh.map((x) => [x.name, x]));
  for (const a of saved) {
    const b = now.get(a.name);
    if (b) out.push(...compare(a, b));
    else out.push(`${what} ${a.name} is no longer configured`);
  }
  const before = new Set(saved.map((x) => x.name));
  for (const b of fresh) if (!before.has(b.name)) out.push(`${what} ${b.name} is new`);
  return out;
}

function withoutId(plan: Plan): Omit<Plan, 'id'> {
  const { id: _id, ...body } = plan;
  return body;
}
