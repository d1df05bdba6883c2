import type { Logger } from 'pino';
import { parseDuration } from '../../core/duration.ts';
import type { Engine } from '../../engine.ts';
import { discordPublicKey } from '../discord-signature.ts';
import type { InteractionsEndpoint } from '../interactions.ts';
import { DiscordMessages } from './discord-messages.ts';
import { answerInteraction } from './interactions.ts';

/** POST /interactions for one loaded configuration; undefined without `links.discord`. */
export function interactionsEndpoint(engine: Engine, logger: Logger): InteractionsEndpoint | undefined {
  const cfg = engine.config.value.links;
  const d = cfg.discord;
  if (!d) return undefined;
  const timeoutMs = parseDuration(engine.config.value.run.requestTimeout);
  const messages = new DiscordMessages({ apiUrl: d.apiUrl, token: d.token, channelId: d.channelId, timeoutMs });
  const key = discordPublicKey(d.publicKey);
  return {
    key,
    answer: (i) =>
      answerInteraction(i, {
        links: engine.store.links,
        tokens: engine.store.linkTokens,
        decide: (input) => engine.decideLink({ ...input, signal: AbortSignal.timeout(timeoutMs) }),
        messages,
        // The schema requires publicUrl with discord.
        publicUrl: cfg.publicUrl ?? '',
        logger,
      }),
  };
}
