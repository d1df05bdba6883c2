import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listNames } from './names.ts';

describe('listNames', () => {
  const cases: { names: string[]; max?: number; total?: number; want: string }[] = [
    { names: [], want: '' },
    { names: ['a'], want: 'a' },
    { names: ['a', 'b', 'c'], max: 3, want: 'a, b, c' },
    { names: ['a', 'b', 'c', 'd'], max: 3, want: 'a, b, c and 1 more' },
    { names: ['a', 'b'], max: 2, total: 40_000, want: 'a, b and 39998 more' },
    {
      names: Array.from({ length: 25 }, (_, i) => `p${i}`),
      want: `${Array.from({ length: 20 }, (_, i) => `p${i}`).join(', ')} and 5 more`,
    },
  ];
  for (const c of cases)
    it(`${c.names.length} names, max ${c.max ?? 'default'}, total ${c.total ?? 'all'}`, () => {
      assert.equal(listNames(c.names, c.max, c.total), c.want);
    });
});
