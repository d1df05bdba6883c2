import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffGithub } from './diff.ts';
import { findings } from './findings.ts';
import { guardGithub } from './guard.ts';
import { desired, observed } from './test-fixtures.ts';
import type { GithubDesired, GithubObserved, OrgRole, TeamRole } from './types.ts';

function run(d: GithubDesired, o: GithubObserved) {
  const verdicts = guardGithub(diffGithub(d, o), d, o);
  return {
    rejects: verdicts.filter((v) => v.outcome === 'reject').map(({ outcome: _o, ...v }) => v),
    reports: findings(d, o),
  };
}

const as = (ids: readonly number[], role: OrgRole = 'member'): [number, OrgRole][] => ids.map((id) => [id, role]);
const team = (ids: readonly number[]): [number, TeamRole][] => ids.map((id) => [id, 'member']);
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const limits = { maxOrgRemovalFraction: 0.25, maxTeamRemovalFraction: 0.25, minAdmins: 1, invitationBudget: 50 };

describe('guardGithub', () => {
  it('org-removal-fraction: rejects removing more than 25 % of the org, with the message a user sees', () => {
    // 12 members; 4 leave (33 %).
    const d = desired([[1, 'admin'], ...as(range(10, 7))], { known: [1, ...range(10, 11)] });
    const o = observed([[1, 'admin'], ...as(range(10, 11))]);
    assert.deepEqual(run(d, o).rejects, [
      {
        guard: 'org-removal-fraction',
        changeIds: ['org-remove:17', 'org-remove:18', 'org-remove:19', 'org-remove:20'],
        message: 'org acme would lose 4 of 12 entries (33.3 %), more than the 25 % allowed per run',
      },
    ]);
  });

  it('org-removal-fraction: allows exactly the fraction, and a single removal always', () => {
    const d = desired([[1, 'admin'], ...as(range(10, 8))], { known: [1, ...range(10, 11)] });
    assert.deepEqual(run(d, observed([[1, 'admin'], ...as(range(10, 11))])).rejects, []); // 3 of 12
    const small = desired([[1, 'admin']], { known: [1, 5] });
    assert.deepEqual(
      run(
        small,
        observed([
          [1, 'admin'],
          [5, 'member'],
        ]),
      ).rejects,
      [],
    ); // 1 of 2
  });

  it('team-removal-fraction: rejects removing more than 25 % of one team', () => {
    const d = desired(as([1, ...range(10, 8)], 'admin'), { teamMembers: { sre: team(range(10, 2)) } });
    const o = observed(as([1, ...range(10, 8)], 'admin'), { teamMembers: { sre: team(range(10, 8)) } });
    assert.deepEqual(
      run(d, { ...o }).rejects.map((v) => [v.guard, v.changeIds.length, v.message]),
      [['team-removal-fraction', 6, 'team sre would lose 6 of 8 entries (75 %), more than the 25 % allowed per run']],
    );
  });

  it('min-admins: rejects demotions and removals that leave too few owners', () => {
    const d = desired(
      [
        [1, 'admin'],
        [2, 'member'],
      ],
      { known: [1, 2, 3], limits: { ...limits, minAdmins: 2 } },
    );
    const o = observed([
      [1, 'admin'],
      [2, 'admin'],
      [3, 'admin'],
    ]);
    assert.deepEqual(run(d, o).rejects, [
      {
        guard: 'min-admins',
        changeIds: ['org-role:2', 'org-remove:3'],
        message: 'org acme would keep 1 owner(s) (3 → 1), fewer than minAdmins 2',
      },
    ]);
  });

  it('min-admins: does not count promotions of the same plan (they may fail)', () => {
    const d = desired(
      [
        [1, 'admin'],
        [2, 'admin'],
        [3, 'member'],
      ],
      { limits: { ...limits, minAdmins: 2 } },
    );
    const o = observed([
      [1, 'admin'],
      [2, 'member'],
      [3, 'admin'],
    ]);
    assert.deepEqual(
      run(d, o).rejects.map((v) => [v.guard, v.changeIds]),
      [['min-admins', ['org-role:3']]],
    );
  });

  it('self: never removes or demotes the account the token acts as', () => {
    const d = desired(
      [
        [2, 'admin'],
        [3, 'admin'],
      ],
      { known: [1, 2, 3], teamMembers: { sre: [] } },
    );
    const o = observed(
      [
        [1, 'admin'],
        [2, 'admin'],
        [3, 'admin'],
      ],
      {
        self: { id: 1, login: 'gatehouse-bot' },
        teamMembers: { sre: [[1, 'maintainer']] },
      },
    );
    assert.deepEqual(run(d, o).rejects, [
      {
        guard: 'self',
        changeIds: ['org-remove:1'],
        message: 'never removes or demotes gatehouse-bot (github 1): the account gatehouse authenticates as',
      },
    ]);
  });

  it('self: an App acts as no user, so nothing is held back for it', () => {
    const d = desired(
      [
        [2, 'admin'],
        [3, 'admin'],
      ],
      { known: [1, 2, 3] },
    );
    const o = observed(
      [
        [1, 'admin'],
        [2, 'admin'],
        [3, 'admin'],
      ],
      { self: null },
    );
    assert.deepEqual(run(d, o).rejects, []);
  });

  it('protected: never removes or demotes a protected id, even an unmanaged one', () => {
    const d = desired(
      [
        [1, 'admin'],
        [2, 'member'],
      ],
      { protected: [2, 9], unmanagedMembers: 'remove' },
    );
    const o = observed([
      [1, 'admin'],
      [2, 'admin'],
      [9, 'member'],
    ]);
    assert.deepEqual(run(d, o).rejects, [
      {
        guard: 'protected',
        changeIds: ['org-role:2', 'org-remove:9'],
        message: 'never removes or demotes protected account(s): u2 (github 2), u9 (github 9)',
      },
    ]);
  });

  it('invitation-budget: the invitations beyond the 24 h budget wait, counting those already sent', () => {
    const d = desired([[1, 'admin'], ...as(range(10, 5))], { limits: { ...limits, invitationBudget: 50 } });
    const o = observed([[1, 'admin']], { invitationsLast24h: 48 });
    assert.deepEqual(run(d, o).rejects, [
      {
        guard: 'invitation-budget',
        changeIds: ['invite:12', 'invite:13', 'invite:14'],
        message:
          '5 invitation(s) planned but only 2 of the 50 per 24 h remain (48 sent in the last 24 h); 3 wait for a later run',
      },
    ]);
  });

  it('invitation-budget: 500 when configured', () => {
    const d = desired([[1, 'admin'], ...as(range(10, 60))], { limits: { ...limits, invitationBudget: 500 } });
    assert.deepEqual(run(d, observed([[1, 'admin']])).rejects, []);
  });

  it('missing-group: a group its source does not emit blocks every destructive change', () => {
    const d = desired([[1, 'admin']], { known: [1, 5], missingGroups: ['people/helpers'] });
    const o = observed([
      [1, 'admin'],
      [5, 'member'],
    ]);
    assert.deepEqual(run(d, o).rejects, [
      {
        guard: 'missing-group',
        changeIds: ['org-remove:5'],
        message:
          'group(s) people/helpers not found in their source; nothing is removed or demoted until the config or the source is fixed',
      },
    ]);
  });

  it('notes (findings): unmanaged members, stray and failed invitations, problems, unmanageable teams; nothing blocked', () => {
    const d = desired([[1, 'admin']], {
      problems: ['group people/x: 1 member(s) have no github account; nothing is granted to them: bob'],
      teamMembers: { sre: [], ops: [] },
    });
    const o: GithubObserved = {
      ...observed([
        [1, 'admin'],
        [9, 'member'],
      ]),
      invitations: [
        { id: 70, login: null, inviteeId: null, role: 'direct_member', createdAt: 'x', inviterId: 3, teamCount: 0 },
      ],
      failedInvitations: [
        {
          id: 71,
          login: 'carol',
          createdAt: 'x',
          failedAt: '2024-01-02T00:00:00Z',
          failedReason: 'Invitation expired',
        },
      ],
      teams: [{ id: 900, slug: 'sre', unmanageable: 'synchronised with an identity provider', members: [] }],
    };
    const r = run(d, o);
    assert.deepEqual(r.rejects, []);
    assert.deepEqual(r.reports, [
      'group people/x: 1 member(s) have no github account; nothing is granted to them: bob',
      '1 org member(s) that no person claims are left alone (unmanagedMembers: report): u9 (github 9) member',
      '1 pending invitation(s) no person claims are left alone: 70 (by email, direct_member)',
      '1 failed invitation(s): carol (Invitation expired, 2024-01-02T00:00:00Z)',
      'team sre is left alone: synchronised with an identity provider',
      'team ops does not exist in org acme; create it on GitHub (gatehouse never creates teams)',
    ]);
  });
});
