import * as z from 'zod';
import type { SourceRef } from '../../plugins.ts';
import { parseGroupRef, type GroupRef } from '../../core/people.ts';
import { connectionSchema, filterString } from '../../adapters/ldap/connection.ts';

const attributeName = z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'an LDAP attribute name');

/** Same rule as source names in the config schema; a group reference starts with one. */
const SOURCE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const REF_MESSAGE = 'write a group as source/group, e.g. discord/Staff';

/**
 * A group of a source, written `source/group` as in every target (core's people model): `discord/Staff` (a role name),
 * `discord/910000000000000011` (a role id), `directory/admins` (an LDAP group cn). Everything after the first `/` is
 * the group name, so role names may contain `/`.
 */
const groupRef = z
  .string({ error: REF_MESSAGE })
  .refine((s) => {
    const r = parseGroupRef(s);
    return r !== undefined && SOURCE_NAME.test(r.source);
  }, REF_MESSAGE)
  .describe('A group of a source, written source/group: discord/Staff, discord/<role id>, ldap/admins, …');

/** The parsed form of a reference the schema accepted. */
export function groupRefOf(text: string): GroupRef {
  const r = parseGroupRef(text);
  if (!r) throw new Error(`not a group reference: ${JSON.stringify(text)}`);
  return r;
}

export const ldapGroupsSchema = z
  .object({
    type: z.literal('ldap-groups'),
    description: z.string().optional(),
    connection: connectionSchema,
    people: z
      .object({
        base: z.string().min(1),
        scope: z.enum(['one', 'sub']).default('sub'),
        filter: filterString.default('(objectClass=inetOrgPerson)'),
        uidAttribute: attributeName.default('uid'),
        discordIdAttribute: attributeName.default('employeeNumber').describe('Joins Discord people to accounts.'),
      })
      .strict(),
    baseRole: groupRef
      .optional()
      .describe(
        'source/group (e.g. discord/Staff) gating everything: without it, accounts are locked and get no group.',
      ),
    mappings: z
      .array(
        z
          .object({
            group: groupRef,
            ldapGroup: z.string().min(1).describe('DN of the LDAP group (groupOfNames) that mirrors the group.'),
            exclusive: z
              .boolean()
              .default(false)
              .describe(
                'true: members not desired are removed even if they have no Discord id. false: only accounts linked to Discord are managed.',
              ),
            maxRemoveFraction: z.number().min(0).max(1).default(0.5).describe('Max share of members removed per run.'),
          })
          .strict(),
      )
      .default([]),
    memberAttribute: attributeName.default('member'),
    emptyMember: z
      .string()
      .min(1)
      .optional()
      .describe('A placeholder DN kept in every mapped group (groupOfNames needs one member); never removed.'),
    lock: z
      .object({
        nsAccountLock: z.boolean().default(true).describe('Lock with nsAccountLock: TRUE (FreeIPA).'),
        pwdAccountLockedTime: z
          .boolean()
          .default(false)
          .describe('Lock with pwdAccountLockedTime: 000001010000Z (ppolicy; needs manage access for the bind DN).'),
        maxFraction: z
          .number()
          .min(0)
          .max(1)
          .default(0.1)
          .describe('Max share of managed accounts locked in one run; more is refused as a likely outage.'),
        unlock: z
          .enum(['own', 'any'])
          .default('own')
          .describe(
            'own: unlock only locks gatehouse recorded setting itself; a lock set by hand stays and the plan says so. any: unlock every lock when the person holds the base role (for migrating from a tool that locked accounts).',
          ),
      })
      .strict()
      .default({ nsAccountLock: true, pwdAccountLockedTime: false, maxFraction: 0.1, unlock: 'own' })
      .refine((l) => l.nsAccountLock || l.pwdAccountLockedTime, 'enable at least one lock mechanism'),
    serviceAccounts: z
      .object({
        filter: filterString.optional().describe('Accounts under people.base matching this filter are never touched.'),
        uids: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ uids: [] }),
    protected: z
      .array(z.string().min(1))
      .default([])
      .describe('uids never locked or removed from a group: a plan that would is refused by the protected guard.'),
    enrol: z
      .object({
        create: z.boolean().default(false).describe('Create missing accounts from the template (else only report).'),
        base: z.string().min(1).optional().describe('Where new accounts go (default: people.base).'),
        rdnAttribute: attributeName.default('uid'),
        uid: z
          .string()
          .default('d{discordId}')
          .describe('uid template; {discordId}, {slug} (display name, lower-case a-z0-9) are replaced.'),
        uidPattern: z.string().default('^[a-z_][a-z0-9_.-]{0,31}$').describe('A uid must match this or is reported.'),
        objectClasses: z.array(z.string().min(1)).default(['inetOrgPerson']),
        attributes: z
          .record(z.string(), z.string())
          .default({ cn: '{displayName}', sn: '{displayName}' })
          .describe('Attribute templates; {uid}, {discordId}, {displayName}, {slug} are replaced.'),
      })
      .strict()
      .default({
        create: false,
        rdnAttribute: 'uid',
        uid: 'd{discordId}',
        uidPattern: '^[a-z_][a-z0-9_.-]{0,31}$',
        objectClasses: ['inetOrgPerson'],
        attributes: { cn: '{displayName}', sn: '{displayName}' },
      }),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.mappings.length === 0 && !c.baseRole) {
      ctx.addIssue({ code: 'custom', path: ['mappings'], message: 'give mappings, a baseRole, or both' });
    }
    const seen = new Set<string>();
    c.mappings.forEach((m, i) => {
      const k = m.ldapGroup.toLowerCase();
      if (seen.has(k)) ctx.addIssue({ code: 'custom', path: ['mappings', i, 'ldapGroup'], message: 'mapped twice' });
      seen.add(k);
    });
    try {
      new RegExp(c.enrol.uidPattern);
    } catch {
      ctx.addIssue({ code: 'custom', path: ['enrol', 'uidPattern'], message: 'not a regular expression' });
    }
  })
  .describe(
    'Mirrors groups (Discord roles, …) into LDAP groups; locks accounts of people without the base role, unlocks on return.',
  );

export type LdapGroupsConfig = z.output<typeof ldapGroupsSchema>;

/** The sources this target's config names, with config paths relative to its block (checked at load time). */
export function ldapGroupsSourceRefs(config: LdapGroupsConfig): SourceRef[] {
  return [
    ...(config.baseRole ? [{ path: ['baseRole'], source: groupRefOf(config.baseRole).source }] : []),
    ...config.mappings.map((m, i) => ({ path: ['mappings', i, 'group'], source: groupRefOf(m.group).source })),
  ];
}
