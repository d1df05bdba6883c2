import * as z from 'zod';
import { connectionSchema, filterString } from '../../adapters/ldap/connection.ts';

const attributeName = z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'an LDAP attribute name');

export const ldapLinksSchema = z
  .object({
    type: z.literal('ldap-links'),
    description: z.string().optional(),
    connection: connectionSchema,
    links: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/)
      .describe('The `links` source whose approved links are mirrored.'),
    people: z
      .object({
        base: z.string().min(1),
        scope: z.enum(['one', 'sub']).default('sub'),
        filter: filterString.default('(objectClass=inetOrgPerson)'),
        uidAttribute: attributeName.default('uid').describe('Joins links by LDAP uid.'),
        discordIdAttribute: attributeName.default('employeeNumber').describe('Joins links by Discord id.'),
      })
      .strict(),
    attribute: attributeName.describe(
      'The attribute that holds the linked numeric GitHub id (one value). gatehouse owns it: it is set from approved links and cleared on entries without one.',
    ),
    guards: z
      .object({
        maxClearFraction: z
          .number()
          .min(0)
          .max(1)
          .default(0.25)
          .describe(
            'Largest fraction of the entries holding a GitHub id that one run may clear (1 disables). One clear always passes.',
          ),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .describe('Mirrors approved account links into an LDAP attribute of each person’s entry (numeric GitHub id).');

export type LdapLinksConfig = z.output<typeof ldapLinksSchema>;

/** The sources an `ldap-links` block draws on (for cross-checks and `Target.sources`). */
export function ldapLinksSourceRefs(config: LdapLinksConfig): { path: (string | number)[]; source: string }[] {
  return [{ path: ['links'], source: config.links }];
}
