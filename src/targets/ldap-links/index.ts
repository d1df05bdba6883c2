import { defineTarget } from '../../plugins.ts';
import { ldapLinksChangeSchema } from './change-schema.ts';
import { ldapLinksSchema, ldapLinksSourceRefs } from './config.ts';
import { createLdapLinksTarget } from './target.ts';

/**
 * The `ldap-links` target: writes the numeric GitHub id of each approved link into a configured attribute of the
 * person's LDAP entry (joined by uid or Discord id), and clears it where no approved link is left (revoked). Same core
 * guards (source completeness: a links source that cannot be read clears nothing) and audit as every target.
 */
export const ldapLinksTarget = defineTarget({
  type: 'ldap-links',
  schema: ldapLinksSchema,
  changeSchema: ldapLinksChangeSchema,
  sourceRefs: ldapLinksSourceRefs,
  create: (name, config, deps) => createLdapLinksTarget(name, config, deps),
});

export { ldapLinksSchema, type LdapLinksConfig } from './config.ts';
export { createLdapLinksTarget, desiredLinks, diffLinks, guardLinks } from './target.ts';
