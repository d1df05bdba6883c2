import * as z from 'zod';
import { parsePrefix } from '../../core/address.ts';

const personSchema = z
  .object({
    id: z
      .string()
      // `:` lets a person declared here be one another source names by its own ids (`discord:<user id>`), so the
      // accounts given here (e.g. github) join that source's groups.
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'person ids are letters, digits, ., _, : and -'),
    displayName: z.string().optional(),
    github: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Numeric GitHub user id (never the login: logins can be renamed).'),
    discord: z
      .string()
      .regex(/^\d{17,20}$/, 'a Discord id is a snowflake (17–20 digits)')
      .optional(),
    ldap: z.string().optional().describe('LDAP uid.'),
    emails: z.array(z.email()).optional(),
  })
  .strict();

export const staticSchema = z
  .object({
    type: z.literal('static'),
    description: z.string().optional(),
    addresses: z
      .array(z.string().superRefine((v, ctx) => checkAddress(v, ctx)))
      .default([])
      .describe('Literal IPv4/IPv6 addresses and canonical CIDRs. Emitted as one address set named after the source.'),
    people: z.array(personSchema).default([]).describe('People declared in the config, with their linked account ids.'),
    groups: z.record(z.string(), z.array(z.string())).default({}).describe('Groups of people, by person id.'),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const ids = new Set<string>();
    cfg.people.forEach((p, i) => {
      if (ids.has(p.id))
        ctx.addIssue({ code: 'custom', path: ['people', i, 'id'], message: `person ${p.id} is declared twice` });
      ids.add(p.id);
    });
    for (const [g, members] of Object.entries(cfg.groups)) {
      members.forEach((m, i) => {
        if (!ids.has(m))
          ctx.addIssue({ code: 'custom', path: ['groups', g, i], message: `unknown person ${JSON.stringify(m)}` });
      });
    }
  })
  .describe('Facts written in the configuration: addresses, people and groups. Always a complete read.');

function checkAddress(value: string, ctx: z.RefinementCtx): void {
  try {
    parsePrefix(value, 'address');
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message.replace(/^address: /, '') });
  }
}
