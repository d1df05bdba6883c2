import type { AuditEvent, AuditLog } from './audit.ts';
import { digest } from './canonical-json.ts';
import type { Change, ChangeResult, Target, TargetSession } from './contracts.ts';
import { GatehouseError, describeError, isGatehouseError } from './errors.ts';
import { mapLimit } from './map-limit.ts';
import { runnableChanges, type Plan, type TargetPlan } from './plan.ts';
import { redact } from './redact.ts';

export interface ApplyInput {
  readonly plan: Plan;
  readonly configDigest: string;
  readonly targets: readonly Target[];
  readonly audit: AuditLog;
  readonly actor: string;
  readonly signal: AbortSignal;
  /**
   * Checked between changes only (e.g. the run's deadline): once it aborts, the remaining changes are skipped and
   * audited as such, while the change in flight completes. Unlike `signal`, it never reaches a target.
   */
  readonly deadline?: AbortSignal;
  /**
   * Called before every write (each change, or an atomic batch). Throwing means this process may not write any more
   * (the daemon lost leadership): the change and the rest are skipped and audited with the error's code.
   */
  readonly beforeWrite?: () => Promise<void>;
  readonly now?: () => Date;
  /** Already-fresh observations (same run as the plan); other targets are re-observed. */
  readonly observed?: ReadonlyMap<string, unknown>;
  readonly onResult?: (target: string, result: ChangeResult) => void;
  /**
   * Blocked changes an approver released (a guard release): by target, the ids applied despite the verdicts that
   * blocked them, each audited as `guard-override` naming `by`. Only ids the plan itself blocked are released.
   */
  readonly release?: { readonly by: string; readonly ids: ReadonlyMap<string, ReadonlySet<string>> };
}

export interface TargetApplyReport {
  readonly target: string;
  readonly results: readonly ChangeResult[];
}

/**
 * Applies a plan. Refuses it whole (PLAN_STALE) if the configuration changed or any target's fresh observation differs
 * from the one the plan was computed against: the plan would no longer say what happens. Then, per target, runs the
 * unblocked changes; a failing change is recorded and the others continue. Every result is audited, and so is every
 * guard verdict that blocked a change (`guard-rejected`). A plan read from a file goes through `replanSaved` first:
 * this function trusts the plan it is given.
 */
export async function applyPlan(input: ApplyInput): Promise<TargetApplyReport[]> {
  const now = input.now ?? (() => new Date());
  const { plan } = input;
  const byName = new Map(input.targets.map((t) => [t.name, t]));
  const released = (tp: TargetPlan) => tp.blocked.filter((id) => input.release?.ids.get(tp.name)?.has(id) === true);
  // A released change runs as if unblocked; its verdicts are audited as overridden, not as rejections.
  const targets = plan.targets.map((tp) => {
    const r = new Set(released(tp));
    return r.size === 0 ? tp : { ...tp, blocked: tp.blocked.filter((id) => !r.has(id)) };
  });
  /** Each target's observation, verified to be the one the plan was made from; handed to its apply. */
  const verified = new Map<string, unknown>();

  if (plan.configDigest !== input.configDigest) {
    await refuse(input, now, 'the configuration changed since the plan was made');
  }
  for (const tp of targets) {
    if (runnableChanges(tp).length === 0) continue;
    const target = byName.get(tp.name);
    if (!target) await refuse(input, now, `target ${tp.name} is not in the configuration`);
    else {
      const fresh = input.observed?.get(tp.name) ?? (await target.observe(input.signal));
      if (digest(fresh) !== tp.observedDigest) {
        await refuse(input, now, `target ${tp.name} changed since the plan was made; plan again`);
      }
      verified.set(tp.name, fresh);
    }
  }

  const decided = targets.flatMap((tp) => guardEvents(tp, plan.id, input.actor, now().toISOString()));
  const overridden = plan.targets.flatMap((tp) =>
    released(tp).map((id): AuditEvent => ({
      at: now().toISOString(),
      actor: input.actor,
      action: 'guard-override',
      target: tp.name,
      changeId: id,
      summary: redact(
        `released ${id}, blocked by ${tp.verdicts
          .filter((v) => v.outcome === 'reject' && v.changeIds.includes(id))
          .map((v) => v.guard)
          .join(', ')}`,
      ),
      status: 'applied',
      planId: plan.id,
      message: redact(`released by ${input.release?.by ?? 'unknown'}`),
    })),
  );
  if (decided.length + overridden.length > 0) await input.audit.append([...decided, ...overridden]);

  const reports: TargetApplyReport[] = [];
  for (const tp of targets) {
    const target = byName.get(tp.name);
    const changes = runnableChanges(tp);
    if (!target || changes.length === 0) continue;
    const audit: Audit = (c, r) =>
      input.audit.append([
        {
          at: now().toISOString(),
          actor: input.actor,
          action: 'apply',
          target: tp.name,
          changeId: c.id,
          kind: c.kind,
          summary: redact(c.summary),
          status: r.status,
          planId: plan.id,
          ...(r.message === undefined ? {} : { message: redact(r.message) }),
        },
      ]);
    const results = await applyTarget(target, changes, verified.get(tp.name), input, audit, (r) =>
      input.onResult?.(tp.name, r),
    );
    reports.push({ target: tp.name, results });
  }
  return reports;
}

type Audit = (c: Change, r: { status: AuditEvent['status']; message?: string }) => Promise<unknown>;

/**
 * Every change is audited as `started` before it is attempted and with its result right after, so neither a crash
 * nor a kill between the write and the audit leaves an applied change without a trace. An atomic target's changes go
 * in one call (one transaction); any other target's one per call, each after checking it may still write.
 */
async function applyTarget(
  target: Target,
  changes: readonly Change[],
  observed: unknown,
  { signal, deadline, beforeWrite }: Pick<ApplyInput, 'signal' | 'deadline' | 'beforeWrite'>,
  audit: Audit,
  done: (r: ChangeResult) => void,
): Promise<ChangeResult[]> {
  let refused: ChangeResult | undefined;
  /** Why no further write may start, as the result to record; undefined when writing may go on. */
  const mayNotWrite = async (c: Change): Promise<ChangeResult | undefined> => {
    if (signal.aborted || deadline?.aborted === true) return { id: c.id, status: 'skipped', message: 'aborted' };
    if (refused) return { ...refused, id: c.id };
    try {
      await beforeWrite?.();
      return undefined;
    } catch (e) {
      refused = {
        id: c.id,
        status: 'skipped',
        message: `not written: ${describeError(e)}`,
        errorCode: isGatehouseError(e) ? e.code : 'INTERNAL',
      };
      return refused;
    }
  };
  const record = async (c: Change, r: ChangeResult): Promise<ChangeResult> => {
    await audit(c, r);
    done(r);
    return r;
  };
  const runner = sessionOf(target, signal, observed);
  try {
    if (target.atomic) {
      const refusal = changes[0] === undefined ? undefined : await mayNotWrite(changes[0]);
      // The batch is one transaction: not started at all, like each change of a non-atomic target would be.
      if (refusal) return await recordAll(changes, (c) => ({ ...refusal, id: c.id }), record);
      for (const c of changes) await audit(c, { status: 'started' });
      const results = await runner.apply(changes);
      return await recordAll(changes, (c, i) => results[i] ?? failed(c, new Error('no result')), record);
    }
    const applyOne = async (c: Change): Promise<ChangeResult> => {
      const refusal = await mayNotWrite(c);
      if (refusal) return record(c, refusal);
      await audit(c, { status: 'started' });
      const [r] = await runner.apply([c]);
      return record(c, r ?? failed(c, new Error('no result')));
    };
    const results: ChangeResult[] = [];
    const limit = Math.max(1, target.applyConcurrency ?? 1);
    // Never aborted: an abort is each change's to record (as skipped), not a reason to stop recording.
    const unaborted = new AbortController().signal;
    for (const run of runsOfKind(changes)) {
      results.push(...(limit === 1 ? await serial(run, applyOne) : await mapLimit(run, limit, unaborted, applyOne)));
    }
    return results;
  } finally {
    await runner.close();
  }
}

/**
 * The target's session for this run, opened on first use (a run that writes nothing opens none); a session that
 * cannot be opened fails the changes it was opened for.
 */
function sessionOf(target: Target, signal: AbortSignal, observed: unknown) {
  let opened: Promise<TargetSession> | undefined;
  return {
    async apply(changes: readonly Change[]): Promise<ChangeResult[]> {
      try {
        if (!target.openSession) return await target.apply(changes, signal, observed);
        opened ??= target.openSession(signal);
        return await (await opened).apply(changes, signal, observed);
      } catch (e) {
        return changes.map((c) => failed(c, e));
      }
    },
    async close(): Promise<void> {
      const session = await opened?.catch(() => undefined);
      await session?.close();
    },
  };
}

async function recordAll(
  changes: readonly Change[],
  result: (c: Change, i: number) => ChangeResult,
  record: (c: Change, r: ChangeResult) => Promise<ChangeResult>,
): Promise<ChangeResult[]> {
  const out: ChangeResult[] = [];
  for (const [i, c] of changes.entries()) out.push(await record(c, result(c, i)));
  return out;
}

async function serial<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) out.push(await fn(item));
  return out;
}

/** Consecutive changes of the same kind: a target orders kinds that depend on each other, runs keep that order. */
function runsOfKind(changes: readonly Change[]): Change[][] {
  const runs: Change[][] = [];
  for (const c of changes) {
    const last = runs.at(-1);
    if (last && last[0]?.kind === c.kind) last.push(c);
    else runs.push([c]);
  }
  return runs;
}

function failed(c: Change, e: unknown): ChangeResult {
  return {
    id: c.id,
    status: 'failed',
    message: describeError(e),
    errorCode: isGatehouseError(e) ? e.code : 'TARGET_FAILED',
  };
}

async function refuse(input: ApplyInput, now: () => Date, reason: string): Promise<never> {
  return refusePlan({ ...input, planId: input.plan.id, now }, 'PLAN_STALE', reason);
}

/**
 * Refuses a plan: audits the refusal (`plan-refused`, with the reason) and throws a terminal `GatehouseError` with
 * `code` (PLAN_STALE, PLAN_EXPIRED or PLAN_INVALID).
 */
export async function refusePlan(
  at: { audit: AuditLog; actor: string; planId: string; now: () => Date },
  code: 'PLAN_STALE' | 'PLAN_EXPIRED' | 'PLAN_INVALID',
  reason: string,
): Promise<never> {
  await at.audit.append([
    {
      at: at.now().toISOString(),
      actor: at.actor,
      action: 'plan-refused',
      target: '*',
      summary: `plan ${at.planId} refused`,
      status: 'refused',
      planId: at.planId,
      message: redact(reason),
    },
  ]);
  throw new GatehouseError(code, `plan ${at.planId} refused: ${reason}`, { terminal: true });
}

/**
 * One audit event per guard verdict that blocked something: the decision not to apply is as much a part of the record
 * as an applied change, and it is made now, against the world now.
 */
function guardEvents(tp: TargetPlan, planId: string, actor: string, at: string): AuditEvent[] {
  const blocked = new Set(tp.blocked);
  return tp.verdicts
    .filter((v) => v.outcome === 'reject' && v.changeIds.some((id) => blocked.has(id)))
    .map((v) => {
      const ids = v.changeIds.filter((id) => blocked.has(id));
      const held =
        tp.blocked.length > ids.length ? ` (holding back all ${tp.blocked.length} changes of the target)` : '';
      return {
        at,
        actor,
        action: 'guard-rejected',
        target: tp.name,
        ...(ids.length === 1 ? { changeId: ids[0] } : {}),
        summary: redact(`guard ${v.guard} blocked ${ids.join(', ')}${held}`),
        status: 'skipped',
        planId,
        message: redact(v.message),
      } satisfies AuditEvent;
    });
}
