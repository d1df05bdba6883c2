import type { KeyObject } from 'node:crypto';
import type { Context } from 'hono';
import { verifyInteraction } from './discord-signature.ts';
import { readLimited } from './github-webhook.ts';
import type { InteractionWire } from './links/interactions.ts';

/** Interactions are small JSON documents; anything larger is not Discord's. */
const MAX_BODY_BYTES = 65_536;

/** What the current configuration offers at POST /interactions. */
export interface InteractionsEndpoint {
  /** The application's public key (`links.discord.publicKey`). */
  readonly key: KeyObject;
  readonly answer: (interaction: InteractionWire) => Promise<unknown>;
}

/**
 * POST /interactions. Verifies the Ed25519 signature over timestamp + raw body, and the timestamp's age, before parsing
 * anything: a bad signature, a missing header or a timestamp more than 5 minutes away → 401 and nothing done. 404 when
 * the configuration has no `links.discord` (read per request, so a reload takes effect at once).
 */
export function interactionsHandler(
  endpoint: () => InteractionsEndpoint | undefined,
  now: () => number = Date.now,
): (c: Context) => Promise<Response> {
  return async (c) => {
    const e = endpoint();
    if (!e) return c.json({ error: { code: 'NOT_FOUND', message: 'interactions are not configured' } }, 404);
    const body = await readLimited(c.req.raw, MAX_BODY_BYTES);
    if (body === undefined)
      return c.json({ error: { code: 'PAYLOAD_TOO_LARGE', message: `body over ${MAX_BODY_BYTES} bytes` } }, 413);
    const ok = verifyInteraction(
      e.key,
      c.req.header('x-signature-ed25519'),
      c.req.header('x-signature-timestamp'),
      body,
      now(),
    );
    if (!ok) return c.json({ error: { code: 'UNAUTHORIZED', message: 'invalid request signature' } }, 401);
    let interaction: InteractionWire;
    try {
      interaction = JSON.parse(body) as InteractionWire;
    } catch {
      return c.json({ error: { code: 'BAD_REQUEST', message: 'body is not JSON' } }, 400);
    }
    if (typeof interaction?.type !== 'number')
      return c.json({ error: { code: 'BAD_REQUEST', message: 'not an interaction' } }, 400);
    return c.json(await e.answer(interaction));
  };
}
