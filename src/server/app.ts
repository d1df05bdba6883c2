import { Hono, type Context } from 'hono';
import type { ServeMetrics } from '../serve/metrics.ts';
import { githubWebhookHandler, type GithubWebhookOptions } from './github-webhook.ts';
import { interactionsHandler, type InteractionsEndpoint } from './interactions.ts';

export interface Readiness {
  readonly ready: boolean;
  /** One entry per check, with a short human reason when it fails; no secrets, no stack traces. */
  readonly checks: Readonly<Record<string, { readonly ok: boolean; readonly detail?: string }>>;
}

export interface AppOptions {
  readonly metrics: ServeMetrics;
  readonly readiness: () => Promise<Readiness>;
  /** Serve `/metrics` here too (false when metrics have their own listener). */
  readonly exposeMetrics: boolean;
  readonly githubWebhook?: Omit<GithubWebhookOptions, 'metrics'>;
  /** POST /interactions (Discord), as the current configuration defines it; undefined → 404. */
  readonly interactions?: () => InteractionsEndpoint | undefined;
  /** The link web flow and approval queue of the current configuration (links.web); other paths go there. */
  readonly web?: () => Hono | undefined;
}

/**
 * The daemon's HTTP surface, thin over the controller: health, readiness, metrics, GitHub webhooks. Later features
 * (approvals, Discord interactions) mount their routes on the same app.
 */
export function buildApp(o: AppOptions): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.text('ok\n'));
  app.get('/readyz', async (c) => {
    const r = await o.readiness();
    return c.json(r, r.ready ? 200 : 503);
  });
  if (o.exposeMetrics) app.get('/metrics', (c) => metricsResponse(c.req.raw, o.metrics));
  if (o.githubWebhook) app.post('/webhooks/github', githubWebhookHandler({ ...o.githubWebhook, metrics: o.metrics }));
  if (o.interactions) app.post('/interactions', interactionsHandler(o.interactions));
  const notFound = (c: Context) => c.json({ error: { code: 'NOT_FOUND', message: 'no such route' } }, 404);
  if (o.web) {
    const web = o.web;
    // Resolved per request, so a reload that adds or removes links.web takes effect at once.
    app.all('*', async (c) => {
      const w = web();
      if (!w) return notFound(c);
      const r = await w.fetch(c.req.raw);
      return r.status === 404 && r.headers.get('content-type')?.startsWith('text/plain') ? notFound(c) : r;
    });
  }
  app.notFound(notFound);
  app.onError((_e, c) => c.json({ error: { code: 'INTERNAL', message: 'internal error' } }, 500));
  return app;
}

/** A separate app with only `/metrics`, for a metrics listener on another address. */
export function buildMetricsApp(metrics: ServeMetrics): Hono {
  const app = new Hono();
  app.get('/metrics', (c) => metricsResponse(c.req.raw, metrics));
  return app;
}

async function metricsResponse(_req: Request, metrics: ServeMetrics): Promise<Response> {
  return new Response(await metrics.registry.metrics(), {
    headers: { 'content-type': metrics.registry.contentType },
  });
}
