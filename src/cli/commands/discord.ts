import { Command } from 'commander';
import { parseDuration } from '../../core/duration.ts';
import { GatehouseError } from '../../core/errors.ts';
import { globals, printConfigWarnings } from '../context.ts';
import { print, printJson } from '../output.ts';

/** `gatehouse discord`: one-off set-up against Discord's API. */
export function discordCommand(): Command {
  const cmd = new Command('discord').description('Set up the Discord application used by links.discord.');
  cmd
    .command('register-commands')
    .description(
      'Register /link and /unlink in the guild of links.discord (replaces the application’s guild commands).',
    )
    .addHelpText('after', '\nExit codes: 0 registered, 1 error.\n\nExample:\n  gatehouse discord register-commands')
    .action(async (_opts: unknown, sub: Command) => {
      const g = globals(sub);
      // Loaded here, not at the top: every other command (and --help) would pay for the config loader and Discord's SDK.
      const { loadGatehouseConfig } = await import('../../config/load-gatehouse.ts');
      const { registerLinkCommands } = await import('../../server/links/commands.ts');
      const config = await loadGatehouseConfig(g.config, process.env, { includeDirs: g.allowInclude });
      printConfigWarnings(config.warnings);
      const d = config.value.links.discord;
      if (!d) throw new GatehouseError('CONFIG_INVALID', 'links.discord is not configured', { terminal: true });
      const names = await registerLinkCommands({
        apiUrl: d.apiUrl,
        token: d.token,
        applicationId: d.applicationId,
        guildId: d.guildId,
        timeoutMs: parseDuration(config.value.run.requestTimeout),
      });
      if (g.output === 'json') printJson({ registered: names });
      else print(`registered: ${names.map((n) => `/${n}`).join(', ')}\n`);
    });
  return cmd;
}
