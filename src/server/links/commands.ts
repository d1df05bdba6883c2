import { REST } from '@discordjs/rest';

/** The slash commands `POST /interactions` answers, as Discord's bulk-overwrite endpoint takes them. */
export const LINK_COMMANDS = [
  {
    name: 'link',
    type: 1,
    description: 'Link your GitHub account to your Discord account',
    options: [
      { type: 1, name: 'github', description: 'Prove your GitHub account and ask an approver for access' },
      { type: 1, name: 'status', description: 'Show your link and its state' },
    ],
  },
  { name: 'unlink', type: 1, description: 'Remove your GitHub link (access granted by it ends)' },
] as const;

/**
 * Registers {@link LINK_COMMANDS} in one guild, replacing whatever commands the application had there (Discord's bulk
 * overwrite: idempotent, and guild commands take effect at once). Returns the registered names.
 */
export async function registerLinkCommands(o: {
  apiUrl: string;
  token: string;
  applicationId: string;
  guildId: string;
  timeoutMs: number;
}): Promise<string[]> {
  const rest = new REST({ api: o.apiUrl, timeout: o.timeoutMs, retries: 1 }).setToken(o.token);
  const registered = (await rest.put(`/applications/${o.applicationId}/guilds/${o.guildId}/commands`, {
    body: LINK_COMMANDS,
  })) as { name: string }[];
  return registered.map((c) => c.name);
}
