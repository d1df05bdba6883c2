import type { Logger } from 'pino';
import type { z } from 'zod';
import type { KeyValueCache } from './core/cache.ts';
import type { Clock } from './core/clock.ts';
import type { Change, Source, Target } from './core/contracts.ts';
import type { LinkStore } from './core/links.ts';
import type { TargetState } from './core/target-state.ts';

/** Figures a plugin reports for the daemon's metrics; absent outside `serve`. */
export interface Telemetry {
  /** The API's remaining request quota, as its last answer said (GitHub's `x-ratelimit-remaining`). */
  rateLimitRemaining(plugin: string, remaining: number): void;
}

/** What every plugin factory receives. */
export interface PluginDeps {
  readonly telemetry?: Telemetry;
  /** Directory of the root config file; relative paths in plugin config resolve against it. */
  readonly baseDir: string;
  readonly logger: Logger;
  /** Overrides for tests and benchmarks (e.g. an API base URL); never set from user config. */
  readonly env: NodeJS.ProcessEnv;
  /** Persistent cache for conditional HTTP requests (backed by the store). */
  readonly cache: KeyValueCache;
  /**
   * Durable key/value state for a plugin's own bookkeeping (backed by the store); unlike `cache`, losing it changes
   * behaviour. Prefix keys with `<type>/<plugin name>/`.
   */
  readonly state: TargetState;
  /**
   * Upper bound of any single outbound request, retries and rate-limit waits included (config `run.requestTimeout`),
   * in milliseconds. Every HTTP, LDAP, GitHub and Discord call a plugin makes must end within about this long; one that
   * does not fails with TIMEOUT, and a source read that times out counts as incomplete.
   */
  readonly requestTimeoutMs: number;
  /** Account links (backed by the store), read by the `links` source; absent where no store is open. */
  readonly links?: Pick<LinkStore, 'list'>;
  /** Time source for waits between retries; absent means the real one. Tests pass a manual clock. */
  readonly clock?: Clock;
}

/** A reference from a plugin's config to a source, for cross-checking names at load time. */
export interface SourceRef {
  readonly path: readonly (string | number)[];
  readonly source: string;
}

export interface SourcePlugin<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  /** Zod schema of this source's config block; must have `type: z.literal(type)`. */
  readonly schema: S;
  create(name: string, config: z.output<S>, deps: PluginDeps): Source;
}

/**
 * What a target plugin's factory builds: a target without the parts `defineTarget` derives from the plugin's
 * declarations (`sources` from `sourceRefs`, `changeSchema` from the plugin's), so they cannot disagree.
 */
export type TargetBody<T extends Target = Target> = Omit<T, 'sources' | 'changeSchema'>;

/** A target plugin as written: `defineTarget` turns it into a {@link TargetPlugin}. */
export interface TargetPluginDefinition<S extends z.ZodType = z.ZodType, T extends Target = Target> {
  readonly type: string;
  readonly schema: S;
  /** Every reference from the config to a source. The target's `sources` are exactly these sources. */
  sourceRefs(config: z.output<S>): SourceRef[];
  /**
   * Zod schema of one change this target proposes (every kind it has). A saved plan whose change does not fit it is
   * refused as PLAN_INVALID: a plan is read back only by the kind of target that made it.
   */
  readonly changeSchema: z.ZodType<Change>;
  create(name: string, config: z.output<S>, deps: PluginDeps): TargetBody<T>;
}

export interface TargetPlugin<S extends z.ZodType = z.ZodType, T extends Target = Target> {
  readonly type: string;
  readonly schema: S;
  sourceRefs(config: z.output<S>): SourceRef[];
  readonly changeSchema: z.ZodType<Change>;
  /** Builds the target; its `sources` are the distinct sources of `sourceRefs(config)`, in order of first reference. */
  create(name: string, config: z.output<S>, deps: PluginDeps): T;
}

export function defineSource<S extends z.ZodType>(p: SourcePlugin<S>): SourcePlugin<S> {
  return p;
}

/** Declares a target plugin; its targets get `sources` and `changeSchema` from the declaration (see `completeTarget`). */
export function defineTarget<S extends z.ZodType, T extends Target>(
  p: TargetPluginDefinition<S, T>,
): TargetPlugin<S, T> {
  return { ...p, create: (name, config, deps) => completeTarget(p, config, p.create(name, config, deps)) };
}

/**
 * Adds to a target built by a plugin's factory what the plugin declares: `sources` (the distinct sources of
 * `sourceRefs(config)`) and `changeSchema`. For code that calls a factory directly (tests passing fakes); the plugin's
 * own `create` does this already. Keeps the body's identity (its getters keep working).
 */
export function completeTarget<S extends z.ZodType, T extends Target>(
  plugin: Pick<TargetPluginDefinition<S, T>, 'sourceRefs' | 'changeSchema'>,
  config: z.output<S>,
  body: TargetBody<T>,
): T {
  const sources = [...new Set(plugin.sourceRefs(config).map((r) => r.source))];
  return Object.assign(body, {
    sources,
    changeSchema: plugin.changeSchema,
  }) as unknown as T;
}

/**
 * What the registry knows about a plugin without loading it: its type. `loadSchema` imports its config schema and (for
 * a target) the sources its config names — enough to validate a configuration and print its JSON Schema. `load`
 * imports the implementation (and with it any vendor SDK); only a command that creates the plugin calls it.
 */
export interface SourcePluginEntry<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  /** Imports the config schema alone (cheap next to `load`). */
  loadSchema(): Promise<{ readonly schema: S }>;
  load(): Promise<SourcePlugin>;
}

/** A target's registry entry; see {@link SourcePluginEntry}. */
export interface TargetPluginEntry<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  /** Imports the config schema and the source references alone (cheap next to `load`). */
  loadSchema(): Promise<{ readonly schema: S; sourceRefs(config: z.output<S>): SourceRef[] }>;
  load(): Promise<TargetPlugin>;
}
