import * as z from 'zod';
import { allowEmptySchema } from '../allow-empty.ts';

const criteria = (what: string) =>
  z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe(`Keep entries whose ${what} is any of these (case-insensitive).`);

export const geofeedSchema = z
  .object({
    type: z.literal('geofeed'),
    description: z.string().optional(),
    url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('Where to fetch the RFC 8805 geofeed (http or https).'),
    file: z.string().min(1).optional().describe('A geofeed file, relative to the configuration file.'),
    match: z
      .object({
        country: z
          .array(z.string().regex(/^[A-Za-z]{2}$/, 'an ISO 3166-1 alpha-2 code'))
          .min(1)
          .optional()
          .describe('Keep entries whose country is any of these (case-insensitive).'),
        region: criteria('region (ISO 3166-2, e.g. US-CA)'),
        city: criteria('city'),
      })
      .strict()
      .optional()
      .describe('Which entries to keep; all given criteria must match. Omitted: every entry.'),
    timeoutMs: z.number().int().min(100).max(300_000).default(15_000).describe('Timeout of each HTTP attempt.'),
    maxAttempts: z.number().int().min(1).max(10).default(4).describe('HTTP attempts, including the first.'),
    allowEmpty: allowEmptySchema,
    pollInterval: z
      .number()
      .int()
      .min(0)
      .max(86_400_000)
      .default(300_000)
      .describe(
        'serve: milliseconds between polls of the feed; a changed answer reconciles the targets drawing on it at once. 0 disables (the periodic full pass still runs).',
      ),
  })
  .strict()
  .refine((c) => (c.url === undefined) !== (c.file === undefined), {
    message: 'exactly one of url and file is required',
    path: ['url'],
  })
  .describe('Prefixes from an RFC 8805 geofeed (URL or file), optionally filtered by country, region and city.');

export type GeofeedConfig = z.output<typeof geofeedSchema>;
