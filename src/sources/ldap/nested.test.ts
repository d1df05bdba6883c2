import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveMemberOf, resolveMembers } from './nested.ts';

describe('nested groups', () => {
  it('member style: follows chains, tolerates cycles, keeps only people', () => {
    const direct = new Map([
      ['g:a', ['p:1', 'g:b']],
      ['g:b', ['p:2', 'g:a', 'x:unknown']],
    ]);
    const r = resolveMembers(direct, (k) => k.startsWith('p:'));
    assert.deepEqual(r.get('g:a'), ['p:1', 'p:2']);
    assert.deepEqual(r.get('g:b'), ['p:1', 'p:2']);
  });

  it('memberOf style: a person in a child group is in every ancestor', () => {
    const r = resolveMemberOf(
      new Map([['p:1', ['g:child']]]),
      new Map([
        ['g:child', ['g:parent']],
        ['g:parent', ['g:child']],
        ['g:other', []],
      ]),
    );
    assert.deepEqual(r.get('g:parent'), ['p:1']);
    assert.deepEqual(r.get('g:child'), ['p:1']);
    assert.deepEqual(r.get('g:other'), []);
  });
});
