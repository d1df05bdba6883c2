import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { watchedTargets } from './runtime.ts';

const watch = () => Promise.resolve();

describe('watchedTargets', () => {
  it('runs the watch of targets that may write, never of a plan-only target or one without a watch', () => {
    const targets = [{ name: 'fw', watch }, { name: 'fw-dry', watch }, { name: 'gh' }, { name: 'unknown', watch }];
    const modes = [
      { name: 'fw', mode: 'apply' as const },
      { name: 'fw-dry', mode: 'plan-only' as const },
      { name: 'gh', mode: 'apply' as const },
    ];
    assert.deepEqual(
      watchedTargets(targets, modes).map((t) => t.name),
      ['fw'],
    );
  });
});
