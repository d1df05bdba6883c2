import pino from 'pino';
import { MemoryCache } from '../core/cache.ts';
import { MemoryTargetState } from '../core/target-state.ts';
import type { PluginDeps } from '../plugins.ts';

/** PluginDeps for tests and benchmarks: silent logger, empty env, in-memory cache and target state, the default request timeout (30 s). */
export function testDeps(overrides: Partial<PluginDeps> = {}): PluginDeps {
  return {
    baseDir: '/',
    logger: pino({ level: 'silent' }),
    env: {},
    cache: new MemoryCache(),
    state: new MemoryTargetState(),
    requestTimeoutMs: 30_000,
    ...overrides,
  };
}
