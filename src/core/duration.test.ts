import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration } from './duration.ts';

test('parseDuration reads one whole number and one unit', () => {
  for (const [text, ms] of [
    ['500ms', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['0s', 0],
  ] as const)
    assert.equal(parseDuration(text), ms, text);
});

test('parseDuration rejects fractions, spaces, mixed and unknown units', () => {
  for (const text of ['1.5h', ' 1h', '1h ', '1h30m', '10', 'h', '-1s', '1w', ''])
    assert.throws(() => parseDuration(text), /invalid duration/, text);
});
