import * as z from 'zod';
import type { SourceRef } from '../../plugins.ts';
import { secretField } from '../../core/config/secret-field.ts';
import { formatGroupRef, parseGroupRef, type GroupRef } from '../../core/people.ts';

/** GitHub organisation logins: letters, digits and single hyphens, at most 39 characters. */
const ORG = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
/** Team slugs as GitHub derives them from team names: lowercase letters, digits, `-`, `_` and `.`. */
export const TEAM_SLUG = /^[a-z0-9][a-z0-9._-]*$/;
/** Same rule as source names in the config schema; a group reference starts with one. */
const SOURCE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const groupRef = z
  .string()
  .refine((s) => {
    const r = parseGroupRef(s);
    return r !== undefined && SOURCE_NAME.test(r.source);
  }, 'write a group as source/group, e.g. people/devops')
  .describe('A group of a source, written source/group.');

const groups = z.array(groupRef).default([]);

const teamSchema = z
  .object({
    maintainers: groups.describe('Groups whose people are maintainers of the team.'),
    members: groups.describe('Groups whose people are members of the team (maintainer wins when in both).'),
  })
  .strict();

const tokenAuth = z
  .object({
    token: secretField(
      z
        .string()
        .min(1)
        .describe(
          'A token of an organisation owner (classic PAT with admin:org, or fine-grained with members: write). Write ${env:GITHUB_TOKEN}; never inline.',
        ),
    ),
  })
  .strict();

const appAuth = z
  .object({
    app: z
      .object({
        appId: z.union([z.number().int().positive(), z.string().min(1)]).describe('App id (or client id).'),
        privateKey: secretField(
          z.string().min(1).describe('PEM private key of the app. Write ${file:path}; never inline.'),
        ),
        installationId: z.number().int().positive().describe("Id of the app's installation on the organisation."),
      })
      .strict(),
  })
  .strict();

const guardsSchema = z
  .object({
    maxOrgRemovalFraction: z
      .number()
      .min(0)
      .max(1)
      .default(0.25)
      .describe('Largest fraction of org members one run may remove (1 disables). A single removal never trips it.'),
    maxTeamRemovalFraction: z
      .number()
      .min(0)
      .max(1)
      .default(0.25)
      .describe('Largest fraction of a team one run may remove (1 disables). A single removal never trips it.'),
    minAdmins: z
      .number()
      .int()
      .min(0)
      .default(2)
      .describe('A run may not leave fewer org owners than this (it may still run when the org already has fewer).'),
    invitationBudget: z
      .number()
      .int()
      .min(0)
      .max(500)
      .default(50)
      .describe('Org invitations per 24 h: GitHub allows 50, or 500 for orgs on paid plans older than a month.'),
  })
  .strict();

/** Config of one `github` target; its `.describe()` texts feed `gatehouse schema` and the config docs. */
export const githubSchema = z
  .object({
    type: z.literal('github'),
    description: z.string().optional(),
    org: z.string().regex(ORG, 'not a GitHub organisation login').describe('Organisation login.'),
    apiUrl: z
      .url({ protocol: /^https?$/ })
      .default('https://api.github.com')
      .describe('REST API base URL (GitHub Enterprise Server: https://HOST/api/v3).'),
    auth: z.union([tokenAuth, appAuth]).describe('A token, or a GitHub App installation (recommended).'),
    people: z
      .array(z.string().regex(SOURCE_NAME))
      .optional()
      .describe('Sources whose people (with github ids) the groups resolve to. Default: the sources the groups name.'),
    admins: groups.describe('Groups whose people are organisation owners.'),
    members: groups.describe('Groups whose people are organisation members. Team members are members too.'),
    teams: z
      .record(z.string(), teamSchema)
      .default({})
      .describe('Teams whose membership gatehouse owns, by slug. Teams not listed here are never touched.'),
    unmanagedMembers: z
      .enum(['report', 'remove'])
      .default('report')
      .describe(
        'Org members that no person of the people sources claims: report them, or remove them. People the sources know ' +
          'but no group grants are always removed.',
      ),
    protected: z
      .array(z.number().int().positive())
      .default([])
      .describe('GitHub user ids that are never removed or demoted (break-glass owners, bots).'),
    guards: guardsSchema.prefault({}),
    writeSpacingMs: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .default(1000)
      .describe(
        'Least time between two writes (GitHub asks for ≥ 1 s; invitations wait 3×). Lower it only against a fake.',
      ),
    readConcurrency: z
      .number()
      .int()
      .min(1)
      .max(16)
      .default(4)
      .describe('Teams (and invitees) read at once; each team is two listings.'),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const slug of Object.keys(c.teams)) {
      // Checked here rather than on the record key: zod reports a bad key only as "Invalid key in record".
      if (!TEAM_SLUG.test(slug)) {
        ctx.addIssue({
          code: 'custom',
          path: ['teams', slug],
          message: 'a team slug: lowercase letters, digits, -, _ and .',
        });
      }
    }
    if (c.admins.length === 0 && c.members.length === 0 && Object.keys(c.teams).length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['members'],
        message: 'map at least one group to admins, members or a team',
      });
    }
  })
  .describe('GitHub organisation membership, owners and team membership, keyed by numeric user id.');

export type GithubConfig = z.output<typeof githubSchema>;

/** Every group reference of a config, with its config path (for load-time checks) — admins, members, then teams. */
export function groupRefs(config: GithubConfig): { path: (string | number)[]; ref: GroupRef }[] {
  const out: { path: (string | number)[]; ref: GroupRef }[] = [];
  const add = (path: (string | number)[], list: readonly string[]) =>
    list.forEach((text, i) => {
      const ref = parseGroupRef(text);
      if (ref) out.push({ path: [...path, i], ref });
    });
  add(['admins'], config.admins);
  add(['members'], config.members);
  for (const [slug, t] of Object.entries(config.teams)) {
    add(['teams', slug, 'maintainers'], t.maintainers);
    add(['teams', slug, 'members'], t.members);
  }
  return out;
}

/** Sources whose people are indexed: `people` when given, else the sources the groups name, in config order. */
export function peopleSources(config: GithubConfig): string[] {
  return config.people ?? [...new Set(groupRefs(config).map((g) => g.ref.source))];
}

/** Every source the target draws from (for the completeness guard): group sources and people sources. */
export function targetSources(config: GithubConfig): string[] {
  return [...new Set([...groupRefs(config).map((g) => g.ref.source), ...peopleSources(config)])];
}

export { formatGroupRef };

/** The sources this target's config names, with config paths relative to its block (checked at load time). */
export function githubSourceRefs(config: GithubConfig): SourceRef[] {
  return [
    ...groupRefs(config).map((g) => ({ path: g.path, source: g.ref.source })),
    ...(config.people ?? []).map((source, i) => ({ path: ['people', i], source })),
  ];
}
