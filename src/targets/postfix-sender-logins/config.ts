import * as z from 'zod';
import type { SourceRef } from '../../plugins.ts';
import { parseGroupRef, type GroupRef } from '../../core/people.ts';
import { addressProblem, catchAllProblem, domainProblem, loginProblem } from './address.ts';

/** Same rule as source names in the config schema; a group reference starts with one. */
const SOURCE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const REF_MESSAGE = 'write a group as source/group, e.g. ldap/devops';

const groupRef = z
  .string({ error: REF_MESSAGE })
  .refine((s) => {
    const r = parseGroupRef(s);
    return r !== undefined && SOURCE_NAME.test(r.source);
  }, REF_MESSAGE)
  .describe('A group of a source, written source/group: ldap/devops, discord/DevOps, …');

/** The parsed form of a reference the schema accepted. */
export function groupRefOf(text: string): GroupRef {
  const r = parseGroupRef(text);
  if (!r) throw new Error(`not a group reference: ${JSON.stringify(text)}`);
  return r;
}

const checked = (problem: (s: string) => string | undefined) =>
  z.string().superRefine((v, ctx) => {
    const p = problem(v);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  });

const address = checked(addressProblem).describe('An envelope sender address: local@domain.');
const domain = checked(domainProblem);
const login = checked(loginProblem).describe('A SASL login name, as smtpd sees it after authentication.');

/** Map types this target can write; which ones a host supports is what `postconf -m` lists. */
export const MAP_TYPES = ['hash', 'btree', 'lmdb', 'cdb', 'texthash'] as const;
export type MapType = (typeof MAP_TYPES)[number];

export const postfixSenderLoginsSchema = z
  .object({
    type: z.literal('postfix-sender-logins'),
    description: z.string().optional(),
    table: z
      .string()
      .min(1)
      .describe(
        'Path of the table source file (e.g. /etc/postfix/sender_logins); the compiled file sits beside it (.db, .lmdb, .cdb). Relative to the config file.',
      ),
    mapType: z
      .enum(MAP_TYPES)
      .default('hash')
      .describe(
        'Postfix table type. hash/btree/lmdb/cdb are compiled with postmap; texthash is read as is and needs a reload.',
      ),
    postfix: z
      .object({
        configDir: z
          .string()
          .min(1)
          .optional()
          .describe('Postfix config directory passed to postmap as -c (needed when there is no /etc/postfix/main.cf).'),
        postmap: z.array(z.string().min(1)).min(1).default(['postmap']).describe('Command (argv) that runs postmap.'),
        reload: z
          .array(z.string().min(1))
          .min(1)
          .optional()
          .describe('Command run after a new table went live, e.g. [postfix, reload]; required for texthash.'),
        timeoutMs: z.number().int().positive().default(120_000).describe('Limit for one postmap or reload run.'),
      })
      .strict()
      .default({ postmap: ['postmap'], timeoutMs: 120_000 }),
    login: z
      .object({
        account: z.enum(['ldap']).default('ldap').describe('Which linked account is the SASL login: the LDAP uid.'),
        realm: z
          .string()
          .min(1)
          .optional()
          .describe('Appended as login@realm, for SASL setups that report the realm in the login.'),
      })
      .strict()
      .default({ account: 'ldap' }),
    people: z
      .object({
        from: z.array(z.string().min(1)).min(1).describe('Sources whose people (with their mail addresses) are read.'),
        group: groupRef.optional().describe('Only members of this group get their own addresses in the table.'),
        domains: z
          .array(domain)
          .optional()
          .describe('Only personal addresses in these domains are taken (all when omitted).'),
      })
      .strict(),
    aliasDomains: z
      .record(domain, z.array(domain).min(1))
      .default({})
      .describe(
        'domain → alias domains: an address at the domain is also granted with the same local part at each alias.',
      ),
    groupAddresses: z
      .array(
        z.object({ address, group: groupRef.describe('Every member of this group may send as the address.') }).strict(),
      )
      .default([])
      .describe('Role addresses shared by a group (devops@… → members of ldap/devops); expanded to alias domains too.'),
    static: z
      .array(
        z
          .object({
            address: z
              .string()
              .superRefine((v, ctx) => {
                const p = v.startsWith('@') ? catchAllProblem(v) : addressProblem(v);
                if (p) ctx.addIssue({ code: 'custom', message: p });
              })
              .describe('An address, or @domain for a catch-all (only ever written from here).'),
            logins: z.array(login).min(1),
          })
          .strict(),
      )
      .default([])
      .describe('Fixed senders, e.g. noreply@int.example.org → svc-mailer. Not expanded to alias domains.'),
    allowEmpty: z
      .boolean()
      .default(false)
      .describe('Allow the entries drawn from people and groups to drop to none; otherwise never-empty refuses it.'),
    maxShrink: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe('Largest fraction of entries that may lose a login or disappear in one run (1 disables the guard).'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.mapType === 'texthash' && !c.postfix.reload) {
      ctx.addIssue({
        code: 'custom',
        path: ['postfix', 'reload'],
        message: 'texthash tables are read once at start: give a reload command (e.g. [postfix, reload])',
      });
    }
    const seen = new Set<string>();
    const claim = (a: string, path: (string | number)[]) => {
      const k = a.toLowerCase();
      if (seen.has(k)) ctx.addIssue({ code: 'custom', path, message: `${a} is configured twice` });
      seen.add(k);
    };
    c.groupAddresses.forEach((g, i) => claim(g.address, ['groupAddresses', i, 'address']));
    c.static.forEach((s, i) => claim(s.address, ['static', i, 'address']));
  })
  .describe(
    'Writes Postfix smtpd_sender_login_maps from people and groups: which SASL login may use which envelope sender.',
  );

export type PostfixSenderLoginsConfig = z.output<typeof postfixSenderLoginsSchema>;

/** The file postmap writes for a compiled type, beside the source file; null for texthash (read as is). */
export function compiledSuffix(type: MapType): string | null {
  switch (type) {
    case 'hash':
    case 'btree':
      return '.db';
    case 'lmdb':
      return '.lmdb';
    case 'cdb':
      return '.cdb';
    case 'texthash':
      return null;
  }
}

/** The sources this target's config names, with config paths relative to its block (checked at load time). */
export function postfixSenderLoginsSourceRefs(config: PostfixSenderLoginsConfig): SourceRef[] {
  return [
    ...config.people.from.map((source, i) => ({ path: ['people', 'from', i], source })),
    ...(config.people.group ? [{ path: ['people', 'group'], source: groupRefOf(config.people.group).source }] : []),
    ...config.groupAddresses.map((g, i) => ({
      path: ['groupAddresses', i, 'group'],
      source: groupRefOf(g.group).source,
    })),
  ];
}
