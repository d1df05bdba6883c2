import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { applyPlan, type TargetApplyReport } from './core/apply.ts';
import type { AuditLog, SnapshotStore } from './core/audit.ts';
import { loadConfig, type LoadedConfig } from './core/config/load.ts';
import type { ChangeResult, Source, Target } from './core/contracts.ts';
import { GatehouseError } from './core/errors.ts';
import { buildPlan } from './core/pipeline.ts';
import type { Plan } from './core/plan.ts';
import type { GatehouseConfig } from './config/schema.ts';
import type { PluginDeps } from './plugins.ts';
import { configSchema, sourcePlugins, targetPlugins } from './registry.ts';
import { openStore } from './store/index.ts';

export interface EngineOptions {
  readonly configFile: string;
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
}

/** Loads and validates the configuration without opening the store or touching anything. */
export async function loadGatehouseConfig(configFile: string, env: NodeJS.ProcessEnv = process.env) {
  return (await loadConfig(configFile, configSchema, { env })) as LoadedConfig<GatehouseConfig>;
}

/**
 * The pipeline wired to configuration, plugins and the store: what the CLI and the daemon both drive.
 * Holds the store open until `close`.
 */
export class Engine {
  readonly config: LoadedConfig<GatehouseConfig>;
  readonly sources: readonly Source[];
  readonly targets: readonly Target[];
  readonly audit: AuditLog;
  readonly snapshots: SnapshotStore;
  readonly close: () => Promise<void>;

  private constructor(init: {
    config: LoadedConfig<GatehouseConfig>;
    sources: Source[];
    targets: Target[];
    audit: AuditLog;
    snapshots: SnapshotStore;
    close: () => Promise<void>;
  }) {
    this.config = init.config;
    this.sources = init.sources;
    this.targets = init.targets;
    this.audit = init.audit;
    this.snapshots = init.snapshots;
    this.close = init.close;
  }

  static async open(options: EngineOptions): Promise<Engine> {
    const env = options.env ?? process.env;
    const config = await loadGatehouseConfig(options.configFile, env);
    const deps: PluginDeps = { baseDir: config.baseDir, logger: options.logger, env };
    const sources = Object.entries(config.value.sources).map(([name, cfg]) => {
      const plugin = sourcePlugins.find((p) => p.type === cfg.type);
      if (!plugin) throw new GatehouseError('CONFIG_INVALID', `unknown source type ${cfg.type}`, { terminal: true });
      return plugin.create(name, cfg, deps);
    });
    const targets = Object.entries(config.value.targets).map(([name, cfg]) => {
      const plugin = targetPlugins.find((p) => p.type === cfg.type);
      if (!plugin) throw new GatehouseError('CONFIG_INVALID', `unknown target type ${cfg.type}`, { terminal: true });
      return plugin.create(name, cfg, deps);
    });
    const databaseUrl = env.DATABASE_URL;
    const store = await openStore({
      stateDir: resolve(config.baseDir, config.value.state.dir),
      ...(databaseUrl ? { databaseUrl } : {}),
    });
    return new Engine({
      config,
      sources,
      targets,
      audit: store.audit,
      snapshots: store.snapshots,
      close: () => store.close(),
    });
  }

  /** Reads sources, observes targets, diffs and guards. Writes nothing to any target. */
  plan(signal: AbortSignal, onProgress?: (e: { step: 'source' | 'target'; name: string }) => void) {
    return buildPlan({
      configDigest: this.config.digest,
      sources: this.sources,
      targets: this.targets,
      snapshots: this.snapshots,
      signal,
      ...(onProgress ? { onProgress } : {}),
    });
  }

  apply(
    plan: Plan,
    options: {
      actor: string;
      signal: AbortSignal;
      observed?: ReadonlyMap<string, unknown>;
      onResult?: (target: string, r: ChangeResult) => void;
    },
  ): Promise<TargetApplyReport[]> {
    return applyPlan({
      plan,
      configDigest: this.config.digest,
      targets: this.targets,
      audit: this.audit,
      actor: options.actor,
      signal: options.signal,
      ...(options.observed ? { observed: options.observed } : {}),
      ...(options.onResult ? { onResult: options.onResult } : {}),
    });
  }
}
