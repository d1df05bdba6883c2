import * as z from 'zod';
import { secretField } from '../core/config/secret-field.ts';
import { DURATION_PATTERN } from '../core/duration.ts';
import type { SourcePlugin, TargetPlugin } from '../plugins.ts';

/** What building the schema needs of a plugin: a plugin or its (unloaded) registry entry. */
type SchemaOf<P extends SourcePlugin | TargetPlugin> = Pick<P, 'type' | 'schema'>;
/** What cross-checking source names needs of a target plugin or its registry entry. */
type RefsOf = Pick<TargetPlugin, 'type' | 'schema' | 'sourceRefs'>;

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const nameSchema = z.string().regex(NAME, 'names are lowercase letters, digits, - and _ (max 63)');
const duration = () => z.string().regex(DURATION_PATTERN, 'a whole number and one of ms, s, m, h, d (e.g. 30s, 24h)');

/**
 * Builds the one schema that is the truth about configuration: `validate` checks it, `schema` prints it as JSON Schema,
 * and the loader turns its errors into file:line:col reports.
 */
export function buildConfigSchema(
  sources: readonly SchemaOf<SourcePlugin>[],
  targets: readonly (SchemaOf<TargetPlugin> & RefsOf)[],
) {
  const sourceUnion = union(sources.map((p) => p.schema));
  // Every target takes `mode`, whatever its type: a daemon setting the core owns, not each plugin.
  const targetUnion = union(targets.map((p) => withMode(p.schema)));
  return z
    .object({
      state: z
        .object({
          dir: z
            .string()
            .default('.gatehouse')
            .describe('State directory for the embedded store (PGlite). DATABASE_URL overrides.'),
        })
        .strict()
        .default({ dir: '.gatehouse' })
        .describe('Where gatehouse keeps its audit log and last-known-good snapshots.'),
      plan: z
        .object({
          maxAge: duration().default('24h').describe('A saved plan older than this is refused by `apply`; plan again.'),
        })
        .strict()
        .default({ maxAge: '24h' })
        .describe('Saved plans.'),
      run: z
        .object({
          timeout: duration()
            .default('15m')
            .describe('Deadline for one whole run (read, plan, apply); past it the run stops between changes.'),
          requestTimeout: duration()
            .default('30s')
            .describe('Deadline for any single outbound request (HTTP, LDAP, GitHub, Discord, Kubernetes).'),
        })
        .strict()
        .default({ timeout: '15m', requestTimeout: '30s' })
        .describe('Time limits for a run.'),
      audit: z
        .object({
          anchorFile: z
            .string()
            .min(1)
            .optional()
            .describe(
              'File outside the database to which the audit chain head is appended after each run that wrote audit records; `audit --verify` checks the log against every line. Relative to the configuration file; default <state.dir>/audit-anchors.jsonl.',
            ),
        })
        .strict()
        .default({})
        .describe('The audit log.'),
      serve: serveSchema.default(SERVE_DEFAULTS).describe('`gatehouse serve`: the always-on daemon.'),
      links: linksSchema
        .default({ approvers: [] })
        .describe('Account links: people link their GitHub account; approvers decide each request.'),
      sources: z
        .record(nameSchema, sourceUnion)
        .default({})
        .describe('Named sources of facts: address sets, people, groups.'),
      targets: z.record(nameSchema, targetUnion).default({}).describe('Named places where access is granted.'),
    })
    .strict()
    .superRefine((cfg, ctx) => {
      for (const issue of crossReferenceIssues(cfg, targets))
        ctx.addIssue({ code: 'custom', ...issue, path: [...issue.path] });
      if ((cfg.links.discord || cfg.links.web) && !cfg.links.publicUrl)
        ctx.addIssue({
          code: 'custom',
          path: ['links', 'publicUrl'],
          message: 'links.discord and links.web need links.publicUrl: links and OAuth callbacks point there',
        });
      cfg.links.approvers.forEach((text, i) => {
        const source = text.slice(0, text.indexOf('/'));
        if (!(source in cfg.sources))
          ctx.addIssue({
            code: 'custom',
            path: ['links', 'approvers', i],
            message: `unknown source ${JSON.stringify(source)}; defined sources: ${Object.keys(cfg.sources).join(', ') || 'none'}`,
          });
      });
    });
}

/**
 * References from targets to sources that name no defined source. Works on a raw (possibly invalid) config too, so
 * `validate` reports these alongside schema errors: targets whose own block is invalid are skipped.
 */
export function crossReferenceIssues(raw: unknown, targets: readonly RefsOf[]) {
  const issues: { path: readonly (string | number)[]; message: string }[] = [];
  if (raw === null || typeof raw !== 'object') return issues;
  const cfg = raw as { sources?: unknown; targets?: unknown };
  const sources = cfg.sources !== null && typeof cfg.sources === 'object' ? Object.keys(cfg.sources) : [];
  const entries = cfg.targets !== null && typeof cfg.targets === 'object' ? Object.entries(cfg.targets) : [];
  for (const [name, t] of entries) {
    const plugin = targets.find((p) => p.type === (t as { type?: unknown } | null)?.type);
    const parsed = plugin ? withMode(plugin.schema).safeParse(t) : undefined;
    if (!plugin || !parsed?.success) continue;
    for (const ref of plugin.sourceRefs(parsed.data)) {
      if (!sources.includes(ref.source)) {
        issues.push({
          path: ['targets', name, ...ref.path],
          message: `unknown source ${JSON.stringify(ref.source)}; defined sources: ${sources.join(', ') || 'none'}`,
        });
      }
    }
  }
  return issues;
}

/**
 * Warnings about a valid configuration, shown on stderr without failing: a configuration with neither sources nor
 * targets is valid (a skeleton) but does nothing, which is rarely what its author meant.
 */
export function configWarnings(value: unknown): { path: readonly (string | number)[]; message: string }[] {
  const cfg = value as Partial<GatehouseConfig> | null;
  const count = (section: object | undefined) => Object.keys(section ?? {}).length;
  if (count(cfg?.sources) === 0 && count(cfg?.targets) === 0)
    return [{ path: [], message: 'no sources and no targets are configured; gatehouse has nothing to do' }];
  return [];
}

function union(schemas: readonly z.ZodType[]): z.ZodType {
  // No plugin of this kind was asked for: the configuration has no blocks of that kind to check.
  if (schemas.length === 0) return z.never();
  if (schemas.length === 1) return schemas[0] as z.ZodType;
  return z.discriminatedUnion('type', schemas as unknown as [z.ZodObject, z.ZodObject, ...z.ZodObject[]]);
}

export type GatehouseConfig = {
  state: { dir: string };
  plan: { maxAge: string };
  run: { timeout: string; requestTimeout: string };
  audit: { anchorFile?: string };
  serve: ServeConfig;
  links: LinksConfig;
  sources: Record<string, { type: string } & Record<string, unknown>>;
  targets: Record<
    string,
    { type: string; mode: 'apply' | 'plan-only'; minInterval?: string; releaseQueue: boolean } & Record<string, unknown>
  >;
};

/** `host:port` with an IPv4 address, a bracketed IPv6 address or a name; port 0 picks a free one (tests). */
const LISTEN = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const listen = () =>
  z
    .string()
    .regex(LISTEN, 'host:port, e.g. 127.0.0.1:8080 or [::1]:8080')
    .refine((v) => Number(LISTEN.exec(v)?.[2]) <= 65_535, 'port above 65535');

const SERVE_DEFAULTS = {
  listen: '127.0.0.1:8080',
  fullPass: '10m',
  minInterval: '0s',
  concurrency: 2,
} as const;

const serveSchema = z
  .object({
    listen: listen()
      .default(SERVE_DEFAULTS.listen)
      .describe('Address of the HTTP server: /healthz, /readyz, /metrics, /webhooks/github.'),
    metricsListen: listen()
      .optional()
      .describe(
        'Serve /metrics on this address instead (e.g. an internal interface); the main listener then omits it.',
      ),
    fullPass: duration()
      .default(SERVE_DEFAULTS.fullPass)
      .describe('Periodic full pass: every target is reconciled this often (±10% jitter), events or not.'),
    minInterval: duration()
      .default(SERVE_DEFAULTS.minInterval)
      .describe('Least time between two reconciles of one target (0s: an event starts one at once when idle).'),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(16)
      .default(SERVE_DEFAULTS.concurrency)
      .describe('Reconciles of different targets that may run at once (one target never runs twice at once).'),
    githubWebhook: z
      .object({
        secret: secretField(
          z
            .string()
            .min(16)
            .describe('The webhook secret; write ${env:NAME} or ${file:PATH}. Deliveries without its HMAC get 401.'),
        ),
        maxBodyBytes: z
          .number()
          .int()
          .min(1_024)
          .max(26_214_400)
          .default(1_048_576)
          .describe('Largest delivery accepted (413 beyond).'),
      })
      .strict()
      .optional()
      .describe(
        'POST /webhooks/github: organization, membership, team and member events reconcile the github targets.',
      ),
  })
  .strict();

export type ServeConfig = z.output<typeof serveSchema>;

/**
 * A target's block as its plugin's own schema knows it: without the keys every target takes from the core (`mode`,
 * `minInterval`, `releaseQueue`), for code that parses a block with the plugin schema again.
 */
export function pluginBlock(block: Record<string, unknown>): Record<string, unknown> {
  const { mode: _mode, minInterval: _minInterval, releaseQueue: _releaseQueue, ...rest } = block;
  return rest;
}

const snowflake = () => z.string().regex(/^\d{17,20}$/, 'a Discord id is a snowflake (17–20 digits)');

const linksSchema = z
  .object({
    approvers: z
      .array(
        z
          .string()
          .regex(/^[a-z0-9][a-z0-9_-]{0,62}\/.+$/, 'write a group as source/group, e.g. discord/DevOps')
          .describe('A group of a source, written source/group.'),
      )
      .default([])
      .describe(
        'Groups whose members approve, reject and revoke links (read fresh at each decision). Nobody decides their own request. Empty: nobody approves.',
      ),
    publicUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('Base URL at which people reach `gatehouse serve` (links sent in Discord start here).'),
    discord: z
      .object({
        applicationId: snowflake().describe('The Discord application (bot) id.'),
        publicKey: z
          .string()
          .regex(/^[0-9a-fA-F]{64}$/, 'the application public key: 64 hex digits')
          .describe('Application public key (hex), which signs POST /interactions.'),
        token: secretField(
          z
            .string()
            .min(1)
            .describe(
              'Bot token, to post requests and edit them once decided. Write ${env:DISCORD_TOKEN}; never inline.',
            ),
        ),
        guildId: snowflake().describe('Guild where the /link and /unlink commands are registered.'),
        channelId: snowflake().describe('Channel where new requests are posted with Approve and Reject buttons.'),
        apiUrl: z
          .url({ protocol: /^https?$/ })
          .default('https://discord.com/api')
          .describe('API base URL without the version (@discordjs/rest adds /v10).'),
      })
      .strict()
      .optional()
      .describe('POST /interactions: /link github, /link status, /unlink, and Approve/Reject buttons.'),
    web: z
      .object({
        github: oauthClient({
          authorizeUrl: 'https://github.com/login/oauth/authorize',
          tokenUrl: 'https://github.com/login/oauth/access_token',
          apiUrl: 'https://api.github.com',
        }).describe(
          'A GitHub OAuth app (callback URL: <publicUrl>/auth/github/callback). No scope is asked: the public profile gives the numeric id.',
        ),
        discord: oauthClient({
          authorizeUrl: 'https://discord.com/oauth2/authorize',
          tokenUrl: 'https://discord.com/api/oauth2/token',
          apiUrl: 'https://discord.com/api',
        }).describe('Discord OAuth2 (scope identify) for sign-in; redirect URL: <publicUrl>/auth/discord/callback.'),
        sessionTtl: duration().default('8h').describe('How long a browser stays signed in.'),
      })
      .strict()
      .optional()
      .describe('The web flow: link a GitHub account, and the approvers’ queue (/links).'),
  })
  .strict();

function oauthClient(defaults: { authorizeUrl: string; tokenUrl: string; apiUrl: string }) {
  const url = () => z.url({ protocol: /^https?$/ });
  return z
    .object({
      clientId: z.string().min(1).describe('OAuth client id.'),
      clientSecret: secretField(z.string().min(1).describe('OAuth client secret; write ${env:NAME}, never inline.')),
      authorizeUrl: url().default(defaults.authorizeUrl).describe('Authorization endpoint.'),
      tokenUrl: url().default(defaults.tokenUrl).describe('Token endpoint.'),
      apiUrl: url().default(defaults.apiUrl).describe('API base URL (for the signed-in user).'),
    })
    .strict();
}

export type LinksConfig = z.output<typeof linksSchema>;

function withMode(schema: z.ZodType): z.ZodType {
  return (schema as z.ZodObject).safeExtend({
    mode: z
      .enum(['apply', 'plan-only'])
      .default('apply')
      .describe('serve: apply changes, or only plan them (report drift, change nothing).'),
    minInterval: duration()
      .optional()
      .describe('serve: least time between two reconciles of this target (default serve.minInterval).'),
    releaseQueue: z
      .boolean()
      .default(false)
      .describe(
        'serve: queue a plan whose changes a guard blocked for an approver (links.approvers) to release once; applied only while still fresh.',
      ),
  });
}
