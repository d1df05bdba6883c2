import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResolvedSource } from '../../core/model.ts';
import { indexPeople, resolveGroup } from '../../core/people.ts';
import { testDeps } from '../../testing/plugin-deps.ts';
import { staticSource } from './index.ts';

describe('static source', () => {
  it('declares accounts for people another source names by its own person ids (discord:<id>)', async () => {
    const id = 'discord:300000000000000001';
    const cfg = staticSource.schema.parse({ type: 'static', people: [{ id, github: 15 }] });
    const read = await staticSource.create('people', cfg, testDeps()).read(AbortSignal.timeout(5_000));
    const resolved = (name: string, facts: ResolvedSource['facts']): [string, ResolvedSource] => [
      name,
      { name, type: 'test', status: 'live', facts, notes: [] },
    ];
    const ctx = {
      sources: new Map([
        resolved('people', read.facts),
        resolved('discord', { groups: [{ name: 'SRE', members: [id] }] }),
      ]),
    };
    const group = resolveGroup(ctx, { source: 'discord', group: 'SRE' }, indexPeople(ctx, ['people']));
    assert.deepEqual(
      group.members.map((p) => [p.id, p.accounts.github]),
      [[id, 15]],
    );
  });

  it('still refuses person ids that are not names', () => {
    for (const bad of [':x', 'a b', 'a/b', ''])
      assert.equal(staticSource.schema.safeParse({ type: 'static', people: [{ id: bad }] }).success, false, bad);
  });
});
