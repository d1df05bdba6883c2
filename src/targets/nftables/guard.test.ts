import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffNftables } from './diff.ts';
import { guardNftables } from './guard.ts';
import { prefixes } from './test-fixtures.ts';
import type { NftDesired, NftObserved } from './types.ts';

const table = { family: 'inet', name: 'gh' } as const;

function run(
  before: string[],
  after: string[],
  limits: { allowEmpty?: boolean; maxShrink?: number; minCount?: number } = {},
) {
  const d: NftDesired = {
    target: 'db',
    table,
    includeFile: null,
    sets: [
      {
        name: 'db-clients',
        set: 'allow_v4',
        family: 4,
        allowEmpty: limits.allowEmpty ?? false,
        maxShrink: { fraction: limits.maxShrink ?? 0.5, minCount: limits.minCount ?? 0 },
        prefixes: prefixes(...after),
      },
    ],
  };
  const o: NftObserved = { sets: [{ set: 'allow_v4', family: 4, elements: before, stray: [] }], include: null };
  return guardNftables(diffNftables(d, o), d, o);
}

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${i}.1`);

describe('guardNftables', () => {
  it('rejects emptying a set, with the message a user sees', () => {
    const verdicts = run(['10.0.0.1'], [], { maxShrink: 1 });
    assert.deepEqual(verdicts, [
      {
        guard: 'never-empty',
        outcome: 'reject',
        changeIds: ['set:allow_v4'],
        message:
          'set inet gh allow_v4 (db-clients) would become empty (1 → 0); set allowEmpty: true if that is intended',
      },
    ]);
  });

  it('lets an allowlist with allowEmpty become empty when maxShrink allows the removal', () => {
    assert.deepEqual(run(['10.0.0.1'], [], { allowEmpty: true, maxShrink: 1 }), []);
  });

  it('still counts emptying against maxShrink when allowEmpty is set', () => {
    assert.deepEqual(
      run(hosts(4), [], { allowEmpty: true }).map((v) => v.guard),
      ['max-shrink'],
    );
  });

  it('rejects losing more than maxShrink of the entries, with the message a user sees', () => {
    assert.deepEqual(run(hosts(10), hosts(4)), [
      {
        guard: 'max-shrink',
        outcome: 'reject',
        changeIds: ['set:allow_v4'],
        message:
          'set inet gh allow_v4 (db-clients) would lose 6 of 10 entries (60 %), more than the 50 % allowed per run',
      },
    ]);
  });

  it('allows losing exactly maxShrink', () => {
    assert.deepEqual(run(hosts(10), hosts(5)), []);
  });

  it('does not count a widened prefix as a loss', () => {
    assert.deepEqual(run(['10.0.0.0/25', '10.1.0.0/25'], ['10.0.0.0/24', '10.1.0.0/24'], { maxShrink: 0 }), []);
  });

  it('counts a narrowed prefix as one entry losing access', () => {
    assert.deepEqual(
      run(['10.0.0.0/24', '10.1.0.0/24'], ['10.0.0.0/25', '10.1.0.0/24'], { maxShrink: 0.4 }).map((v) => v.message),
      ['set inet gh allow_v4 (db-clients) would lose 1 of 2 entries (50 %), more than the 40 % allowed per run'],
    );
  });

  it('minCount: losing that many entries always passes, one more needs the fraction', () => {
    assert.deepEqual(run(['10.0.0.1'], ['10.0.0.2'], { minCount: 1 }), []);
    assert.deepEqual(run(hosts(3), hosts(1), { minCount: 2 }), []);
    assert.deepEqual(
      run(hosts(4), hosts(1), { minCount: 2 }).map((v) => v.message),
      [
        'set inet gh allow_v4 (db-clients) would lose 3 of 4 entries (75 %), more than the 50 % (or 2 entries) allowed per run',
      ],
    );
  });

  it('passes additions to an empty set', () => {
    assert.deepEqual(run([], hosts(3), { maxShrink: 0 }), []);
  });
});
