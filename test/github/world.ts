import pino, { type Logger } from 'pino';
import { applyPlan } from '../../src/core/apply.ts';
import { MemoryCache } from '../../src/core/cache.ts';
import { MemoryTargetState } from '../../src/core/target-state.ts';
import type { ChangeResult, Source } from '../../src/core/contracts.ts';
import { buildPlan } from '../../src/core/pipeline.ts';
import type { Plan, TargetPlan } from '../../src/core/plan.ts';
import { MemoryStore } from '../../src/core/testing/memory-store.ts';
import { staticSource } from '../../src/sources/static/index.ts';
import {
  createGithubTarget,
  githubSchema,
  githubTarget,
  type GithubTarget,
  type GithubTargetOverrides,
} from '../../src/targets/github/index.ts';
import { completeTarget, type PluginDeps } from '../../src/plugins.ts';
import type { GithubFake } from '../fakes/github/index.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';

/** People of the `people` static source: person id → GitHub id (undefined: none). */
export type People = Record<string, number | undefined>;

/**
 * One gatehouse deployment against a GitHub fake: a static source `people`, a github target `gh`, and the in-memory
 * store and cache a run keeps between plans. Tests change `people`/`groups`, then plan and apply through the core.
 */
export class World {
  readonly fake: GithubFake;
  readonly store = new MemoryStore();
  readonly cache = new MemoryCache();
  readonly state = new MemoryTargetState();
  readonly logLines: string[] = [];
  readonly logger: Logger;
  people: People = {};
  groups: Record<string, string[]> = {};
  /** Extra source(s) beside `people`, e.g. a failing one. */
  extraSources: Source[] = [];
  config: Record<string, unknown>;
  overrides: GithubTargetOverrides = { retryUnitMs: 5, retries: 1, secondaryRetries: 2 };

  constructor(fake: GithubFake, token: string | null, config: Record<string, unknown> = {}) {
    this.fake = fake;
    this.logger = pino({ level: 'debug' }, { write: (line: string) => void this.logLines.push(line) });
    this.config = {
      type: 'github',
      org: fake.state.org.login,
      apiUrl: fake.url,
      ...(token === null ? {} : { auth: { token } }),
      writeSpacingMs: 0,
      ...config,
    };
  }

  deps(): PluginDeps {
    return testDeps({ baseDir: '/nonexistent', logger: this.logger, cache: this.cache, state: this.state });
  }

  source(): Source {
    const cfg = staticSource.schema.parse({
      type: 'static',
      people: Object.entries(this.people).map(([id, github]) => ({ id, ...(github === undefined ? {} : { github }) })),
      groups: this.groups,
    });
    return staticSource.create('people', cfg, this.deps());
  }

  target(): GithubTarget {
    const config = githubSchema.parse(this.config);
    return completeTarget(githubTarget, config, createGithubTarget('gh', config, this.deps(), this.overrides));
  }

  async plan(target: GithubTarget = this.target()) {
    const { plan, observed } = await buildPlan({
      configDigest: 'c1',
      sources: [this.source(), ...this.extraSources],
      targets: [target],
      snapshots: this.store,
      signal: AbortSignal.timeout(60_000),
    });
    return { plan, observed, target, gh: plan.targets[0] as TargetPlan };
  }

  async apply(p: {
    plan: Plan;
    observed?: ReadonlyMap<string, unknown>;
    target: GithubTarget;
  }): Promise<ChangeResult[]> {
    const reports = await applyPlan({
      plan: p.plan,
      configDigest: 'c1',
      targets: [p.target],
      audit: this.store,
      actor: 'test',
      signal: AbortSignal.timeout(60_000),
      ...(p.observed ? { observed: p.observed } : {}),
    });
    return [...(reports[0]?.results ?? [])];
  }

  /** Plans and applies until a plan has no runnable change (at most `max` rounds); returns the last plan. */
  async converge(max = 3) {
    for (let i = 0; i < max; i++) {
      const p = await this.plan();
      if (p.gh.changes.length === p.gh.blocked.length) return p;
      await this.apply(p);
    }
    return this.plan();
  }
}

export const ids = (tp: TargetPlan) => tp.changes.map((c) => c.id);
export const blocked = (tp: TargetPlan) => [...tp.blocked];
export const reports = (tp: TargetPlan) => [...(tp.notes ?? [])];
export const rejections = (tp: TargetPlan) =>
  tp.verdicts.filter((v) => v.outcome === 'reject').map((v) => `${v.guard}: ${v.message}`);
export const statuses = (results: readonly ChangeResult[]) => results.map((r) => `${r.id} ${r.status}`);

/**
 * The org most tests start from: owner (1, the token's account) and carol (13) own it; bob (12) and erin (15) are
 * members; alice (11) has an account but no membership. Empties the fake first, so every test starts from the same state.
 */
export function resetOrg(fake: GithubFake, extraUsers: readonly (readonly [string, number])[] = []): void {
  const s = fake.state;
  for (const m of [s.users, s.org.members, s.org.invitations, s.org.teams, s.tokens]) m.clear();
  fake.resetCounts();
  fake.clearViolations();
  const users = [['owner', 1], ['alice', 11], ['bob', 12], ['carol', 13], ['erin', 15], ...extraUsers] as const;
  for (const [login, id] of users) fake.addUser(login, id);
  fake.addMember(1, 'admin');
  fake.addMember(13, 'admin');
  fake.addMember(12);
  fake.addMember(15);
}
