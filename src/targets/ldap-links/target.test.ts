import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DesiredContext } from '../../core/contracts.ts';
import type { Person } from '../../core/model.ts';
import { ldapLinksSchema } from './config.ts';
import { desiredLinks, diffLinks, type LinkedEntry } from './target.ts';

const config = ldapLinksSchema.parse({
  type: 'ldap-links',
  connection: { url: 'ldap://127.0.0.1:1', bindDn: 'cn=x', bindPassword: 'secret-pw' },
  links: 'links',
  people: { base: 'ou=people,dc=x' },
  attribute: 'gatehouseGithubId',
});

function context(people: Person[]): DesiredContext {
  return {
    sources: new Map([['links', { name: 'links', type: 'links', status: 'live', notes: [], facts: { people } }]]),
  };
}

const entry = (uid: string, values: string[], discordId?: string): LinkedEntry => ({
  dn: `uid=${uid},ou=people,dc=x`,
  uid,
  ...(discordId ? { discordId } : {}),
  values,
});

describe('ldap-links desired state and diff', () => {
  it('approved links by uid and by Discord id; an entry is set, cleared or left as it is (table)', () => {
    const desired = desiredLinks(
      config,
      context([
        { id: 'ldap:ann', accounts: { ldap: 'ann', github: 11 } },
        { id: 'discord:5', accounts: { discord: '5', github: 12 } },
        { id: 'ldap:nolink', accounts: { ldap: 'nolink' } },
      ]),
    );
    assert.deepEqual([...desired.byUid], [['ann', 11]]);
    assert.deepEqual([...desired.byDiscord], [['5', 12]]);
    const cases: [string, LinkedEntry, string[]][] = [
      // case, entry, changes (id, add, remove)
      ['linked and holding its id', entry('ann', ['11']), []],
      ['linked, holding nothing', entry('ann', []), ['link-set:ann +11']],
      ['linked, holding another id', entry('ann', ['9']), ['link-set:ann +11 -9']],
      ['linked by its Discord id', entry('bob', [], '5'), ['link-set:bob +12']],
      ['not linked, holding an id', entry('carl', ['7', '8']), ['link-clear:carl -7,8']],
      ['not linked, holding nothing', entry('dora', []), []],
    ];
    for (const [name, e, want] of cases) {
      const changes = diffLinks(desired, [e]).map(
        (c) => `${c.id}${c.add ? ` +${c.add.join(',')}` : ''}${c.remove ? ` -${c.remove.join(',')}` : ''}`,
      );
      assert.deepEqual(changes, want, name);
    }
    // Every entry of an observation is compared, in observed order.
    const all = diffLinks(
      desired,
      cases.map(([, e]) => e),
    ).map((c) => c.id);
    assert.deepEqual(all, ['link-set:ann', 'link-set:ann', 'link-set:bob', 'link-clear:carl']);
  });
});
