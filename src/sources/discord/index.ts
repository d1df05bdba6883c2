import { REST } from '@discordjs/rest';
import { GatehouseError } from '../../core/errors.ts';
import type { SourceRead } from '../../core/model.ts';
import { redact, registerSecret } from '../../core/redact.ts';
import { defineSource } from '../../plugins.ts';
import { discordSourceSchema } from './config.ts';
import { DiscordWatcher } from './events.ts';
import { readDiscord } from './read.ts';

/**
 * The `discord` source: members and roles of one guild (see {@link readDiscord}), plus `watcher`, a
 * {@link DiscordWatcher} for the daemon: gateway member add / update / remove events that only ask for a new run.
 * The token appears in no message.
 */
export const discordSource = defineSource({
  type: 'discord',
  schema: discordSourceSchema,
  create(name, config, deps) {
    registerSecret(config.token);
    const log = deps.logger.child({ source: name, type: 'discord' });
    const timeoutMs = Math.min(config.timeoutMs, deps.requestTimeoutMs);
    const rest = new REST({ api: config.apiUrl, version: '10', timeout: timeoutMs, retries: config.retries });
    rest.setToken(config.token);
    rest.on('rateLimited', (r) => log.warn({ route: r.route, retryAfterMs: r.retryAfter }, 'rate limited; waiting'));
    const scrub = (t: string) => redact(t).split(config.token).join('[redacted]');
    const watcher = new DiscordWatcher({
      token: config.token,
      guildId: config.guildId,
      apiUrl: config.apiUrl,
      onError: (m) => log.warn({ error: scrub(m) }, 'gateway error'),
    });
    return {
      name,
      type: 'discord',
      allowEmpty: config.allowEmpty,
      watcher,
      async watch(signal, notify) {
        const onEvent = (e: { kind: string }) => notify(`discord-${e.kind}`);
        watcher.on('event', onEvent);
        try {
          await watcher.start(signal);
        } finally {
          watcher.off('event', onEvent);
        }
      },
      async read(signal): Promise<SourceRead> {
        try {
          const r = await readDiscord(
            { ...config, rest, timeouts: { attemptMs: timeoutMs, requestMs: deps.requestTimeoutMs } },
            signal,
          );
          return { ...r, notes: r.notes.map(scrub) };
        } catch (e) {
          if (e instanceof GatehouseError && scrub(e.message) !== e.message) {
            throw new GatehouseError(e.code, scrub(e.message), { terminal: e.terminal });
          }
          throw e;
        }
      },
    };
  },
});

export { discordSourceSchema, type DiscordSourceConfig } from './config.ts';
export { DiscordWatcher, type DiscordWatcherOptions, type MemberEvent } from './events.ts';
export { PAGE_LIMIT, readDiscord, type DiscordReadInput, type MemberWire, type RoleWire } from './read.ts';
