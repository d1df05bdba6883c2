import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrefix } from './address.ts';
import type { Source } from './contracts.ts';
import type { Facts } from './model.ts';
import { resolveSources } from './pipeline.ts';
import { MemoryStore } from './testing/memory-store.ts';

const some: Facts = { addressSets: [{ name: 's', prefixes: [parsePrefix('192.0.2.1', 't')] }] };
const none: Facts = { addressSets: [{ name: 's', prefixes: [] }] };
const emptyGroup: Facts = { groups: [{ name: 'sre', members: [] }] };
const oneMember: Facts = {
  people: [{ id: 'ldap:a', accounts: { ldap: 'a' } }],
  groups: [{ name: 'sre', members: ['ldap:a'] }],
};

function source(facts: Facts, allowEmpty?: boolean): Source {
  return {
    name: 's',
    type: 'test',
    ...(allowEmpty === undefined ? {} : { allowEmpty }),
    read: () => Promise.resolve({ complete: true, facts, notes: [] }),
  };
}

async function resolve(snapshot: Facts | undefined, read: Source) {
  const store = new MemoryStore();
  if (snapshot) await store.saveSnapshot('s', snapshot, '2026-01-01T00:00:00.000Z');
  const [r] = await resolveSources({ sources: [read], snapshots: store, signal: AbortSignal.timeout(5000) });
  return { r: r!, saved: await store.loadSnapshot('s') };
}

describe('an empty complete read from a source that had entries', () => {
  const cases: {
    name: string;
    snapshot: Facts | undefined;
    read: Facts;
    allowEmpty?: boolean;
    status: 'live' | 'snapshot';
  }[] = [
    { name: 'had entries, now none: snapshot stands in', snapshot: some, read: none, status: 'snapshot' },
    { name: 'had entries, now no facts at all', snapshot: some, read: {}, status: 'snapshot' },
    { name: 'had members, now an empty group', snapshot: oneMember, read: emptyGroup, status: 'snapshot' },
    { name: 'allowEmpty: empty is an answer', snapshot: some, read: none, allowEmpty: true, status: 'live' },
    { name: 'never had entries: empty is live', snapshot: undefined, read: none, status: 'live' },
    { name: 'snapshot empty too: live', snapshot: none, read: none, status: 'live' },
    { name: 'entries now: live', snapshot: some, read: some, status: 'live' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { r, saved } = await resolve(c.snapshot, source(c.read, c.allowEmpty));
      assert.equal(r.status, c.status);
      if (c.status === 'snapshot') {
        assert.deepEqual(r.facts, c.snapshot, 'the last-known-good facts stand in');
        assert.match(r.notes.join('\n'), /no entries, but the last-known-good snapshot has \d+; treated as incomplete/);
        assert.match(r.notes.join('\n'), /allowEmpty: true/);
        assert.deepEqual(saved?.facts, c.snapshot, 'the empty read does not replace the snapshot');
      } else {
        assert.deepEqual(r.facts, c.read);
        assert.deepEqual(saved?.facts, c.read, 'a live read becomes the snapshot');
      }
    });
  }
});
