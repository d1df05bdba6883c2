import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sealPlan } from './plan.ts';
import { renderPlan } from './render.ts';

const planWithNotes = (n: number) =>
  sealPlan({
    format: 1,
    configDigest: 'c',
    sources: [],
    targets: [
      {
        name: 'gh',
        type: 'github',
        observedDigest: 'o',
        changes: [],
        verdicts: [],
        blocked: [],
        notes: Array.from({ length: n }, (_, i) => `person p${i} has no GitHub id`),
      },
    ],
  });

describe('renderPlan: notes', () => {
  for (const [count, shown, more] of [
    [0, 0, undefined],
    [3, 3, undefined],
    [20, 20, undefined],
    [21, 20, '… and 1 more notes (see --output json)'],
    [100_000, 20, '… and 99980 more notes (see --output json)'],
  ] as const) {
    it(`${count} notes: the first ${shown} shown${more ? ', then a count' : ''}`, () => {
      const lines = renderPlan(planWithNotes(count)).split('\n');
      assert.equal(lines.filter((l) => /has no GitHub id/.test(l)).length, shown);
      assert.equal(
        lines.some((l) => l.includes('more notes')),
        more !== undefined,
      );
      if (more) assert.ok(lines.some((l) => l.trim() === more));
      if (shown > 0)
        assert.ok(
          lines.some((l) => l.includes(`person p${shown - 1} has`)),
          'in order, from the first',
        );
    });
  }

  it('follows maxElements like the elements of a change', () => {
    const text = renderPlan(planWithNotes(10), { maxElements: 4 });
    assert.equal(text.split('\n').filter((l) => /has no GitHub id/.test(l)).length, 4);
    assert.match(text, /… and 6 more notes/);
  });
});
