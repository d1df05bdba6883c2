import { defineTarget } from '../../plugins.ts';
import { ldapGroupsChangeSchema } from './change-schema.ts';
import { ldapGroupsSchema, ldapGroupsSourceRefs } from './config.ts';
import { createLdapGroupsTarget } from './target.ts';

/**
 * The `ldap-groups` target: mirrors groups of any source (typically Discord roles) into LDAP groups, gated by a base
 * role; locks accounts of people who lost the base role or left, unlocks them on return (by default only locks it recorded setting itself), creates missing accounts from a
 * template or reports them in the plan's notes ("needs enrolment"). Joins people to accounts by uid or by the Discord-id attribute. Never deletes an entry.
 */
export const ldapGroupsTarget = defineTarget({
  type: 'ldap-groups',
  schema: ldapGroupsSchema,
  changeSchema: ldapGroupsChangeSchema,
  sourceRefs: ldapGroupsSourceRefs,
  create: (name, config, deps) => createLdapGroupsTarget(name, config, deps),
});

export { groupRefOf, ldapGroupsSchema, type LdapGroupsConfig } from './config.ts';
export { createLdapGroupsTarget, type LdapGroupsTarget } from './target.ts';
export { desiredState, referencedSources } from './desired.ts';
export { LockRecords } from './lock-records.ts';
export { AccountIndex, diffLdapGroups, isManaged, ldapGroupsNotes, slug } from './diff.ts';
export { guardLdapGroups } from './guard.ts';
export { applyLdapGroups } from './apply.ts';
export type * from './types.ts';
export { ldapGroupsChangeSchema } from './change-schema.ts';
