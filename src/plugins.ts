import type { Logger } from 'pino';
import type { z } from 'zod';
import type { KeyValueCache } from './core/cache.ts';
import type { Clock } from './core/clock.ts';
import type { Source, Target } from './core/contracts.ts';
import type { TargetState } from './core/target-state.ts';

/** What every plugin factory receives. */
export interface PluginDeps {
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

export interface TargetPlugin<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly schema: S;
  sourceRefs(config: z.output<S>): SourceRef[];
  create(name: string, config: z.output<S>, deps: PluginDeps): Target;
}

export function defineSource<S extends z.ZodType>(p: SourcePlugin<S>): SourcePlugin<S> {
  return p;
}

export function defineTarget<S extends z.ZodType>(p: TargetPlugin<S>): TargetPlugin<S> {
  return p;
}

/**
 * What the registry knows about a plugin without loading it: its type, its config schema and (for a target) the
 * sources its config names — enough to validate a configuration and print its JSON Schema. `load` imports the
 * implementation (and with it any vendor SDK); only a command that creates the plugin calls it.
 */
export interface SourcePluginEntry<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly schema: S;
  load(): Promise<SourcePlugin>;
}

/** A target's registry entry; see {@link SourcePluginEntry}. */
export interface TargetPluginEntry<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly schema: S;
  sourceRefs(config: z.output<S>): SourceRef[];
  load(): Promise<TargetPlugin>;
}
