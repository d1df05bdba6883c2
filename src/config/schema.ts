import { z } from 'zod';
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
  const targetUnion = union(targets.map((p) => p.schema));
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
            .describe('Deadline for any single outbound request (HTTP, LDAP, GitHub, Discord).'),
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
    const parsed = plugin?.schema.safeParse(t);
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
  if (schemas.length === 1) return schemas[0] as z.ZodType;
  return z.discriminatedUnion('type', schemas as unknown as [z.ZodObject, z.ZodObject, ...z.ZodObject[]]);
}

export type GatehouseConfig = {
  state: { dir: string };
  plan: { maxAge: string };
  run: { timeout: string; requestTimeout: string };
  audit: { anchorFile?: string };
  sources: Record<string, { type: string } & Record<string, unknown>>;
  targets: Record<string, { type: string } & Record<string, unknown>>;
};
