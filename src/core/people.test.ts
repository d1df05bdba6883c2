import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DesiredContext } from './contracts.ts';
import type { Group, Person, ResolvedSource } from './model.ts';
import { rng } from '../testing/rng.ts';
import { byNumericAccount, formatGroupRef, indexPeople, parseGroupRef, resolveGroup } from './people.ts';

function ctx(sources: Record<string, Partial<ResolvedSource>>): DesiredContext {
  return {
    sources: new Map(
      Object.entries(sources).map(([name, s]) => [
        name,
        { name, type: 'static', status: 'live', facts: {}, notes: [], ...s } satisfies ResolvedSource,
      ]),
    ),
  };
}

describe('people', () => {
  it('parses source/group at the first slash; group names may hold more', () => {
    assert.deepEqual(parseGroupRef('discord/Staff/Mods'), { source: 'discord', group: 'Staff/Mods' });
    assert.equal(formatGroupRef({ source: 'a', group: 'b/c' }), 'a/b/c');
    for (const bad of ['nogroup', '/g', 's/']) assert.equal(parseGroupRef(bad), undefined, bad);
  });

  it('indexes people across sources in order; a conflicting redeclaration is reported, the first kept', () => {
    const c = ctx({
      a: { facts: { people: [{ id: 'alice', accounts: { github: 1 } }] } },
      b: {
        facts: {
          people: [
            { id: 'alice', accounts: { github: 2 } },
            { id: 'bob', accounts: { github: 3 } },
          ],
        },
      },
      c: { facts: { people: [{ id: 'bob', accounts: { github: 3 } }] } },
    });
    const idx = indexPeople(c, ['a', 'b', 'c', 'absent']);
    assert.deepEqual([...idx.byId.keys()], ['alice', 'bob']);
    assert.equal(idx.byId.get('alice')?.accounts.github, 1);
    assert.deepEqual(idx.problems, ['person alice is declared by a and b with different accounts; using a']);
  });

  it('completes a person from another source that adds accounts without contradicting any (a stored link)', () => {
    const c = ctx({
      discord: {
        facts: {
          people: [
            { id: 'discord:1', displayName: 'Alice', accounts: { discord: '1' } },
            { id: 'discord:2', accounts: { discord: '2' } },
          ],
        },
      },
      links: {
        facts: {
          people: [
            { id: 'discord:1', displayName: 'alice-gh', accounts: { discord: '1', github: 11 } },
            { id: 'discord:2', accounts: { discord: '3', github: 12 } },
          ],
        },
      },
    });
    const idx = indexPeople(c, ['discord', 'links']);
    assert.deepEqual(idx.byId.get('discord:1'), {
      id: 'discord:1',
      displayName: 'Alice',
      accounts: { discord: '1', github: 11 },
    });
    assert.deepEqual(idx.byId.get('discord:2')?.accounts, { discord: '2' }, 'a contradicting account is not merged');
    assert.deepEqual(idx.problems, [
      'person discord:2 is declared by discord and links with different accounts; using discord',
    ]);
  });

  it('a completed person has the mail addresses of both declarations, each once, in order (table)', () => {
    const cases: [string, string[] | undefined, string[] | undefined, string[] | undefined][] = [
      // case, first declaration's emails, second's, merged
      ['neither', undefined, undefined, undefined],
      ['first only', ['a@x'], undefined, ['a@x']],
      ['first only, an empty second', ['a@x', 'b@x'], [], ['a@x', 'b@x']],
      ['first repeats one', ['a@x', 'a@x'], undefined, ['a@x']],
      ['first repeats one of three', ['a@x', 'b@x', 'a@x'], undefined, ['a@x', 'b@x']],
      ['second only', undefined, ['b@x'], ['b@x']],
      ['both, overlapping', ['a@x', 'b@x'], ['b@x', 'c@x'], ['a@x', 'b@x', 'c@x']],
    ];
    for (const [name, first, second, merged] of cases) {
      const c = ctx({
        dir: { facts: { people: [{ id: 'p', accounts: { ldap: 'p', ...(first ? { emails: first } : {}) } }] } },
        links: { facts: { people: [{ id: 'p', accounts: { github: 1, ...(second ? { emails: second } : {}) } }] } },
      });
      const idx = indexPeople(c, ['dir', 'links']);
      assert.deepEqual(
        idx.byId.get('p')?.accounts,
        { ldap: 'p', github: 1, ...(merged ? { emails: merged } : {}) },
        name,
      );
      assert.deepEqual(idx.problems, [], name);
    }
  });

  it('a person declared twice by the first source read is indexed once, completed or reported (table)', () => {
    const p = (id: string, accounts: Person['accounts']): Person => ({ id, accounts });
    const cases: [Person[], string[], Record<string, Person['accounts']>, string[]][] = [
      // first source's people, sources, accounts by id in list order, problems
      [[p('x', { discord: '1' }), p('y', { discord: '2' })], ['a'], { x: { discord: '1' }, y: { discord: '2' } }, []],
      [[p('x', { discord: '1' }), p('x', { discord: '1' })], ['a'], { x: { discord: '1' } }, []],
      [
        [p('x', { discord: '1' }), p('y', { discord: '2' }), p('x', { discord: '1', github: 5 })],
        ['a'],
        { x: { discord: '1', github: 5 }, y: { discord: '2' } },
        [],
      ],
      [
        [p('y', { discord: '2' }), p('x', { discord: '1' }), p('y', { discord: '3' })],
        ['a'],
        { y: { discord: '2' }, x: { discord: '1' } },
        ['person y is declared by a and a with different accounts; using a'],
      ],
      [
        [p('x', { discord: '1' }), p('x', { discord: '1' })],
        ['absent', 'a', 'b'],
        { x: { discord: '1' }, z: { discord: '9' } },
        [],
      ],
    ];
    for (const [people, sources, accounts, problems] of cases) {
      const c = ctx({ a: { facts: { people } }, b: { facts: { people: [p('z', { discord: '9' })] } } });
      const idx = indexPeople(c, sources);
      const label = JSON.stringify(people);
      assert.deepEqual(Object.fromEntries(idx.list.map((q) => [q.id, q.accounts])), accounts, label);
      assert.deepEqual(
        idx.list.map((q) => q.id),
        Object.keys(accounts),
        label,
      );
      for (const [at, q] of idx.list.entries()) assert.equal(idx.positionOf.get(q.id), at, `${label} ${q.id}`);
      assert.deepEqual(idx.problems, problems, label);
      const g = resolveGroup(
        {
          sources: new Map([
            ...c.sources,
            [
              'g',
              {
                ...(c.sources.get('a') as ResolvedSource),
                name: 'g',
                facts: { groups: [{ name: 'all', members: ['x', 'y', 'z'] }] },
              },
            ],
          ]),
        },
        { source: 'g', group: 'all' },
        idx,
      );
      assert.deepEqual(
        g.members.map((q) => q.id),
        ['x', 'y', 'z'].filter((id) => id in accounts),
        label,
      );
    }
  });

  it('a conflict names the source that declared the person first, among three (table)', () => {
    const p = (id: string, discord: string) => ({ id, accounts: { discord } });
    const c = ctx({
      a: { facts: { people: [p('x', '1')] } },
      b: { facts: { people: [p('y', '2'), p('x', '9')] } },
      c: { facts: { people: [p('y', '3'), p('x', '1'), p('z', '4')] } },
    });
    const cases: [string[], string[]][] = [
      // sources, problems
      [
        ['a', 'b', 'c'],
        [
          'person x is declared by a and b with different accounts; using a',
          'person y is declared by b and c with different accounts; using b',
        ],
      ],
      [
        ['c', 'b', 'a'],
        [
          'person y is declared by c and b with different accounts; using c',
          'person x is declared by c and b with different accounts; using c',
        ],
      ],
      [['a', 'c'], []],
    ];
    for (const [sources, problems] of cases)
      assert.deepEqual(indexPeople(c, sources).problems, problems, sources.join());
  });

  it('resolves a group: found (members sorted, unknown ids listed), missing, unavailable', () => {
    const c = ctx({
      p: {
        facts: {
          people: [
            { id: 'bob', accounts: {} },
            { id: 'alice', accounts: {} },
          ],
          groups: [{ name: 'g', members: ['bob', 'zed', 'alice', 'bob'] }],
        },
      },
      down: { status: 'missing' },
    });
    const idx = indexPeople(c, ['p']);
    const g = resolveGroup(c, { source: 'p', group: 'g' }, idx);
    assert.equal(g.status, 'found');
    assert.deepEqual(
      g.members.map((m) => m.id),
      ['alice', 'bob'],
    );
    assert.deepEqual(g.unknown, ['zed']);
    assert.equal(resolveGroup(c, { source: 'p', group: 'other' }, idx).status, 'missing');
    assert.equal(resolveGroup(c, { source: 'down', group: 'g' }, idx).status, 'unavailable');
    assert.equal(resolveGroup(c, { source: 'nosuch', group: 'g' }, idx).status, 'unavailable');
  });

  it('resolves groups by name over many groups as a scan of the list would (table)', () => {
    const people = ['a', 'B', 'b', 'é', 'z10', 'z9'].map((id) => ({ id, accounts: {} }));
    const groups = [
      { name: 'dup', members: ['b', 'a'] },
      { name: 'order', members: ['z9', 'é', 'b', 'B', 'z10', 'a', 'b'] },
      { name: 'dup', members: ['z9'] },
      { name: 'empty', members: [] },
      ...Array.from({ length: 500 }, (_, i) => ({ name: `g${i}`, members: [`x${i}`, 'a'] })),
    ];
    const c = ctx({ p: { facts: { people, groups } } });
    const idx = indexPeople(c, ['p']);
    const cases: [string, string[], string[]][] = [
      // name, members (sorted by code unit, each once), unknown
      ['dup', ['a', 'b'], []], // the first group of a name, as the list says
      ['order', ['B', 'a', 'b', 'z10', 'z9', 'é'], []],
      ['empty', [], []],
      ['g0', ['a'], ['x0']],
      ['g499', ['a'], ['x499']],
    ];
    for (const [name, members, unknown] of cases) {
      for (let twice = 0; twice < 2; twice++) {
        const g = resolveGroup(c, { source: 'p', group: name }, idx);
        assert.equal(g.status, 'found', name);
        assert.deepEqual(
          g.members.map((m) => m.id),
          members,
          name,
        );
        assert.deepEqual(g.unknown, unknown, name);
      }
    }
    assert.equal(resolveGroup(c, { source: 'p', group: 'g500' }, idx).status, 'missing');
    // Facts of another read (a new run) are resolved from themselves, never from what an earlier run saw.
    const next = ctx({ p: { facts: { people, groups: [{ name: 'dup', members: ['z9', 'a'] }] } } });
    const again = resolveGroup(next, { source: 'p', group: 'dup' }, indexPeople(next, ['p']));
    assert.deepEqual(
      again.members.map((m) => m.id),
      ['a', 'z9'],
    );
    assert.equal(resolveGroup(next, { source: 'p', group: 'order' }, idx).status, 'missing');
  });

  it('resolves members sorted and each once, whether the source sent them sorted, unsorted or repeated (table)', () => {
    // Sources sort their groups' members (code unit order); a sorted list is used as it is, anything else is sorted.
    const ids = ['B', 'a', 'a1', 'b', 'z10', 'z9', 'é', '\u{1F600}', '\uFFFD'];
    const people = ids.map((id) => ({ id, accounts: {} }));
    const cases: [string[], string[], string[]][] = [
      // members as sent, members resolved, unknown
      [[], [], []],
      [['a'], ['a'], []],
      [['B', 'a', 'a1', 'b', 'z10', 'z9', 'é', '\u{1F600}', '\uFFFD'], [...ids], []], // already in order
      [['a', 'B'], ['B', 'a'], []],
      [['a', 'a'], ['a'], []], // ascending but repeated
      [['B', 'a', 'a', 'b'], ['B', 'a', 'b'], []],
      [['\uFFFD', '\u{1F600}'], ['\u{1F600}', '\uFFFD'], []], // code units, not code points
      [['\u{1F600}', '\uFFFD'], ['\u{1F600}', '\uFFFD'], []],
      [['z9', 'z10'], ['z10', 'z9'], []],
      [['a', 'q', 'b'], ['a', 'b'], ['q']],
      [['a', 'b', 'q', 'q'], ['a', 'b'], ['q']],
    ];
    for (const [members, want, unknown] of cases) {
      const c = ctx({ p: { facts: { people, groups: [{ name: 'g', members }] } } });
      const g = resolveGroup(c, { source: 'p', group: 'g' }, indexPeople(c, ['p']));
      const label = JSON.stringify(members);
      assert.deepEqual(
        g.members.map((m) => m.id),
        want,
        label,
      );
      assert.deepEqual(g.unknown, unknown, label);
      assert.deepEqual([...new Set(members)].sort(), [...want, ...unknown].sort(), label);
    }
  });

  it('indexes the people of one read once for every target, and a new read or other sources afresh (table)', () => {
    const alice = { id: 'alice', accounts: { github: 1 } };
    const bob = { id: 'bob', accounts: { github: 2 } };
    const a = { facts: { people: [alice] } };
    const b = { facts: { people: [{ id: 'alice', accounts: { github: 3 } }, bob] } };
    const run1 = ctx({ a, b });
    const first = indexPeople(run1, ['a', 'b']);
    // Another target of the same run, naming the same sources: the same index, not a copy.
    assert.equal(indexPeople(ctx({ a, b }), ['a', 'b']), first);
    const cases: [string, DesiredContext, string[], string[], string[]][] = [
      // case, context, sources, ids, problems
      [
        'same run',
        run1,
        ['a', 'b'],
        ['alice', 'bob'],
        ['person alice is declared by a and b with different accounts; using a'],
      ],
      [
        'other order',
        run1,
        ['b', 'a'],
        ['alice', 'bob'],
        ['person alice is declared by b and a with different accounts; using b'],
      ],
      ['fewer sources', run1, ['a'], ['alice'], []],
      [
        'an absent source named too',
        run1,
        ['a', 'absent', 'b'],
        ['alice', 'bob'],
        ['person alice is declared by a and b with different accounts; using a'],
      ],
      // A new read of b (same first list): what b says now, never what the earlier read said.
      ['new read of b', ctx({ a, b: { facts: { people: [bob] } } }), ['a', 'b'], ['alice', 'bob'], []],
      ['new read of a', ctx({ a: { facts: { people: [bob] } }, b }), ['a', 'b'], ['bob', 'alice'], []],
      [
        'back to the first read',
        run1,
        ['a', 'b'],
        ['alice', 'bob'],
        ['person alice is declared by a and b with different accounts; using a'],
      ],
      ['nothing readable', run1, ['absent'], [], []],
    ];
    for (const [name, c, sources, ids, problems] of cases) {
      const idx = indexPeople(c, sources);
      assert.deepEqual([...idx.byId.keys()], ids, name);
      assert.deepEqual(idx.problems, problems, name);
    }
    assert.equal(indexPeople(run1, ['b', 'a']).byId.get('alice')?.accounts.github, 3);
  });

  it('resolves a group once per people index, and afresh against another index or another read (table)', () => {
    const groups = [{ name: 'g', members: ['b', 'a', 'c'] }];
    const people = [
      { id: 'a', accounts: { github: 1 } },
      { id: 'b', accounts: { github: 2 } },
    ];
    const run = ctx({ p: { facts: { people, groups } }, q: { facts: { people: [{ id: 'c', accounts: {} }] } } });
    const ref = { source: 'p', group: 'g' };
    const first = resolveGroup(run, ref, indexPeople(run, ['p']));
    // Another target of the run, same sources: the same members, not resolved again.
    assert.equal(resolveGroup(run, ref, indexPeople(run, ['p'])).members, first.members);
    const cases: [string, DesiredContext, string[], string[], string[]][] = [
      // case, context, people sources, members, unknown
      ['same run', run, ['p'], ['a', 'b'], ['c']],
      ['an index spanning more sources', run, ['p', 'q'], ['a', 'b', 'c'], []],
      [
        'a new read of the people',
        ctx({ p: { facts: { people: people.slice(1), groups } } }),
        ['p'],
        ['b'],
        ['a', 'c'],
      ],
      [
        'a new read of the group',
        ctx({ p: { facts: { people, groups: [{ name: 'g', members: ['a'] }] } } }),
        ['p'],
        ['a'],
        [],
      ],
      ['the first read again', run, ['p'], ['a', 'b'], ['c']],
    ];
    for (const [name, c, sources, members, unknown] of cases) {
      const g = resolveGroup(c, ref, indexPeople(c, sources));
      assert.deepEqual(
        g.members.map((m) => m.id),
        members,
        name,
      );
      assert.deepEqual(g.unknown, unknown, name);
      assert.deepEqual(g.ref, ref, name);
    }
  });

  it('indexes by numeric account; two people claiming one account get neither', () => {
    const r = byNumericAccount(
      [
        { id: 'a', accounts: { github: 5 } },
        { id: 'b', accounts: { github: 5 } },
        { id: 'c', accounts: { github: 6 } },
        { id: 'd', accounts: {} },
      ],
      'github',
    );
    assert.deepEqual(
      [...r.byAccount].map(([k, p]) => [k, p.id]),
      [[6, 'c']],
    );
    assert.deepEqual(r.problems, ['github account 5 is claimed by a, b; none of them is granted access by it']);
  });

  it('indexes by numeric account: each claimed once is granted, each claimed twice or more none (table)', () => {
    const p = (id: string, github?: number) => ({ id, accounts: github === undefined ? {} : { github } });
    const cases: [string, ReturnType<typeof p>[], [number, string][], string[]][] = [
      // case, people, granted (by account), problems
      ['nobody', [], [], []],
      ['no accounts', [p('a'), p('b')], [], []],
      [
        'distinct',
        [p('b', 9), p('a', 3), p('c', 10)],
        [
          [3, 'a'],
          [9, 'b'],
          [10, 'c'],
        ],
        [],
      ],
      [
        'three claimants, two contested accounts reported by account id',
        [p('z', 20), p('a', 7), p('y', 20), p('b', 7), p('c', 8), p('x', 20)],
        [[8, 'c']],
        [
          'github account 7 is claimed by a, b; none of them is granted access by it',
          'github account 20 is claimed by z, y, x; none of them is granted access by it',
        ],
      ],
      [
        'the same person twice',
        [p('a', 1), p('a', 1)],
        [],
        ['github account 1 is claimed by a, a; none of them is granted access by it'],
      ],
    ];
    for (const [name, people, granted, problems] of cases) {
      const r = byNumericAccount(people, 'github');
      assert.deepEqual(
        [...r.byAccount].map(([k, v]) => [k, v.id]).sort((x, y) => (x[0] as number) - (y[0] as number)),
        granted,
        name,
      );
      assert.deepEqual(r.problems, problems, name);
    }
  });

  // Targets keep what they work out per person in arrays by index position, read per membership through the group's
  // positions: those must name exactly the people a lookup by id finds, whatever the sources, merges, order and
  // unknown members.
  it('a resolved group carries the position of each member in the index list (table, random sources)', () => {
    // Odd seeds: lists as sources emit them (sorted by id, each once); even seeds: unsorted, with repeated ids.
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) {
      const rand = rng(seed);
      const person = (i: number): Person => ({
        id: `p${Math.floor(rand() * 40)}`,
        accounts: {
          ...(rand() < 0.5 ? { github: 100 + (i % 7) } : {}),
          ...(rand() < 0.5 ? { ldap: `u${i % 5}` } : {}),
        },
      });
      const peopleOf = (n: number) => {
        const list = Array.from({ length: n }, (_, i) => person(i));
        if (seed % 2 === 0) return list;
        const byId = new Map(list.map((p) => [p.id, p]));
        return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      };
      const group = (name: string): Group => ({
        name,
        members: Array.from({ length: Math.floor(rand() * 30) }, () => `p${Math.floor(rand() * 50)}`),
      });
      const c = ctx({
        a: { facts: { people: peopleOf(30), groups: [group('x'), group('y')] } },
        b: { facts: { people: peopleOf(20), groups: [group('x')] } },
      });
      for (const sources of [['a'], ['b'], ['a', 'b'], ['b', 'a']]) {
        const idx = indexPeople(c, sources);
        assert.deepEqual(
          idx.list.map((p) => p.id),
          [...idx.byId.keys()],
          `${seed} ${sources.join()}: list`,
        );
        for (const [i, p] of idx.list.entries()) assert.equal(idx.positionOf.get(p.id), i);
        for (const ref of ['a/x', 'a/y', 'b/x']) {
          const g = resolveGroup(c, parseGroupRef(ref)!, idx);
          const ids = [
            ...new Set(c.sources.get(ref.slice(0, 1))!.facts.groups!.find((x) => x.name === ref.slice(2))!.members),
          ].sort();
          const simple = ids.map((id) => idx.byId.get(id)).filter((p) => p !== undefined);
          assert.deepEqual(g.members, simple, `${seed} ${sources.join()} ${ref}: members`);
          assert.deepEqual(
            g.unknown,
            ids.filter((id) => !idx.byId.has(id)),
            `${seed} ${sources.join()} ${ref}: unknown`,
          );
          assert.equal(g.positions.length, g.members.length);
          for (const [i, p] of g.members.entries()) assert.equal(idx.list[g.positions[i]!], p, `${seed} ${ref} ${i}`);
        }
      }
    }
  });

  // Resolving a group against an index led by the same source reuses the positions found against the other index;
  // a member the lead does not declare is still found when the second index's later source declares them.
  it('a group resolved against [a] and then [a, b] finds in b the member a lacks', () => {
    const c = ctx({
      a: { facts: { people: [{ id: 'p1', accounts: {} }], groups: [{ name: 'g', members: ['p1', 'p2'] }] } },
      b: { facts: { people: [{ id: 'p2', accounts: { github: 2 } }] } },
    });
    const ref = { source: 'a', group: 'g' };
    const alone = resolveGroup(c, ref, indexPeople(c, ['a']));
    assert.deepEqual([alone.members.map((p) => p.id), alone.unknown], [['p1'], ['p2']]);
    const both = indexPeople(c, ['a', 'b']);
    const g = resolveGroup(c, ref, both);
    assert.deepEqual([g.members.map((p) => p.id), g.unknown, [...g.positions]], [['p1', 'p2'], [], [0, 1]]);
  });

  // An index of several sources starts from the index of the first alone: what that one found (a person declared
  // twice by it) is part of the larger index too, whichever is made first.
  it('an index of [a, b] keeps the problems of a alone, made before it or not', () => {
    const facts = () => ({
      a: {
        facts: {
          people: [
            { id: 'alice', accounts: { github: 1 } },
            { id: 'alice', accounts: { github: 2 } },
            { id: 'bob', accounts: {} },
          ],
        },
      },
      b: {
        facts: {
          people: [
            { id: 'bob', accounts: { github: 3 } },
            { id: 'carol', accounts: {} },
          ],
        },
      },
    });
    const twice = 'person alice is declared by a and a with different accounts; using a';
    const c1 = ctx(facts());
    assert.deepEqual(indexPeople(c1, ['a']).problems, [twice]);
    const c2 = ctx(facts());
    for (const c of [c1, c2]) {
      const idx = indexPeople(c, ['a', 'b']);
      assert.deepEqual(idx.problems, [twice]);
      assert.deepEqual(
        idx.list.map((p) => [p.id, p.accounts.github]),
        [
          ['alice', 1],
          ['bob', 3],
          ['carol', undefined],
        ],
      );
      assert.deepEqual(
        ['alice', 'bob', 'carol', 'dave'].map((id) => idx.positionOf.get(id)),
        [0, 1, 2, undefined],
      );
    }
  });
});
