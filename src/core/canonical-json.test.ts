import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, prettyJson } from './canonical-json.ts';

const values: [string, unknown][] = [
  ['scalar', 'x'],
  ['null', null],
  ['empty containers', { a: [], b: {} }],
  ['unsorted keys, undefined dropped', { b: 1, a: { d: undefined, c: [true, null, 2.5] } }],
  ['array of objects', [{ z: 1, y: 'two' }, { x: [] }]],
  ['mixed array', [1, { a: 1 }, 'x', [2, 3]]],
  ['strings needing escapes', ['a"b', 'c\\d', 'e\nf', 'ü']],
  ['long list', { add: Array.from({ length: 1000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`) }],
  ['undefined in an array', [undefined, 1]],
];

describe('prettyJson', () => {
  for (const [name, value] of values) {
    it(`means what canonicalJson means: ${name}`, () => {
      const text = prettyJson(value);
      assert.deepEqual(JSON.parse(text), JSON.parse(canonicalJson(value)));
      assert.equal(prettyJson(structuredClone(value)), text, 'same value, same bytes');
    });
  }

  it('packs a list of plain values into lines no wider than the width, objects one member per line', () => {
    const add = Array.from({ length: 500 }, (_, i) => `192.0.${i >> 8}.${i & 255}`);
    const text = prettyJson({ changes: [{ id: 'set:a', add }] }, 80);
    const lines = text.split('\n');
    assert.ok(
      lines.every((l) => l.length <= 80),
      'every line fits',
    );
    assert.ok(lines.length < add.length / 4, `${lines.length} lines for ${add.length} elements`);
    assert.match(text, /^\{\n {2}"changes": \[\n {4}\{\n {6}"add": \[\n {8}"192\.0\.0\.0", "192\.0\.0\.1", /);
  });

  it('keeps a short list on one line', () => {
    assert.equal(prettyJson({ b: ['x', 'y'], a: 1 }), '{\n  "a": 1,\n  "b": ["x", "y"]\n}');
  });
});
