import * as z from 'zod';
import { secretField } from '../../core/config/secret-field.ts';
import { allowEmptySchema } from '../allow-empty.ts';

const snowflake = z.string().regex(/^\d{17,20}$/, 'a Discord id is a snowflake (17–20 digits)');

export const discordSourceSchema = z
  .object({
    type: z.literal('discord'),
    description: z.string().optional(),
    token: secretField(
      z
        .string()
        .min(1)
        .describe(
          'Bot token (the bot needs the privileged GUILD_MEMBERS intent). Write ${env:DISCORD_TOKEN}; never inline.',
        ),
    ),
    guildId: snowflake.describe('The guild (server) whose members and roles are read.'),
    roleGroups: z
      .enum(['id', 'name', 'both'])
      .default('both')
      .describe(
        'How roles become groups: by role id (stable across renames), by role name, or both. A name shared by two roles, or that looks like a role id, gives no name group.',
      ),
    includeBots: z.boolean().default(false).describe('Include bot users as people.'),
    memberCountTolerance: z
      .number()
      .min(0)
      .max(1)
      .default(0.02)
      .describe(
        'The member list is incomplete when it differs from the guild’s approximate_member_count by more than this fraction (plus 5).',
      ),
    maxMembers: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .default(1_000_000)
      .describe('Upper bound of members read (bounds the page loop); more is an incomplete read.'),
    apiUrl: z
      .url({ protocol: /^https?$/ })
      .default('https://discord.com/api')
      .describe('API base URL without the version (@discordjs/rest adds /v10).'),
    timeoutMs: z.number().int().min(100).max(300_000).default(15_000).describe('Timeout of each HTTP attempt.'),
    retries: z.number().int().min(0).max(10).default(3).describe('Retries of a failed request (5xx, network).'),
    allowEmpty: allowEmptySchema,
  })
  .strict()
  .describe('Members and roles of a Discord guild, read with a bot token; member events from the gateway.');

export type DiscordSourceConfig = z.output<typeof discordSourceSchema>;
