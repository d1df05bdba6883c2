import { defineTarget } from '../../plugins.ts';
import { ldapGroupsSchema } from './config.ts';
import { createLdapGroupsTarget } from './target.ts';

/**
 * The `ldap-groups` target: mirrors groups of any source (typically Discord roles) into LDAP groups, gated by a base
 * role; locks accounts of people who lost the base role or left, unlocks them on return, reports (or creates) missing
 * accounts. Joins people to accounts by uid or by the Discord-id attribute. Never deletes an entry.
 */
export const ldapGroupsTarget = defineTarget({
  type: 'ldap-groups',
  schema: ldapGroupsSchema,
  sourceRefs: (config) => [
    ...(config.baseRole ? [{ path: ['baseRole', 'source'], source: config.baseRole.source }] : []),
    ...config.mappings.map((m, i) => ({ path: ['mappings', i, 'source'], source: m.source })),
  ],
  create: (name, config, deps) => createLdapGroupsTarget(name, config, deps),
});

export { ldapGroupsSchema, type LdapGroupsConfig } from './config.ts';
export { createLdapGroupsTarget, type LdapGroupsTarget } from './target.ts';
export { desiredState } from './desired.ts';
export { AccountIndex, diffLdapGroups, isManaged, slug } from './diff.ts';
export { guardLdapGroups } from './guard.ts';
export { applyLdapGroups } from './apply.ts';
export type * from './types.ts';
