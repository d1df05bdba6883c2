import * as z from 'zod';
import { allowEmptySchema } from '../allow-empty.ts';
import { connectionSchema, filterString } from '../../adapters/ldap/connection.ts';

const scope = z.enum(['one', 'sub']).default('sub');

/** Attribute names as the directory spells them; checked to be names, since they are sent as-is. */
const attributeName = z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'an LDAP attribute name');

export const peopleSchema = z
  .object({
    base: z.string().min(1).describe('Search base of user entries.'),
    scope,
    filter: filterString.default('(objectClass=inetOrgPerson)').describe('Which entries under base are people.'),
    attributes: z
      .object({
        uid: attributeName.default('uid'),
        discordId: attributeName
          .default('employeeNumber')
          .describe(
            'Holds the Discord user id (FreeIPA-style employeeNumber). Values that are not snowflakes are ignored.',
          ),
        mail: attributeName.default('mail'),
        displayName: attributeName.default('displayName'),
        extra: z
          .array(attributeName)
          .default([])
          .describe('More attributes carried on each person (first value), e.g. uidNumber, gidNumber, homeDirectory.'),
      })
      .strict()
      .default({ uid: 'uid', discordId: 'employeeNumber', mail: 'mail', displayName: 'displayName', extra: [] }),
    lock: z
      .object({
        nsAccountLock: z.boolean().default(true).describe('nsAccountLock: TRUE marks a locked account (FreeIPA).'),
        pwdAccountLockedTime: z
          .boolean()
          .default(true)
          .describe('A pwdAccountLockedTime value (ppolicy) marks a locked account.'),
      })
      .strict()
      .default({ nsAccountLock: true, pwdAccountLockedTime: true }),
  })
  .strict();

export const groupsSchema = z
  .object({
    base: z.string().min(1).describe('Search base of group entries.'),
    scope,
    filter: filterString.default('(objectClass=groupOfNames)'),
    nameAttribute: attributeName.default('cn').describe('Gives the group its name in facts.'),
    membership: z
      .enum(['member', 'memberOf'])
      .default('member')
      .describe('member: groups list their members (DNs). memberOf: entries list their groups (memberof overlay).'),
    memberAttribute: attributeName.default('member'),
    only: z
      .array(z.string().min(1))
      .optional()
      .describe('Read only these groups (by name). Each is looked up with an escaped equality filter.'),
  })
  .strict();

export const ldapSourceSchema = z
  .object({
    type: z.literal('ldap'),
    description: z.string().optional(),
    connection: connectionSchema,
    people: peopleSchema,
    groups: groupsSchema.optional(),
    lockedAccounts: z
      .enum(['exclude', 'include'])
      .default('exclude')
      .describe('exclude: locked accounts are left out of people and groups (a locked person has no access).'),
    pollInterval: z
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .default(5_000)
      .describe(
        'serve: milliseconds between change checks ((modifyTimestamp>=last) under the people and group bases, one attribute); 0 disables (the periodic full pass still runs).',
      ),
    allowEmpty: allowEmptySchema,
  })
  .strict()
  .describe('People and groups from an LDAP directory (OpenLDAP, FreeIPA, 389-ds); nested groups are resolved.');

export type LdapSourceConfig = z.output<typeof ldapSourceSchema>;
export type PeopleConfig = z.output<typeof peopleSchema>;
export type GroupsConfig = z.output<typeof groupsSchema>;
