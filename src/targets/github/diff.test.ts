import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffGithub as uncheckedDiffGithub } from './diff.ts';
import { findings } from './findings.ts';
import { githubChangeSchema } from './change-schema.ts';
import type { Change } from '../../core/contracts.ts';
import { acceptedForgeries, schemaChecked } from '../../core/testing/schema-checked.ts';
import { desired, observed } from './test-fixtures.ts';
import { rng } from '../../testing/rng.ts';
import type { GithubChange, GithubDesired, GithubObserved, ObservedInvitation } from './types.ts';

/** Every change these tests make must fit the target's change schema (a saved plan holding it reads back). */
const samples = new Map<string, Change>();
const diffGithub = schemaChecked(githubChangeSchema, uncheckedDiffGithub, samples);

const inv = (
  id: number,
  inviteeId: number | null,
  role = 'direct_member',
  inviterId: number | null = 77,
): ObservedInvitation => ({
  id,
  login: inviteeId === null ? null : `u${inviteeId}`,
  inviteeId,
  role,
  createdAt: '2024-01-01T00:00:00Z',
  inviterId,
  teamCount: 0,
});

/** `kind id destructive?` per change: compact enough to read a table of cases. */
const brief = (changes: readonly GithubChange[]) => changes.map((c) => `${c.id}${c.destructive ? ' !' : ''}`);

interface Case {
  readonly name: string;
  readonly desired: GithubDesired;
  readonly observed: GithubObserved;
  readonly want: readonly string[];
}

const cases: Case[] = [
  { name: 'nothing to do', desired: desired([[1, 'admin']]), observed: observed([[1, 'admin']]), want: [] },
  {
    name: 'invites a wanted person who is not a member, by id',
    desired: desired([
      [1, 'admin'],
      [5, 'member'],
    ]),
    observed: observed([[1, 'admin']]),
    want: ['invite:5'],
  },
  {
    name: 'promotes with one role change, never remove + re-add',
    desired: desired([
      [1, 'admin'],
      [5, 'admin'],
    ]),
    observed: observed([
      [1, 'admin'],
      [5, 'member'],
    ]),
    want: ['org-role:5'],
  },
  {
    name: 'a demotion is destructive',
    desired: desired([
      [1, 'admin'],
      [5, 'member'],
    ]),
    observed: observed([
      [1, 'admin'],
      [5, 'admin'],
    ]),
    want: ['org-role:5 !'],
  },
  {
    name: 'removes a known person no group grants',
    desired: desired([[1, 'admin']], { known: [1, 5] }),
    observed: observed([
      [1, 'admin'],
      [5, 'member'],
    ]),
    want: ['org-remove:5 !'],
  },
  {
    name: 'reports (does not remove) an unmanaged member by default',
    desired: desired([[1, 'admin']]),
    observed: observed([
      [1, 'admin'],
      [9, 'member'],
    ]),
    want: [],
  },
  {
    name: 'removes an unmanaged member under unmanagedMembers: remove',
    desired: desired([[1, 'admin']], { unmanagedMembers: 'remove' }),
    observed: observed([
      [1, 'admin'],
      [9, 'member'],
    ]),
    want: ['org-remove:9 !'],
  },
  {
    name: 'keeps a pending invitation of a wanted person (no second invitation)',
    desired: desired([
      [1, 'admin'],
      [5, 'member'],
    ]),
    observed: observed([[1, 'admin']], { invitations: [inv(70, 5)] }),
    want: [],
  },
  {
    name: 'keeps a member invitation of a would-be owner (role raised after acceptance)',
    desired: desired([
      [1, 'admin'],
      [5, 'admin'],
    ]),
    observed: observed([[1, 'admin']], { invitations: [inv(70, 5)] }),
    want: [],
  },
  {
    name: 'cancels and re-issues an admin invitation of a would-be member',
    desired: desired([
      [1, 'admin'],
      [5, 'member'],
    ]),
    observed: observed([[1, 'admin']], { invitations: [inv(70, 5, 'admin')] }),
    want: ['cancel-invitation:70 !', 'invite:5'],
  },
  {
    name: 'cancels a stale invitation of a known person',
    desired: desired([[1, 'admin']], { known: [1, 5] }),
    observed: observed([[1, 'admin']], { invitations: [inv(70, 5)] }),
    want: ['cancel-invitation:70 !'],
  },
  {
    name: 'cancels an invitation this credential sent that no group grants',
    desired: desired([[1, 'admin']]),
    observed: observed([[1, 'admin']], { invitations: [inv(70, 8, 'direct_member', 1)] }),
    want: ['cancel-invitation:70 !'],
  },
  {
    name: "leaves a human's invitation of a stranger alone under report",
    desired: desired([[1, 'admin']]),
    observed: observed([[1, 'admin']], { invitations: [inv(70, 8), inv(71, null)] }),
    want: [],
  },
  {
    name: 'leaves billing-manager invitations alone even under remove',
    desired: desired([[1, 'admin']], { unmanagedMembers: 'remove' }),
    observed: observed([[1, 'admin']], { invitations: [inv(70, 8, 'billing_manager')] }),
    want: [],
  },
  {
    name: 'team: adds a member, changes a role, removes another',
    desired: desired(
      [
        [1, 'admin'],
        [5, 'member'],
        [6, 'member'],
      ],
      {
        teamMembers: {
          sre: [
            [5, 'maintainer'],
            [6, 'member'],
          ],
        },
      },
    ),
    observed: observed(
      [
        [1, 'admin'],
        [5, 'member'],
        [6, 'member'],
        [7, 'member'],
      ],
      {
        teamMembers: {
          sre: [
            [5, 'member'],
            [7, 'member'],
          ],
        },
      },
    ),
    want: ['team:sre:set:5', 'team:sre:set:6', 'team:sre:remove:7 !'],
  },
  {
    name: 'team: a maintainer → member change is destructive',
    desired: desired(
      [
        [1, 'admin'],
        [5, 'member'],
      ],
      { teamMembers: { sre: [[5, 'member']] } },
    ),
    observed: observed(
      [
        [1, 'admin'],
        [5, 'member'],
      ],
      { teamMembers: { sre: [[5, 'maintainer']] } },
    ),
    want: ['team:sre:set:5 !'],
  },
  {
    name: "team: a new member's teams ride on the invitation, no team change",
    desired: desired(
      [
        [1, 'admin'],
        [5, 'member'],
      ],
      { teamMembers: { sre: [[5, 'member']] } },
    ),
    observed: observed([[1, 'admin']], { teamMembers: { sre: [] } }),
    want: ['invite:5'],
  },
  {
    name: 'team: someone leaving the org is not also removed from the team',
    desired: desired([[1, 'admin']], { known: [1, 5], teamMembers: { sre: [] } }),
    observed: observed(
      [
        [1, 'admin'],
        [5, 'member'],
      ],
      { teamMembers: { sre: [[5, 'member']] } },
    ),
    want: ['org-remove:5 !'],
  },
  {
    name: 'team: an unmanageable (IdP-synced) team gets no changes',
    desired: desired(
      [
        [1, 'admin'],
        [5, 'member'],
      ],
      { teamMembers: { sre: [[5, 'member']] } },
    ),
    observed: {
      ...observed(
        [
          [1, 'admin'],
          [5, 'member'],
        ],
        { teamMembers: { sre: [[7, 'member']] } },
      ),
      teams: [{ id: 900, slug: 'sre', unmanageable: 'synced', members: [{ id: 7, login: 'u7', role: 'member' }] }],
    },
    want: [],
  },
  {
    name: 'team: a configured team missing from the org gets no changes',
    desired: desired(
      [
        [1, 'admin'],
        [5, 'member'],
      ],
      { teamMembers: { sre: [[5, 'member']] } },
    ),
    observed: observed([
      [1, 'admin'],
      [5, 'member'],
    ]),
    want: [],
  },
  {
    name: 'orders: cancels, invites, promotions, team sets, team removals, demotions, removals',
    desired: desired(
      [
        [1, 'admin'],
        [2, 'admin'],
        [3, 'member'],
        [4, 'member'],
      ],
      {
        known: [1, 2, 3, 4, 5, 8],
        teamMembers: { sre: [[4, 'member']] },
      },
    ),
    observed: observed(
      [
        [1, 'admin'],
        [2, 'member'],
        [3, 'admin'],
        [4, 'member'],
        [5, 'member'],
        [6, 'member'],
      ],
      {
        invitations: [inv(70, 8)],
        teamMembers: { sre: [[6, 'member']] },
      },
    ),
    want: [
      'cancel-invitation:70 !',
      'org-role:2',
      'team:sre:set:4',
      'team:sre:remove:6 !',
      'org-role:3 !',
      'org-remove:5 !',
    ],
  },
];

describe('diffGithub', () => {
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(brief(diffGithub(c.desired, c.observed)), c.want);
    });
  }

  it('invites by numeric id with the ids of the teams the person belongs in', () => {
    const d = desired(
      [
        [1, 'admin'],
        [5, 'admin'],
      ],
      { teamMembers: { sre: [[5, 'member']], ops: [], web: [[5, 'maintainer']] } },
    );
    const o = observed([[1, 'admin']], { teamMembers: { sre: [], ops: [], web: [] } });
    const [c] = diffGithub(d, o);
    assert.deepEqual(c, {
      kind: 'github-invite',
      id: 'invite:5',
      summary: 'invite p5 (github 5) as admin with teams sre, web',
      destructive: false,
      githubId: 5,
      login: null,
      person: 'p5',
      role: 'admin',
      teams: [
        { id: 900, slug: 'sre' },
        { id: 902, slug: 'web' },
      ],
    });
  });

  it('each invitation carries exactly the existing, manageable teams of its invitee, in config order (table)', () => {
    const d = desired(
      [
        [1, 'admin'],
        [5, 'member'],
        [6, 'member'],
        [7, 'member'],
        [8, 'member'],
      ],
      {
        teamMembers: {
          web: [
            [6, 'member'],
            [5, 'maintainer'],
            [1, 'member'],
          ],
          gone: [[5, 'member']], // no such team on GitHub
          synced: [[6, 'member']], // unmanageable
          sre: [
            [5, 'member'],
            [7, 'member'],
          ],
          ops: [[1, 'member']],
        },
      },
    );
    const o = observed([[1, 'admin']], { teamMembers: { ops: [], sre: [], synced: [], web: [] } });
    const o2: GithubObserved = {
      ...o,
      teams: o.teams.map((t) => (t.slug === 'synced' ? { ...t, unmanageable: 'synced from an IdP' } : t)),
      invitations: [inv(60, 8)], // 8 is already invited: no new invitation
    };
    const cases: [number, string[]][] = [
      // invitee, teams (slug:id)
      [5, ['web:903', 'sre:901']],
      [6, ['web:903']],
      [7, ['sre:901']],
    ];
    const invites = diffGithub(d, o2).filter((c) => c.kind === 'github-invite');
    assert.deepEqual(
      invites.map((c) => c.githubId),
      cases.map(([id]) => id),
    );
    for (const [id, teams] of cases) {
      const c = invites.find((x) => x.githubId === id);
      assert.deepEqual(c?.kind === 'github-invite' ? c.teams.map((t) => `${t.slug}:${t.id}`) : [], teams, String(id));
    }
  });

  it('one desired state against each new observation in turn: each looked up on its own, never an earlier one (table)', () => {
    const d = desired(
      [
        [1, 'admin'],
        [5, 'member'],
        [6, 'member'],
      ],
      { known: [1, 5, 6, 7] },
    );
    const first = observed([
      [1, 'admin'],
      [5, 'admin'],
      [7, 'member'],
      [8, 'member'],
    ]);
    const second: GithubObserved = {
      ...observed([
        [1, 'admin'],
        [6, 'member'],
      ]),
      invitations: [inv(50, 5), inv(51, 7), inv(52, 9)],
    };
    const cases: [string, GithubObserved, string[], number][] = [
      // case, observation, change ids, findings
      ['first', first, ['invite:6', 'org-role:5', 'org-remove:7'], 1],
      ['second', second, ['cancel-invitation:51'], 1],
      ['first again', first, ['invite:6', 'org-role:5', 'org-remove:7'], 1],
    ];
    for (const [name, o, ids, notes] of cases) {
      for (let twice = 0; twice < 2; twice++) {
        assert.deepEqual(
          diffGithub(d, o).map((c) => c.id),
          ids,
          name,
        );
        assert.equal(findings(d, o).length, notes, name);
      }
    }
    assert.match(findings(d, first)[0] ?? '', /u8 \(github 8\) member/);
    assert.match(findings(d, second)[0] ?? '', /52 \(/);
  });

  // A team's desired and observed members, both sorted by id and each once, are walked in step; in any other order
  // they are looked up by id. The same changes either way (in step, team removals follow the observed order).
  it('team members walked in step (sorted) and looked up (unsorted) give the same changes (table)', () => {
    const rand = rng(3);
    const roles = ['member', 'maintainer'] as const;
    for (let round = 0; round < 30; round++) {
      const ids = Array.from({ length: 30 }, (_, i) => 10 + i);
      const pick = (p: number) => ids.filter(() => rand() < p);
      const team = (p: number): [number, 'member' | 'maintainer'][] =>
        pick(p).map((id) => [id, roles[Math.floor(rand() * 2)] as 'member' | 'maintainer']);
      const teams = { a: team(0.5), b: team(0.3) };
      const d = desired(
        pick(0.8).map((id) => [id, 'member']),
        { teamMembers: teams },
      );
      const o = observed(
        pick(0.8).map((id) => [id, 'member']),
        { teamMembers: { a: team(0.5), b: team(0.3) } },
      );
      const byId = (cs: readonly GithubChange[]) => [...cs].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
      const inStep = diffGithub(d, o);
      assert.ok(
        inStep.some((c) => c.kind === 'github-team-set' || c.kind === 'github-team-remove'),
        `round ${round}`,
      );
      const observedUnsorted = {
        ...o,
        teams: o.teams.map((t) => ({ ...t, members: [...(t.members ?? [])].reverse() })),
      };
      const desiredUnsorted = { ...d, teams: d.teams.map((t) => ({ ...t, members: [...t.members].reverse() })) };
      assert.deepEqual(byId(diffGithub(d, observedUnsorted)), byId(inStep), `round ${round}: observed unsorted`);
      assert.deepEqual(byId(diffGithub(desiredUnsorted, o)), byId(inStep), `round ${round}: desired unsorted`);
    }
  });

  it('is deterministic and pure: same input, same output, inputs untouched', () => {
    const d = desired(
      [
        [1, 'admin'],
        [5, 'member'],
      ],
      { known: [1, 5, 6], teamMembers: { sre: [[5, 'member']] } },
    );
    const o = observed(
      [
        [1, 'admin'],
        [6, 'member'],
      ],
      { teamMembers: { sre: [[6, 'member']] } },
    );
    const before = JSON.stringify([d, o]);
    assert.deepEqual(diffGithub(d, o), diffGithub(d, o));
    assert.equal(JSON.stringify([d, o]), before);
  });
});

// Runs after every test above: they are what produced the samples.
describe('github change schema (saved plans are read back by the target that made them)', () => {
  it('every kind of change appeared in the tests above, and each fitted the schema', () => {
    assert.deepEqual([...samples.keys()].sort(), githubChangeSchema.options.map((o) => o.shape.kind.value).sort());
  });

  it('refuses forged changes of every kind', () => {
    for (const [kind, change] of samples)
      assert.deepEqual(acceptedForgeries(githubChangeSchema, change, 'ldap-lock'), [], kind);
  });
});
