import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Person } from '../../core/model.ts';
import { byIdAt, desiredState } from './desired.ts';
import { config, context, people } from './test-fixtures.ts';

describe('desiredState', () => {
  const persons = people({ alice: 11, bob: 12, carol: 13, dave: undefined, erin: 15 });

  it('maps groups to org roles (admin wins) and teams (maintainer wins); team members are org members', () => {
    const cfg = config({
      admins: ['people/devops'],
      members: ['people/helpers'],
      teams: { sre: { maintainers: ['people/devops'], members: ['people/sre'] }, web: { members: ['people/web'] } },
    });
    const d = desiredState(
      cfg,
      context(persons, { devops: ['alice'], helpers: ['alice', 'bob'], sre: ['alice', 'carol'], web: ['erin'] }),
    );
    assert.deepEqual(
      d.members.map((m) => [m.githubId, m.person, m.role]),
      [
        [11, 'alice', 'admin'],
        [12, 'bob', 'member'],
        [13, 'carol', 'member'],
        [15, 'erin', 'member'],
      ],
    );
    assert.deepEqual(d.teams, [
      {
        slug: 'sre',
        members: [
          { githubId: 11, person: 'alice', role: 'maintainer' },
          { githubId: 13, person: 'carol', role: 'member' },
        ],
      },
      { slug: 'web', members: [{ githubId: 15, person: 'erin', role: 'member' }] },
    ]);
    assert.deepEqual(d.known, [11, 12, 13, 15]);
    assert.deepEqual(d.problems, []);
    assert.deepEqual(d.missingGroups, []);
    assert.deepEqual(d.limits, {
      maxOrgRemovalFraction: 0.25,
      maxTeamRemovalFraction: 0.25,
      minAdmins: 2,
      invitationBudget: 50,
    });
    assert.equal(d.unmanagedMembers, 'report');
  });

  it('reports people without a github id and unknown person ids; grants them nothing', () => {
    const d = desiredState(config(), context(persons, { helpers: ['bob', 'dave', 'ghost'] }));
    assert.deepEqual(
      d.members.map((m) => m.person),
      ['bob'],
    );
    assert.deepEqual(d.problems, [
      'group people/helpers: 1 member(s) have no github account; nothing is granted to them: dave',
      'group people/helpers: 1 member(s) no people source declares: ghost',
    ]);
  });

  it('names the first 20 members without a github id per group and counts the rest; a group named twice, once', () => {
    const ids = Array.from({ length: 25 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    const many = people({ alice: 11, ...Object.fromEntries(ids.map((id) => [id, undefined])) });
    const d = desiredState(
      config({ admins: ['people/all'], members: ['people/all'] }),
      context(many, { all: ['alice', ...ids] }),
    );
    assert.deepEqual(d.problems, [
      `group people/all: 25 member(s) have no github account; nothing is granted to them: ${ids.slice(0, 20).join(', ')} and 5 more`,
    ]);
  });

  it('a team of maintainers only makes each of them a maintainer; a team lists its members by GitHub id', () => {
    const d = desiredState(
      config({ members: [], teams: { leads: { maintainers: ['people/leads'] }, all: { members: ['people/all'] } } }),
      context(persons, { leads: ['erin', 'alice'], all: ['erin', 'carol', 'alice', 'bob'] }),
    );
    assert.deepEqual(d.teams, [
      {
        slug: 'leads',
        members: [
          { githubId: 11, person: 'alice', role: 'maintainer' },
          { githubId: 15, person: 'erin', role: 'maintainer' },
        ],
      },
      {
        slug: 'all',
        members: [11, 12, 13, 15].map((githubId) => ({
          githubId,
          person: ({ 11: 'alice', 12: 'bob', 13: 'carol', 15: 'erin' } as Record<number, string>)[githubId],
          role: 'member',
        })),
      },
    ]);
    assert.deepEqual(
      d.members.map((m) => [m.githubId, m.role]),
      [
        [11, 'member'],
        [12, 'member'],
        [13, 'member'],
        [15, 'member'],
      ],
    );
  });

  it('lists a group a live source does not emit as missing, not as empty', () => {
    const d = desiredState(
      config({ members: ['people/helpers', 'people/renamed'] }),
      context(persons, { helpers: ['bob'] }),
    );
    assert.deepEqual(d.missingGroups, ['people/renamed']);
    assert.deepEqual(
      d.members.map((m) => m.person),
      ['bob'],
    );
  });

  it('an unreadable source grants nothing and is not "missing" (the core completeness guard owns that case)', () => {
    const d = desiredState(config(), context(persons, { helpers: ['bob'] }, 'missing'));
    assert.deepEqual(d.members, []);
    assert.deepEqual(d.missingGroups, []);
    assert.deepEqual(d.known, []);
  });

  it('grants nothing for an account two people claim, and does not count it as known', () => {
    const d = desiredState(config(), context([...people({ a: 5, b: 5 })], { helpers: ['a', 'b'] }));
    assert.deepEqual(d.members, []);
    assert.deepEqual(d.known, []);
    assert.deepEqual(d.problems, ['github account 5 is claimed by a, b; none of them is granted access by it']);
  });

  // The problem lines are built once per group as written and sorted with the others, without a set of them: the
  // same lines, each once, in the same order as a set of every line sorted.
  it('problems: each line once, sorted with the others, for groups named twice and ids that sort before a space', () => {
    const table: { name: string; persons: Person[]; groups: Record<string, string[]>; cfg: Record<string, unknown> }[] =
      [
        {
          name: 'one group in the org and two teams, maintainers and members',
          persons: people({ a: 1, b: undefined, c: undefined }),
          groups: { x: ['a', 'b', 'c'], y: ['c', 'ghost'] },
          cfg: {
            admins: ['people/y'],
            members: ['people/x', 'people/y'],
            teams: {
              t1: { maintainers: ['people/x'], members: ['people/y'] },
              t2: { members: ['people/x', 'people/y'] },
            },
          },
        },
        {
          // "b\u0001" sorts before "b (": a line per id ordered by id alone would be out of order here.
          name: 'an id that extends another with a character below the space',
          persons: people({ b: undefined, 'b\u0001': undefined, 'b!': undefined, a: 2 }),
          groups: { g: ['a', 'b', 'b\u0001', 'b!'], 'g\u0001': ['b'] },
          cfg: { members: ['people/g', 'people/g\u0001'], teams: { t: { members: ['people/g'] } } },
        },
        {
          name: 'a contested account and a conflicting declaration next to people without an id',
          persons: [...people({ p: 7, q: 7, r: undefined }), { id: 'r', accounts: { github: 9 } }],
          groups: { g: ['p', 'q', 'r'] },
          cfg: { members: ['people/g'], admins: ['people/g'] },
        },
      ];
    for (const { name, persons, groups, cfg } of table) {
      const d = desiredState(config(cfg), context(persons, groups));
      assert.deepEqual(d.problems, referenceProblems(persons, groups, cfg), name);
    }
  });

  // Org and team members are put in GitHub id order by sorting (id, position) pairs packed into numbers (byIdAt): the
  // lists must be every granted id once, ascending, each with its person, whatever order people and groups come in.
  it('org and team members are every granted id once, by ascending GitHub id (table, generated)', () => {
    let seed = 11;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 20; round++) {
      const ids = Array.from({ length: 40 }, (_, i) => `p${i}`);
      const gh = new Map(ids.map((id, i) => [id, next(4) === 0 ? undefined : 1000 - 7 * i + next(3) * 500]));
      const persons = people(Object.fromEntries(gh));
      const groups: Record<string, string[]> = {};
      for (let g = 0; g < 4; g++) groups[`g${g}`] = ids.filter(() => next(2) === 0);
      const cfg = {
        members: ['people/g0'],
        teams: { t: { members: ['people/g1', 'people/g2'] }, u: { members: ['people/g3'] } },
      };
      const d = desiredState(config(cfg), context(persons, groups));
      const granted = (names: string[]) =>
        [...new Set(names.flatMap((g) => groups[g]!.map((id) => gh.get(id)).filter((x) => x !== undefined)))].sort(
          (a, b) => a - b,
        );
      // Ids claimed twice grant nothing.
      const claims = [...gh.values()].filter((x) => x !== undefined);
      const once = (xs: number[]) => xs.filter((x) => claims.indexOf(x) === claims.lastIndexOf(x));
      assert.deepEqual(
        d.members.map((m) => m.githubId),
        once(granted(['g0', 'g1', 'g2', 'g3'])),
        `round ${round}: org`,
      );
      assert.deepEqual(
        d.teams[0]!.members.map((m) => m.githubId),
        once(granted(['g1', 'g2'])),
        `round ${round}: t`,
      );
      assert.deepEqual(
        d.teams[1]!.members.map((m) => m.githubId),
        once(granted(['g3'])),
        `round ${round}: u`,
      );
      for (const m of [...d.members, ...d.teams.flatMap((t) => t.members)]) assert.equal(gh.get(m.person), m.githubId);
    }
  });

  // A team of one members group is built without a map of its members: each granted person once, by ascending id,
  // whether the ids come in person order ascending or not; a contested id and a missing one grant nothing.
  it('a team of one members group: each granted member once, by ascending GitHub id, with its person (table)', () => {
    const cases: { name: string; gh: Record<string, number | undefined>; group: string[] }[] = [
      { name: 'ids ascending with person ids', gh: { a: 1, b: 2, c: 3 }, group: ['a', 'b', 'c'] },
      { name: 'ids descending', gh: { a: 30, b: 20, c: 10 }, group: ['a', 'b', 'c'] },
      { name: 'ids out of order', gh: { a: 5, b: 50, c: 7, d: 6 }, group: ['a', 'b', 'c', 'd'] },
      {
        name: 'a contested id and one missing',
        gh: { a: 9, b: 4, c: 9, d: undefined, e: 2 },
        group: ['a', 'b', 'c', 'd', 'e'],
      },
      { name: 'an equal id next to a contested one', gh: { a: 3, b: 3, c: 3, d: 1 }, group: ['b', 'c', 'd'] },
      { name: 'nobody with an id', gh: { a: undefined }, group: ['a', 'ghost'] },
    ];
    for (const { name, gh, group } of cases) {
      const persons = people(gh);
      const d = desiredState(config({ teams: { t: { members: ['people/g'] } } }), context(persons, { g: group }));
      const claims = Object.values(gh).filter((x) => x !== undefined);
      const expected = group
        .filter((id) => gh[id] !== undefined && claims.indexOf(gh[id]) === claims.lastIndexOf(gh[id]))
        .map((id) => ({ githubId: gh[id] as number, person: id, role: 'member' }))
        .sort((x, y) => x.githubId - y.githubId);
      assert.deepEqual(d.teams, [{ slug: 't', members: expected }], name);
      assert.deepEqual(
        d.members,
        expected.map((m) => ({ ...m })),
        name,
      );
    }
  });

  it('problems match a set of every line, sorted, on generated directories', () => {
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 20; round++) {
      const ids = Array.from({ length: 30 }, (_, i) => `p${next(5) === 0 ? `${i}\u0001` : i}`);
      const persons = people(Object.fromEntries(ids.map((id) => [id, next(3) === 0 ? undefined : 100 + next(40)])));
      const groups: Record<string, string[]> = {};
      for (let g = 0; g < 6; g++)
        groups[`g${g}`] = [...new Set(Array.from({ length: next(20) }, () => ids[next(ids.length)] as string))];
      const pick = () => Array.from({ length: 1 + next(3) }, () => `people/g${next(7)}`);
      const cfg = { admins: pick(), members: pick(), teams: { t: { maintainers: pick(), members: pick() } } };
      const d = desiredState(config(cfg), context(persons, groups));
      assert.deepEqual(d.problems, referenceProblems(persons, groups, cfg), `round ${round}`);
    }
  });
});

describe('byIdAt', () => {
  const idAt: number[] = [];
  idAt[0] = 30;
  idAt[1] = 10;
  idAt[2] = 2 ** 32 - 1;
  idAt[3] = 0;
  idAt[4] = 2 ** 32; // too large to pack
  idAt[5] = 20.5; // not an integer: never a GitHub id, but ordered all the same
  idAt[2 ** 21] = 5; // a position too large to pack
  const cases: [string, number[], number[]][] = [
    ['empty', [], []],
    ['packed: ids in order, positions returned', [0, 1, 2, 3], [3, 1, 0, 2]],
    ['an id of 2^32 falls back to a comparator', [0, 4, 1], [1, 0, 4]],
    ['a fractional id falls back to a comparator', [5, 0, 1], [1, 5, 0]],
    ['a position of 2^21 falls back to a comparator', [0, 2 ** 21, 1], [2 ** 21, 1, 0]],
  ];
  for (const [name, positions, want] of cases)
    it(name, () => {
      const before = [...positions];
      assert.deepEqual(byIdAt(positions, idAt), want);
      assert.deepEqual(positions, before, 'the input is left as it was');
    });
});

/**
 * The problems as a set of every line, sorted: people declared twice differently, contested accounts, and for each
 * group as written, its unknown ids and its members without a GitHub id (counted, the first 20 named).
 */
function referenceProblems(
  persons: readonly Person[],
  groups: Record<string, readonly string[]>,
  cfg: Record<string, unknown>,
): string[] {
  const out = new Set<string>();
  const byId = new Map<string, Person>();
  for (const p of persons) {
    const seen = byId.get(p.id);
    if (!seen) byId.set(p.id, p);
    else if (seen.accounts.github !== undefined && p.accounts.github !== seen.accounts.github)
      out.add(`person ${p.id} is declared by people and people with different accounts; using people`);
    else if (seen.accounts.github === undefined) byId.set(p.id, { ...seen, accounts: { ...p.accounts } });
  }
  const claims = new Map<number, string[]>();
  for (const p of byId.values())
    if (p.accounts.github !== undefined)
      claims.set(p.accounts.github, [...(claims.get(p.accounts.github) ?? []), p.id]);
  for (const [id, who] of claims)
    if (who.length > 1)
      out.add(`github account ${id} is claimed by ${who.join(', ')}; none of them is granted access by it`);
  const teams = Object.values((cfg.teams ?? {}) as Record<string, { maintainers?: string[]; members?: string[] }>);
  const texts = [
    ...((cfg.admins ?? []) as string[]),
    ...((cfg.members ?? []) as string[]),
    ...teams.flatMap((t) => [...(t.maintainers ?? []), ...(t.members ?? [])]),
  ];
  const named = (ids: string[]) =>
    ids.length > 20 ? `${ids.slice(0, 20).join(', ')} and ${ids.length - 20} more` : ids.join(', ');
  for (const text of texts) {
    const members = [...new Set(groups[text.slice('people/'.length)] ?? [])].sort();
    const unknown = members.filter((id) => !byId.has(id));
    const lacking = members.filter((id) => byId.get(id)?.accounts.github === undefined && byId.has(id));
    if (unknown.length > 0)
      out.add(`group ${text}: ${unknown.length} member(s) no people source declares: ${named(unknown)}`);
    if (lacking.length > 0)
      out.add(
        `group ${text}: ${lacking.length} member(s) have no github account; nothing is granted to them: ${named(lacking)}`,
      );
  }
  return [...out].sort();
}
