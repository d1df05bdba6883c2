import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { applyPlan, type TargetApplyReport } from './core/apply.ts';
import type { LoadedConfig } from './core/config/load.ts';
import type { ChangeResult, Source, Target } from './core/contracts.ts';
import { isGroupMember } from './core/approvers.ts';
import { parseDuration } from './core/duration.ts';
import { decideLink, type Link, type LinkDecision } from './core/links.ts';
import { releasePlan, type Release } from './core/releases.ts';
import { GatehouseError } from './core/errors.ts';
import { buildPlan, resolveSources } from './core/pipeline.ts';
import { replanSaved } from './core/saved-plan.ts';
import { reconcileOnce, type ReconcileInput, type ReconcileOutcome } from './core/reconcile.ts';
import type { ResolvedSource } from './core/model.ts';
import type { Plan } from './core/plan.ts';
import type { GatehouseConfig } from './config/schema.ts';
import type {
  PluginDeps,
  SourcePlugin,
  SourcePluginEntry,
  TargetPlugin,
  TargetPluginEntry,
  Telemetry,
} from './plugins.ts';
import { loadGatehouseConfig } from './config/load-gatehouse.ts';
import { sourcePlugins, targetPlugins } from './registry.ts';
import type { Store } from './store/index.ts';

/** Plan records are kept at least this long (7 days), whatever plan.maxAge is. */
const PLAN_RECORDS_MIN_KEEP_MS = 7 * 24 * 3_600_000;

export interface EngineOptions {
  readonly configFile: string;
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** Directories outside the config's own tree that `include:` may read (`--allow-include`). */
  readonly includeDirs?: readonly string[];
  /** Figures plugins report for metrics (the daemon's). */
  readonly telemetry?: Telemetry;
  /** Embedded store only: how long to queue behind another process holding the state dir (default 0: refuse). */
  readonly lockWaitMs?: number;
  /** Told the holder's pid once, when queueing behind it starts. */
  readonly onLockWait?: (holderPid: string) => void;
}

/**
 * The pipeline wired to configuration, plugins and the store: what the CLI and the daemon both drive.
 * Holds the store open until `close`.
 */
export class Engine {
  readonly config: LoadedConfig<GatehouseConfig>;
  readonly sources: readonly Source[];
  readonly targets: readonly Target[];
  readonly store: Store;
  /** Where the audit chain head is anchored after each run (`audit.anchorFile`, resolved). */
  readonly auditAnchorFile: string;
  readonly #logger: Logger;
  readonly #ownsStore: boolean;

  private constructor(init: {
    config: LoadedConfig<GatehouseConfig>;
    sources: Source[];
    targets: Target[];
    store: Store;
    auditAnchorFile: string;
    logger: Logger;
    ownsStore: boolean;
  }) {
    this.#ownsStore = init.ownsStore;
    this.config = init.config;
    this.sources = init.sources;
    this.targets = init.targets;
    this.store = init.store;
    this.auditAnchorFile = init.auditAnchorFile;
    this.#logger = init.logger;
  }

  /**
   * Anchors the audit chain head if this engine wrote audit records since the last anchor, then closes the store if
   * this engine opened it (`open`); an engine built on a shared store (`onStore`) leaves it open.
   */
  async close(): Promise<void> {
    try {
      await this.anchorAudit();
    } finally {
      if (this.#ownsStore) await this.store.close();
    }
  }

  /**
   * Appends the audit chain head to the anchor file when audit records were written since the last anchor, and logs
   * it. A failure is logged, not thrown: what was applied and audited stands, and the next run anchors again.
   */
  async anchorAudit(): Promise<void> {
    try {
      const anchor = await this.store.anchorAudit();
      if (anchor)
        this.#logger.info(
          { auditHead: `${anchor.seq}:${anchor.hash}`, anchorFile: this.auditAnchorFile },
          'audit chain head anchored',
        );
    } catch (e) {
      this.#logger.error({ err: e, anchorFile: this.auditAnchorFile }, 'could not anchor the audit chain head');
    }
  }

  static async open(options: EngineOptions): Promise<Engine> {
    const env = options.env ?? process.env;
    const config = await loadGatehouseConfig(
      options.configFile,
      env,
      options.includeDirs ? { includeDirs: options.includeDirs } : {},
    );
    const databaseUrl = env.DATABASE_URL;
    const stateDir = resolve(config.baseDir, config.value.state.dir);
    const auditAnchorFile = resolve(
      config.baseDir,
      config.value.audit.anchorFile ?? join(stateDir, 'audit-anchors.jsonl'),
    );
    // Loaded here, not at the top: commands that never open the store (`--help`, `validate`) skip PGlite and pg.
    const { openStore } = await import('./store/index.ts');
    const store = await openStore({
      stateDir,
      auditAnchorFile,
      ...(databaseUrl ? { databaseUrl } : {}),
      ...(options.lockWaitMs === undefined ? {} : { lockWaitMs: options.lockWaitMs }),
      ...(options.onLockWait ? { onLockWait: options.onLockWait } : {}),
    });
    try {
      // Awaited here so a plugin that fails to load or build closes the store below.
      return await Engine.#build(config, store, auditAnchorFile, options, true);
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  /**
   * Loads the configuration and builds its sources and targets on a store that outlives it: the daemon opens the
   * store once and builds a new engine on every reload. `state.dir` and `audit.anchorFile` changes take effect only
   * when the store is opened again (a restart).
   *
   * @throws ConfigError (CONFIG_INVALID) for an invalid configuration; the store is untouched.
   */
  static async onStore(store: Store, options: EngineOptions & { auditAnchorFile: string }): Promise<Engine> {
    const env = options.env ?? process.env;
    const config = await loadGatehouseConfig(
      options.configFile,
      env,
      options.includeDirs ? { includeDirs: options.includeDirs } : {},
    );
    return Engine.#build(config, store, options.auditAnchorFile, options, false);
  }

  static async #build(
    config: LoadedConfig<GatehouseConfig>,
    store: Store,
    auditAnchorFile: string,
    options: EngineOptions,
    ownsStore: boolean,
  ): Promise<Engine> {
    const env = options.env ?? process.env;
    const deps: PluginDeps = {
      baseDir: config.baseDir,
      logger: options.logger,
      env,
      cache: store.cache,
      state: store.state,
      links: store.links,
      requestTimeoutMs: parseDuration(config.value.run.requestTimeout),
      ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    };
    // Only the plugins this configuration uses are loaded, each once, with its vendor SDK.
    const sourceImpls = await loadPlugins(sourcePlugins, Object.values(config.value.sources));
    const targetImpls = await loadPlugins(targetPlugins, Object.values(config.value.targets));
    const sources = Object.entries(config.value.sources).map(([name, cfg]) =>
      (sourceImpls.get(cfg.type) as SourcePlugin).create(name, cfg, deps),
    );
    const targets = Object.entries(config.value.targets).map(([name, cfg]) =>
      (targetImpls.get(cfg.type) as TargetPlugin).create(name, cfg, deps),
    );
    return new Engine({ config, sources, targets, store, auditAnchorFile, logger: options.logger, ownsStore });
  }

  /**
   * Whether `person` is in a `links.approvers` group, read fresh from its source now. Throws SOURCE_INCOMPLETE when
   * that cannot be told (see `isGroupMember`).
   */
  isApprover(person: string, signal: AbortSignal): Promise<boolean> {
    return isGroupMember(this.sources, this.config.value.links.approvers, person, signal);
  }

  /** Approves, rejects or revokes a link as `decider` (see `decideLink`): checked, recorded, audited, anchored. */
  async decideLink(input: {
    id: string;
    decision: LinkDecision;
    decider: string;
    actor: string;
    reason?: string;
    signal: AbortSignal;
  }): Promise<Link> {
    try {
      return await decideLink({
        links: this.store.links,
        audit: this.store.audit,
        id: input.id,
        decision: input.decision,
        decider: input.decider,
        actor: input.actor,
        ...(input.reason === undefined ? {} : { reason: input.reason }),
        isApprover: (p) => this.isApprover(p, input.signal),
      });
    } finally {
      await this.anchorAudit();
    }
  }

  /**
   * Queues the blocked changes of `plan` for release, for targets with `releaseQueue: true`: records the plan as made
   * here now (so it can be decided like a saved plan, within plan.maxAge) and one release per target. Returns the
   * releases queued; `created` is false for a plan already pending (queued by an earlier pass).
   */
  async queueBlocked(plan: Plan): Promise<{ release: Release; created: boolean }[]> {
    const out: { release: Release; created: boolean }[] = [];
    for (const tp of plan.targets) {
      if (tp.blocked.length === 0 || this.config.value.targets[tp.name]?.releaseQueue !== true) continue;
      const now = new Date();
      await this.store.plans.recordPlan(plan.id, now);
      out.push(await this.store.releases.request(tp.name, plan, tp.blocked, now));
    }
    return out;
  }

  /** Releases a queued plan once as `decider` (see `releasePlan`): approver checked, decided from the world, applied. */
  async releasePlan(input: { id: string; decider: string; actor: string; signal: AbortSignal }): Promise<Release> {
    try {
      return await releasePlan({
        releases: this.store.releases,
        audit: this.store.audit,
        id: input.id,
        decider: input.decider,
        actor: input.actor,
        isApprover: (p) => this.isApprover(p, input.signal),
        // A serve pass plans one target and the sources it draws from: recompute exactly what the saved plan covers,
        // or the plan computed now would differ by what it left out. (A changed configuration is refused anyway.)
        replan: (saved) => {
          const targets = new Set(saved.targets.map((t) => t.name));
          const sources = new Set(saved.sources.map((x) => x.name));
          return replanSaved({
            saved,
            records: this.store.plans,
            maxAge: this.config.value.plan.maxAge,
            audit: this.store.audit,
            actor: input.actor,
            configDigest: this.config.digest,
            sources: this.sources.filter((x) => sources.has(x.name)),
            targets: this.targets.filter((t) => targets.has(t.name)),
            snapshots: this.store.snapshots,
            signal: input.signal,
          });
        },
        apply: (plan, observed, release) =>
          applyPlan({
            plan,
            configDigest: this.config.digest,
            targets: this.targets,
            audit: this.store.audit,
            actor: input.actor,
            signal: input.signal,
            observed,
            release,
          }),
      });
    } finally {
      await this.anchorAudit();
    }
  }

  /** Reads every source (snapshot fallback), without observing any target. */
  readSources(signal: AbortSignal): Promise<ResolvedSource[]> {
    return resolveSources({ sources: this.sources, snapshots: this.store.snapshots, signal });
  }

  /**
   * One reconcile pass (see `reconcileOnce`) wired to this configuration and store: a fresh plan is recorded (so a
   * saved copy can be applied within `plan.maxAge`); a saved plan is decided from the world.
   */
  reconcile(
    options: Pick<
      ReconcileInput,
      | 'mode'
      | 'scope'
      | 'actor'
      | 'signal'
      | 'writeSignal'
      | 'stop'
      | 'beforeWrite'
      | 'confirm'
      | 'onProgress'
      | 'onResult'
    > & { saved?: Plan; record?: boolean },
  ): Promise<ReconcileOutcome> {
    const { saved, record = true, ...rest } = options;
    return reconcileOnce({
      ...rest,
      configDigest: this.config.digest,
      sources: this.sources,
      targets: this.targets,
      snapshots: this.store.snapshots,
      audit: this.store.audit,
      ...(record ? { record: (plan: Plan) => this.#record(plan.id) } : {}),
      ...(saved ? { saved: { plan: saved, records: this.store.plans, maxAge: this.config.value.plan.maxAge } } : {}),
    });
  }

  async #record(planId: string): Promise<void> {
    const now = new Date();
    await this.store.plans.recordPlan(planId, now);
    // A record older than plan.maxAge only ever refuses; a week's margin keeps it for a maxAge raised later.
    const keep = Math.max(parseDuration(this.config.value.plan.maxAge), PLAN_RECORDS_MIN_KEEP_MS);
    await this.store.plans.forgetPlansBefore(new Date(now.getTime() - keep));
  }

  /**
   * Reads sources, observes targets, diffs and guards. Writes nothing to any target. Records the plan's id and the
   * time in the store, so a saved copy of it can be applied (within `plan.maxAge`) by this installation.
   */
  async plan(signal: AbortSignal, onProgress?: (e: { step: 'source' | 'target'; name: string }) => void) {
    const made = await buildPlan({
      configDigest: this.config.digest,
      sources: this.sources,
      targets: this.targets,
      snapshots: this.store.snapshots,
      signal,
      ...(onProgress ? { onProgress } : {}),
    });
    await this.#record(made.plan.id);
    return made;
  }

  /**
   * Decides a saved plan from the world: refuses it unless this installation made it within `plan.maxAge` and the plan
   * computed now is the same plan; returns the plan computed now (apply that, never the file). See `replanSaved`.
   */
  replanSaved(
    saved: Plan,
    options: {
      actor: string;
      signal: AbortSignal;
      onProgress?: (e: { step: 'source' | 'target'; name: string }) => void;
    },
  ) {
    return replanSaved({
      saved,
      records: this.store.plans,
      maxAge: this.config.value.plan.maxAge,
      audit: this.store.audit,
      actor: options.actor,
      configDigest: this.config.digest,
      sources: this.sources,
      targets: this.targets,
      snapshots: this.store.snapshots,
      signal: options.signal,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  }

  apply(
    plan: Plan,
    options: {
      actor: string;
      signal: AbortSignal;
      /** Checked between changes only (see `ApplyInput.deadline`). */
      deadline?: AbortSignal;
      observed?: ReadonlyMap<string, unknown>;
      onResult?: (target: string, r: ChangeResult) => void;
    },
  ): Promise<TargetApplyReport[]> {
    return applyPlan({
      plan,
      configDigest: this.config.digest,
      targets: this.targets,
      audit: this.store.audit,
      actor: options.actor,
      signal: options.signal,
      ...(options.deadline ? { deadline: options.deadline } : {}),
      ...(options.observed ? { observed: options.observed } : {}),
      ...(options.onResult ? { onResult: options.onResult } : {}),
    }).finally(() => this.anchorAudit());
  }
}

/** Loads the implementation of every plugin type the blocks name, keyed by type. */
async function loadPlugins<E extends SourcePluginEntry | TargetPluginEntry>(
  entries: readonly E[],
  blocks: readonly { type: string }[],
): Promise<Map<string, Awaited<ReturnType<E['load']>>>> {
  const loaded = new Map<string, Awaited<ReturnType<E['load']>>>();
  for (const type of new Set(blocks.map((b) => b.type))) {
    const found = entries.find((p) => p.type === type);
    // The schema only admits known types, so this is a programming error, not a user one.
    if (!found) throw new GatehouseError('CONFIG_INVALID', `no plugin for type ${type}`, { terminal: true });
    loaded.set(type, (await found.load()) as Awaited<ReturnType<E['load']>>);
  }
  return loaded;
}

export { loadGatehouseConfig };
