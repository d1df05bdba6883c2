import { GatehouseError } from '../../core/errors.ts';
import type { Link } from '../../core/links.ts';
import type { Person, SourceRead } from '../../core/model.ts';
import { defineSource } from '../../plugins.ts';
import { linksSchema as schema } from './schema.ts';

/**
 * The person an approved link declares: the linked person id with its Discord id or LDAP uid and its GitHub id. The
 * login is the display name: it is what GitHub showed at link time, never what access is keyed by.
 */
export function linkPerson(link: Link): Person {
  return {
    id: link.person,
    displayName: link.githubLogin,
    accounts: {
      github: link.githubId,
      ...(link.discord === undefined ? {} : { discord: link.discord }),
      ...(link.ldap === undefined ? {} : { ldap: link.ldap }),
    },
  };
}

/**
 * Approved links as people. No links is a legitimate answer (a new installation); a store that cannot be read throws,
 * so the pipeline falls back to the last snapshot and nothing is removed.
 */
export const linksSource = defineSource({
  type: 'links',
  schema,
  create(name, _config, deps) {
    return {
      name,
      type: 'links',
      allowEmpty: true,
      async read(): Promise<SourceRead> {
        if (!deps.links)
          throw new GatehouseError('SOURCE_INCOMPLETE', `source ${name}: no link store is available`, {
            terminal: true,
          });
        const approved = await deps.links.list({ status: 'approved' });
        const people = approved.map(linkPerson).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        return { complete: true, facts: { people }, notes: [] };
      },
    };
  },
});
