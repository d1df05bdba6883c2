import type { Logger } from 'pino';
import { describeError, isGatehouseError } from '../../core/errors.ts';
import { describeLink, type Link, type LinkDecision, type LinkStore, type LinkTokens } from '../../core/links.ts';
import type { Release } from '../../core/releases.ts';
import { BUTTON, RELEASE_BUTTON, type DiscordMessages } from './discord-messages.ts';

/** The fields of an interaction this endpoint reads (Discord's Interaction object). */
export interface InteractionWire {
  readonly type: number;
  readonly member?: { readonly user?: { readonly id?: string } };
  readonly user?: { readonly id?: string };
  readonly data?: {
    readonly name?: string;
    readonly custom_id?: string;
    readonly options?: readonly { readonly name?: string }[];
  };
  readonly message?: { readonly id?: string; readonly channel_id?: string };
  readonly channel_id?: string;
}

/** Interaction response types and the ephemeral flag, as Discord numbers them. */
const PONG = 1;
const CHANNEL_MESSAGE = 4;
const EPHEMERAL = 64;

/** How long a `/link github` token stays good. */
export const LINK_TOKEN_TTL_MS = 15 * 60_000;

export interface InteractionDeps {
  readonly links: LinkStore;
  readonly tokens: LinkTokens;
  /** Records a decision as `decider` (see `Engine.decideLink`): approver check, audit. */
  readonly decide: (input: { id: string; decision: LinkDecision; decider: string; actor: string }) => Promise<Link>;
  /** Releases a queued guard release as `decider` (see `Engine.releasePlan`). */
  readonly release?: (input: { id: string; decider: string; actor: string }) => Promise<Release>;
  readonly messages: DiscordMessages;
  /** Base URL of the web flow, e.g. `https://gatehouse.example.org`. */
  readonly publicUrl: string;
  readonly logger: Logger;
  readonly now?: () => Date;
}

/**
 * Answers one verified interaction (the signature was checked before this is called): PING, the `/link github`,
 * `/link status` and `/unlink` commands, and the Approve/Reject buttons. Who acts is the interaction's user, as
 * Discord vouches for them (`discord:<user id>`); nothing in the payload's content is trusted beyond that.
 *
 * Every answer to a person is ephemeral (only they see it), except the edit of the request message after a decision.
 */
export async function answerInteraction(i: InteractionWire, deps: InteractionDeps): Promise<unknown> {
  if (i.type === 1) return { type: PONG };
  const userId = i.member?.user?.id ?? i.user?.id;
  if (!userId || !/^\d{17,20}$/.test(userId)) return say('This interaction has no user.');
  const person = `discord:${userId}`;
  const now = deps.now ?? (() => new Date());
  if (i.type === 2) {
    const sub = i.data?.options?.[0]?.name;
    if (i.data?.name === 'link' && sub === 'github') {
      const token = await deps.tokens.issue({ person, discord: userId }, new Date(now().getTime() + LINK_TOKEN_TTL_MS));
      const url = `${deps.publicUrl.replace(/\/+$/, '')}/link/start?token=${token}`;
      return say(
        `Open this link within 15 minutes to prove your GitHub account (it works once): ${url}\nAn approver then decides.`,
      );
    }
    if (i.data?.name === 'link' && sub === 'status') {
      const mine = await deps.links.list({ person });
      const last = mine.at(-1);
      return say(last ? `${last.status}: ${describeLink(last)}${last.reason ? ` (${last.reason})` : ''}` : 'No link.');
    }
    if (i.data?.name === 'unlink') {
      const open = [
        ...(await deps.links.list({ person, status: 'approved' })),
        ...(await deps.links.list({ person, status: 'pending' })),
      ];
      if (open.length === 0) return say('You have no link to remove.');
      for (const l of open) await deps.decide({ id: l.id, decision: 'revoke', decider: person, actor: person });
      return say(`Unlinked: ${open.map(describeLink).join(', ')}.`);
    }
    return say('Unknown command.');
  }
  if (i.type === 3 && deps.release && RELEASE_BUTTON.test(i.data?.custom_id ?? '')) {
    const id = RELEASE_BUTTON.exec(i.data?.custom_id ?? '')?.[1] as string;
    try {
      const r = await deps.release({ id, decider: person, actor: person });
      return say(`Released: plan ${r.planId} of ${r.target} was decided from the world again and applied.`);
    } catch (e) {
      if (isGatehouseError(e)) return say(`Not released: ${e.message}`);
      throw e;
    }
  }
  if (i.type === 3) {
    const m = BUTTON.exec(i.data?.custom_id ?? '');
    if (!m) return say('Unknown button.');
    const decision = m[1] as 'approve' | 'reject';
    const id = m[2] as string;
    let link: Link;
    try {
      link = await deps.decide({ id, decision, decider: person, actor: person });
    } catch (e) {
      // Refused (not an approver, own request, already decided): only the presser learns why; nothing changed.
      if (isGatehouseError(e)) return say(`Not done: ${e.message}`);
      throw e;
    }
    const channelId = i.message?.channel_id ?? i.channel_id;
    const messageId = i.message?.id;
    if (channelId && messageId) {
      try {
        await deps.messages.markDecided(channelId, messageId, link);
      } catch (e) {
        // The decision stands (recorded and audited); only the message still shows buttons, which now refuse.
        deps.logger.warn({ link: link.id, error: describeError(e) }, 'could not edit the request message');
      }
    }
    return say(`${link.status}: ${describeLink(link)}`);
  }
  return say('Unsupported interaction.');
}

function say(content: string) {
  return { type: CHANNEL_MESSAGE, data: { content, flags: EPHEMERAL, allowed_mentions: { parse: [] } } };
}
