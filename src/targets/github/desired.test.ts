import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { desiredState } from './desired.ts';
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
      'group people/helpers names ghost, whom no people source declares',
      'person dave (group people/helpers) has no github account; nothing is granted',
    ]);
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
});
