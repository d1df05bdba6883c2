import { Webhooks } from '@octokit/webhooks';
import type { Context } from 'hono';
import type { ServeMetrics } from '../serve/metrics.ts';

/** Organisation events that can mean the org or its teams drifted from the plan. */
export const GITHUB_DRIFT_EVENTS: ReadonlySet<string> = new Set(['organization', 'membership', 'team', 'member']);

export interface GithubWebhookOptions {
  /** The webhook secret (from `${env:}`/`${file:}`), never logged. */
  readonly secret: string;
  /** Largest body accepted; GitHub's org events are a few KB. */
  readonly maxBodyBytes: number;
  /** Called for a verified drift event; only enqueues work. */
  readonly onEvent: (event: { name: string; deliveryId: string; org?: string }) => void;
  readonly metrics: ServeMetrics;
}

/**
 * POST /webhooks/github. Verifies `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the shared secret, compared in
 * constant time by @octokit/webhooks-methods) before parsing anything. A missing or wrong signature → 401 and nothing
 * queued; an oversized body → 413 without reading past the limit. The payload is not trusted for state: a verified
 * event only asks for a reconcile, which re-reads GitHub.
 */
export function githubWebhookHandler(o: GithubWebhookOptions): (c: Context) => Promise<Response> {
  const webhooks = new Webhooks({ secret: o.secret });
  return (c) => handle(c, o, webhooks);
}

async function handle(c: Context, o: GithubWebhookOptions, webhooks: Webhooks): Promise<Response> {
  const body = await readLimited(c.req.raw, o.maxBodyBytes);
  if (body === undefined) {
    o.metrics.webhookRejected.inc({ reason: 'size' });
    return c.json({ error: { code: 'PAYLOAD_TOO_LARGE', message: `body over ${o.maxBodyBytes} bytes` } }, 413);
  }
  const signature = c.req.header('x-hub-signature-256');
  if (!signature || !(await safeVerify(webhooks, body, signature))) {
    o.metrics.webhookRejected.inc({ reason: 'signature' });
    return c.json({ error: { code: 'UNAUTHORIZED', message: 'missing or invalid signature' } }, 401);
  }
  const name = c.req.header('x-github-event') ?? '';
  const deliveryId = c.req.header('x-github-delivery') ?? '';
  if (name === 'ping') return c.json({ ok: true });
  if (!GITHUB_DRIFT_EVENTS.has(name)) {
    o.metrics.webhookRejected.inc({ reason: 'event' });
    return c.json({ ok: true, ignored: name }, 202);
  }
  let org: string | undefined;
  try {
    const parsed = JSON.parse(body) as { organization?: { login?: unknown } };
    if (typeof parsed.organization?.login === 'string') org = parsed.organization.login;
  } catch {
    // Signed but not JSON (form-encoded delivery): still a valid trigger; the reconcile re-reads everything.
  }
  o.onEvent({ name, deliveryId, ...(org === undefined ? {} : { org }) });
  return c.json({ ok: true, queued: true }, 202);
}

async function safeVerify(webhooks: Webhooks, body: string, signature: string): Promise<boolean> {
  try {
    return await webhooks.verify(body, signature);
  } catch {
    return false;
  }
}

/** Reads the body as UTF-8 text, giving up (undefined) as soon as it exceeds `max` bytes. */
export async function readLimited(req: Request, max: number): Promise<string | undefined> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > max) return undefined;
  if (!req.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Node's web streams are async iterable; breaking out of the loop cancels the stream, so nothing past the limit is read.
  for await (const chunk of req.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
