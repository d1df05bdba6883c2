import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { parseDuration } from '../../core/duration.ts';
import type { Engine } from '../../engine.ts';
import { discordPublicKey } from '../discord-signature.ts';
import type { InteractionsEndpoint } from '../interactions.ts';
import { DiscordMessages } from './discord-messages.ts';
import { answerInteraction } from './interactions.ts';
import { linksWeb } from './web.ts';

/** The HTTP side of links for one loaded configuration: what `links.discord` and `links.web` turn on. */
export interface LinksHttp {
  readonly interactions?: InteractionsEndpoint;
  readonly web?: Hono;
}

export function linksHttp(engine: Engine, logger: Logger): LinksHttp {
  const cfg = engine.config.value.links;
  const timeoutMs = parseDuration(engine.config.value.run.requestTimeout);
  // The schema requires publicUrl with discord or web.
  const publicUrl = cfg.publicUrl ?? '';
  const decide = (input: Omit<Parameters<Engine['decideLink']>[0], 'signal'>) =>
    engine.decideLink({ ...input, signal: AbortSignal.timeout(timeoutMs) });
  const d = cfg.discord;
  const messages = d
    ? new DiscordMessages({ apiUrl: d.apiUrl, token: d.token, channelId: d.channelId, timeoutMs })
    : undefined;
  const out: { interactions?: InteractionsEndpoint; web?: Hono } = {};
  if (d && messages) {
    out.interactions = {
      key: discordPublicKey(d.publicKey),
      answer: (i) =>
        answerInteraction(i, {
          links: engine.store.links,
          tokens: engine.store.linkTokens,
          decide,
          release: (input) => engine.releasePlan({ ...input, signal: AbortSignal.timeout(timeoutMs * 4) }),
          messages,
          publicUrl,
          logger,
        }),
    };
  }
  const w = cfg.web;
  if (w) {
    out.web = linksWeb({
      sessions: engine.store.sessions,
      links: engine.store.links,
      tokens: engine.store.linkTokens,
      decide,
      isApprover: (p) => engine.isApprover(p, AbortSignal.timeout(timeoutMs)),
      ...(messages ? { announce: (link) => messages.postRequest(link) } : {}),
      github: w.github,
      discord: w.discord,
      publicUrl,
      sessionTtlMs: parseDuration(w.sessionTtl),
      timeoutMs,
      logger,
    });
  }
  return out;
}

/** The approvers' Discord channel of this configuration, for posting guard releases; undefined without links.discord. */
export function releaseMessages(engine: Engine): DiscordMessages | undefined {
  const d = engine.config.value.links.discord;
  if (!d) return undefined;
  const timeoutMs = parseDuration(engine.config.value.run.requestTimeout);
  return new DiscordMessages({ apiUrl: d.apiUrl, token: d.token, channelId: d.channelId, timeoutMs });
}

/** POST /interactions alone (see {@link linksHttp}). */
export function interactionsEndpoint(engine: Engine, logger: Logger): InteractionsEndpoint | undefined {
  return linksHttp(engine, logger).interactions;
}
