import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Change } from './contracts.ts';
import { holdBack, maxShrinkGuard } from './guards.ts';
import type { GuardVerdict } from './plan.ts';

describe('maxShrinkGuard with an absolute floor', () => {
  const cases: {
    before: number;
    removed: number;
    limit: number | { fraction: number; minCount: number };
    ok: boolean;
  }[] = [
    { before: 1, removed: 1, limit: 0.5, ok: false },
    { before: 1, removed: 1, limit: { fraction: 0.5, minCount: 1 }, ok: true },
    { before: 3, removed: 2, limit: { fraction: 0.5, minCount: 1 }, ok: false },
    { before: 3, removed: 2, limit: { fraction: 0.5, minCount: 2 }, ok: true },
    { before: 4, removed: 3, limit: { fraction: 0.5, minCount: 2 }, ok: false },
    { before: 100, removed: 50, limit: { fraction: 0.5, minCount: 2 }, ok: true },
    { before: 100, removed: 51, limit: { fraction: 0.5, minCount: 2 }, ok: false },
    { before: 2, removed: 2, limit: { fraction: 0, minCount: 0 }, ok: false },
    { before: 2, removed: 2, limit: { fraction: 1, minCount: 0 }, ok: true },
  ];
  for (const c of cases) {
    it(`${c.removed} of ${c.before} under ${JSON.stringify(c.limit)}: ${c.ok ? 'passes' : 'rejected'}`, () => {
      const v = maxShrinkGuard(
        { label: 'set x', changeId: 'x', before: c.before, after: c.before - c.removed, removed: c.removed },
        c.limit,
      );
      assert.equal(v === undefined, c.ok, v?.message);
      if (v && typeof c.limit !== 'number' && c.limit.minCount > 0) {
        assert.match(v.message, new RegExp(`or ${c.limit.minCount} entr`));
      }
    });
  }
});

const ch = (id: string, destructive: boolean, extra: Partial<Change> = {}): Change => ({
  kind: 'k',
  id,
  summary: id,
  destructive,
  ...extra,
});
const reject = (...ids: string[]): GuardVerdict => ({ guard: 'g', outcome: 'reject', changeIds: ids, message: 'no' });
const pass: GuardVerdict = { guard: 'p', outcome: 'pass', changeIds: ['a'], message: 'fine' };

describe('holdBack', () => {
  const a = ch('a', true, { add: ['n'], remove: ['o'] });
  const b = ch('b', false, { add: ['m'] });
  const inc = ch('include', false);
  const heldA = ch('a', true, { remove: ['o'] });
  const grantA = ch('a:grant', false, { add: ['n'] });

  const cases: {
    name: string;
    changes: Change[];
    verdicts: GuardVerdict[];
    atomic: boolean;
    withhold?: (r: ReadonlySet<string>) => Change[] | undefined;
    want: { ids: string[]; blocked: string[]; note?: boolean };
  }[] = [
    {
      name: 'nothing rejected: unchanged, withhold not consulted',
      changes: [a, b],
      verdicts: [pass],
      atomic: true,
      withhold: () => assert.fail('not called'),
      want: { ids: ['a', 'b'], blocked: [] },
    },
    {
      name: 'atomic without withhold: one rejection blocks all',
      changes: [a, b, inc],
      verdicts: [reject('a')],
      atomic: true,
      want: { ids: ['a', 'b', 'include'], blocked: ['a', 'b', 'include'] },
    },
    {
      name: 'non-atomic without withhold: only the rejected one',
      changes: [a, b],
      verdicts: [reject('a')],
      atomic: false,
      want: { ids: ['a', 'b'], blocked: ['a'] },
    },
    {
      name: 'atomic with withhold: the grant runs, the removal waits, the rest runs',
      changes: [a, b, inc],
      verdicts: [reject('a')],
      atomic: true,
      withhold: (r) => (r.has('a') ? [grantA, heldA, b, inc] : undefined),
      want: { ids: ['a:grant', 'a', 'b', 'include'], blocked: ['a'], note: true },
    },
    {
      name: 'withhold declines: fails closed',
      changes: [a, b],
      verdicts: [reject('a')],
      atomic: true,
      withhold: () => undefined,
      want: { ids: ['a', 'b'], blocked: ['a', 'b'] },
    },
    {
      name: 'a new id that is destructive: fails closed',
      changes: [a, b],
      verdicts: [reject('a')],
      atomic: true,
      withhold: () => [ch('a:grant', true), heldA, b],
      want: { ids: ['a', 'b'], blocked: ['a', 'b'] },
    },
    {
      name: 'a rejected id dropped: fails closed',
      changes: [a, b],
      verdicts: [reject('a')],
      atomic: true,
      withhold: () => [grantA, b],
      want: { ids: ['a', 'b'], blocked: ['a', 'b'] },
    },
    {
      name: 'duplicate ids: fails closed',
      changes: [a, b],
      verdicts: [reject('a')],
      atomic: true,
      withhold: () => [grantA, grantA, heldA, b],
      want: { ids: ['a', 'b'], blocked: ['a', 'b'] },
    },
    {
      name: 'nothing to grant: only the held part, blocked',
      changes: [ch('a', true, { remove: ['o'] })],
      verdicts: [reject('a')],
      atomic: true,
      withhold: () => [heldA],
      want: { ids: ['a'], blocked: ['a'], note: true },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = holdBack(c.changes, c.verdicts, c.atomic, c.withhold);
      assert.deepEqual(
        got.changes.map((x) => x.id),
        c.want.ids,
      );
      assert.deepEqual(got.blocked, c.want.blocked);
      const msg = got.verdicts.find((v) => v.outcome === 'reject')?.message ?? '';
      assert.equal(/held back: only the removal waits/.test(msg), c.want.note ?? false, msg);
    });
  }
});
