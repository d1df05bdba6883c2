import { parseDuration } from '../core/duration.ts';
import { describeError, isGatehouseError } from '../core/errors.ts';
import type { ReconcileOutcome } from '../core/reconcile.ts';
import type { Logger } from 'pino';
import type { Engine } from '../engine.ts';
import type { Plan } from '../core/plan.ts';
import type { Target } from '../core/contracts.ts';
import { linksHttp, releaseMessages } from '../server/links/endpoint.ts';
import type { ReconcileReport, ReconcileRequest } from './controller.ts';
import type { Runtime, ServeSettings } from './daemon.ts';

/** The daemon's view of one loaded configuration: its targets with their modes, sources, reconcile, settings. */
export function runtimeOf(engine: Engine, actor: string, logger?: Logger): Runtime {
  const cfg = engine.config.value;
  const targets = engine.targets.map((t) => {
    const minInterval = cfg.targets[t.name]?.minInterval;
    return {
      name: t.name,
      mode: cfg.targets[t.name]?.mode ?? 'apply',
      sources: t.sources,
      ...(minInterval === undefined ? {} : { minIntervalMs: parseDuration(minInterval) }),
    };
  });
  return {
    targets,
    sources: engine.sources,
    watchedTargets: watchedTargets(engine.targets, targets),
    githubTargets: engine.targets.filter((t) => t.type === 'github').map((t) => t.name),
    settings: settingsOf(engine),
    ...(logger ? withInteractions(engine, logger) : {}),
    reconcile: (req) => reconcileTarget(engine, actor, req, logger),
    close: () => engine.close(),
  };
}

/**
 * The targets whose watch the daemon runs: those that have one and may write. A plan-only target is never watched: a
 * watch may itself write to the target (nftables commits invisible marker transactions to prove its monitor caught
 * up), and plan-only means nothing is written there, by construction.
 */
export function watchedTargets<T extends Pick<Target, 'name' | 'watch'>>(
  targets: readonly T[],
  modes: readonly { name: string; mode: 'apply' | 'plan-only' }[],
): T[] {
  return targets.filter((t) => t.watch !== undefined && modes.find((m) => m.name === t.name)?.mode === 'apply');
}

async function reconcileTarget(
  engine: Engine,
  actor: string,
  req: ReconcileRequest,
  logger?: Logger,
): Promise<ReconcileReport> {
  let outcome: ReconcileOutcome;
  try {
    outcome = await engine.reconcile({
      mode: req.apply ? 'apply' : 'plan',
      scope: [req.target],
      actor,
      // Reading stops on either stop; a change in flight sees only the hard one, so SIGTERM lets it finish.
      signal: AbortSignal.any([req.stop, req.signal]),
      writeSignal: req.signal,
      stop: req.stop,
      beforeWrite: req.beforeWrite,
      record: false,
    });
  } catch (e) {
    return {
      outcome: 'error',
      applied: 0,
      failed: 0,
      skipped: 0,
      blocked: 0,
      pending: 0,
      sources: [],
      error: {
        code: isGatehouseError(e) ? e.code : 'INTERNAL',
        message: describeError(e),
        terminal: isGatehouseError(e) && e.terminal,
      },
    };
  } finally {
    if (req.apply) await engine.anchorAudit();
  }
  const { counts, plan } = outcome;
  if (req.apply && counts.blocked > 0) await queueForRelease(engine, plan, logger);
  const failedTarget = plan.targets.find((t) => t.error);
  return {
    outcome: outcome.outcome,
    planId: plan.id,
    applied: counts.applied,
    failed: counts.failed,
    skipped: counts.skipped,
    blocked: counts.blocked,
    pending: outcome.applied ? 0 : counts.runnable,
    sources: plan.sources.map((s) => ({ name: s.name, status: s.status })),
    ...(failedTarget?.error ? { error: { code: failedTarget.error.code, message: failedTarget.error.message } } : {}),
  };
}

/**
 * Queues the blocked changes of a reconcile for release (targets with `releaseQueue`), and posts each new request to
 * the approvers' Discord channel when `links.discord` is set. A failure is logged: the guard still holds.
 */
async function queueForRelease(engine: Engine, plan: Plan, logger: Logger | undefined): Promise<void> {
  try {
    const messages = releaseMessages(engine);
    for (const { release: r, created } of await engine.queueBlocked(plan)) {
      if (!created) continue;
      logger?.info(
        { release: r.id, target: r.target, plan: r.planId, blocked: r.blocked.length },
        'queued for release',
      );
      await messages?.postRelease(r);
    }
  } catch (e) {
    logger?.error({ plan: plan.id, error: describeError(e) }, 'could not queue the blocked changes for release');
  }
}

function withInteractions(engine: Engine, logger: Logger): Pick<Runtime, 'interactions' | 'web'> {
  const { interactions, web } = linksHttp(engine, logger);
  return { ...(interactions ? { interactions } : {}), ...(web ? { web } : {}) };
}

function settingsOf(engine: Engine): ServeSettings {
  const s = engine.config.value.serve;
  return {
    listen: hostPort(s.listen),
    ...(s.metricsListen ? { metricsListen: hostPort(s.metricsListen) } : {}),
    fullPassMs: parseDuration(s.fullPass),
    minIntervalMs: parseDuration(s.minInterval),
    concurrency: s.concurrency,
    ...(s.githubWebhook ? { githubWebhook: s.githubWebhook } : {}),
  };
}

function hostPort(v: string): { host: string; port: number } {
  const i = v.lastIndexOf(':');
  return { host: v.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(v.slice(i + 1)) };
}
