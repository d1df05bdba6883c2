// node:test's describe/it return promises that the runner itself awaits.

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isGatehouseError } from '../core/errors.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { backoff, HttpError, httpRequest, parseRetryAfter, safeUrl, type RetryEvent } from './http.ts';

type Step = (req: IncomingMessage, res: ServerResponse) => void;

/** A loopback server answering each request with the next scripted step (the last one repeats). */
let server: Server;
let base: string;
let script: Step[] = [];
let hits: { at: number; method: string; auth?: string }[] = [];

const reply =
  (status: number, body = '', headers: Record<string, string> = {}): Step =>
  (_req, res) =>
    res.writeHead(status, headers).end(body);
const hang: Step = () => undefined; // never answers: the client's timeout must fire

before(async () => {
  server = createServer((req, res) => {
    hits.push({
      at: performance.now(),
      method: req.method ?? '',
      ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
    });
    const step = script.length > 1 ? script.shift() : script[0];
    (step ?? reply(500))(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  script = [];
  hits = [];
});

const fast = { baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2000 };

async function rejection(p: Promise<unknown>): Promise<HttpError> {
  const e = await p.then(
    () => assert.fail('expected a rejection'),
    (err: unknown) => err,
  );
  assert.ok(e instanceof HttpError, `expected HttpError, got ${String(e)}`);
  return e;
}

describe('httpRequest', () => {
  it('returns the body of a success, and non-retryable statuses as they are', async () => {
    script = [reply(200, 'hello'), reply(404, 'nope')];
    const ok = await httpRequest({ url: `${base}/a`, ...fast });
    assert.deepEqual([ok.status, ok.body, ok.attempts], [200, 'hello', 1]);
    const missing = await httpRequest({ url: `${base}/b`, ...fast });
    assert.deepEqual([missing.status, missing.body, missing.attempts], [404, 'nope', 1]);
    assert.equal(hits.length, 2);
  });

  it('retries 5xx with backoff, then succeeds', async () => {
    script = [reply(503), reply(500), reply(200, 'ok')];
    const events: RetryEvent[] = [];
    const res = await httpRequest({ url: `${base}/x?secret=1`, ...fast, onRetry: (e) => events.push(e) });
    assert.deepEqual([res.status, res.attempts], [200, 3]);
    assert.deepEqual(
      events.map((e) => [e.attempt, e.reason, e.url]),
      [
        [1, 'HTTP 503', `${base}/x`],
        [2, 'HTTP 500', `${base}/x`],
      ],
    );
  });

  it('honours Retry-After on 429, on the clock it is given', async () => {
    script = [reply(429, '', { 'retry-after': '7' }), reply(503, '', { 'retry-after': '2' }), reply(200, 'ok')];
    const clock = new ManualClock();
    const t0 = performance.now();
    const res = await httpRequest({ url: `${base}/r`, ...fast, clock });
    assert.deepEqual([res.status, res.attempts], [200, 3]);
    assert.deepEqual(clock.sleeps, [7000, 2000]);
    assert.ok(performance.now() - t0 < 1000, 'the manual clock does not wait');
  });

  it('gives up when the waits Retry-After asks for would pass the deadline on that clock', async () => {
    script = [reply(503, '', { 'retry-after': '20' })];
    const clock = new ManualClock();
    const e = await rejection(httpRequest({ url: `${base}/r`, ...fast, clock, deadlineMs: 50_000, maxAttempts: 5 }));
    assert.deepEqual(clock.sleeps, [20_000, 20_000]);
    assert.equal(hits.length, 3);
    assert.match(e.message, /HTTP 503; next retry would pass the deadline \(server asked to wait 20 s\)/);
  });

  it('gives up after maxAttempts with an error naming status and attempts, but no query or headers', async () => {
    script = [reply(500)];
    const e = await rejection(
      httpRequest({
        url: `${base}/p?token=hunter2hunter2`,
        headers: { authorization: 'Bearer s3cr3t-token' },
        maxAttempts: 3,
        ...fast,
      }),
    );
    assert.equal(e.code, 'SOURCE_INCOMPLETE');
    assert.equal(e.status, 500);
    assert.equal(e.attempts, 3);
    assert.equal(e.message, `GET ${base}/p: HTTP 500 after 3 attempts`);
    assert.equal(hits.length, 3);
    assert.equal(hits[0]?.auth, 'Bearer s3cr3t-token');
    assert.doesNotMatch(JSON.stringify({ m: e.message, d: e.details, s: e.stack }), /hunter2|s3cr3t/);
  });

  it('fails at once when Retry-After would pass the deadline', async () => {
    script = [reply(429, '', { 'retry-after': '120' })];
    const t0 = performance.now();
    const e = await rejection(httpRequest({ url: `${base}/slow`, deadlineMs: 5000, ...fast }));
    assert.ok(performance.now() - t0 < 1000);
    assert.match(e.message, /HTTP 429; next retry would pass the deadline \(server asked to wait 120 s\)/);
    assert.equal(hits.length, 1);
  });

  it('times out each attempt and retries', async () => {
    script = [hang, reply(200, 'late but fine')];
    const res = await httpRequest({ url: `${base}/t`, ...fast, timeoutMs: 200 });
    assert.deepEqual([res.body, res.attempts], ['late but fine', 2]);
    script = [hang];
    const e = await rejection(httpRequest({ url: `${base}/t`, ...fast, timeoutMs: 100, maxAttempts: 2 }));
    assert.match(e.message, /timed out after 100 ms after 2 attempts/);
  });

  it('retries network errors and reports their code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const events: RetryEvent[] = [];
    const e = await rejection(
      httpRequest({ url: `http://127.0.0.1:${port}/`, ...fast, maxAttempts: 2, onRetry: (ev) => events.push(ev) }),
    );
    assert.match(e.message, /network error \(ECONNREFUSED\) after 2 attempts/);
    assert.equal(events.length, 1);
  });

  it('does not retry a POST after a 500, but does after a 429', async () => {
    script = [reply(500)];
    const e = await rejection(httpRequest({ url: `${base}/w`, method: 'POST', body: '{}', ...fast }));
    assert.equal(e.attempts, 1);
    assert.match(e.message, /HTTP 500 \(not retried: POST is not idempotent\)$/);
    script = [reply(429, '', { 'retry-after': '0' }), reply(201, 'made')];
    const res = await httpRequest({ url: `${base}/w`, method: 'POST', body: '{}', ...fast });
    assert.deepEqual([res.status, res.attempts], [201, 2]);
  });

  it('stops when aborted, also while waiting', async () => {
    script = [reply(503, '', { 'retry-after': '30' })];
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = performance.now();
    await assert.rejects(httpRequest({ url: `${base}/a`, signal: ac.signal, ...fast, deadlineMs: 60_000 }), (e) => {
      assert.ok(isGatehouseError(e));
      assert.equal(e.code, 'ABORTED');
      return true;
    });
    assert.ok(performance.now() - t0 < 2000);
  });

  it('refuses oversized bodies and URLs with credentials, without quoting them', async () => {
    script = [reply(200, 'x'.repeat(2000))];
    const big = await rejection(httpRequest({ url: `${base}/big`, maxBodyBytes: 1000, ...fast }));
    assert.match(big.message, /larger than 1000 bytes/);
    assert.equal(big.terminal, true);
    const cred = await rejection(httpRequest({ url: `http://user:pa55word@127.0.0.1:1/`, ...fast }));
    assert.match(cred.message, /credentials in the URL are not supported/);
    assert.doesNotMatch(cred.message, /pa55word/);
    assert.equal(hits.length, 1);
  });
});

describe('httpRequest body', () => {
  it('decodes a body of many chunks without Content-Length, characters split across chunks included', async () => {
    const text = `${'a,b\n'.repeat(40_000)}Zürich,€,𝄞\n`;
    const bytes = Buffer.from(text, 'utf8');
    script = [
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/csv' });
        // Odd-sized writes, so the multi-byte characters at the end are cut between chunks.
        for (let at = 0; at < bytes.length; at += 7777) res.write(bytes.subarray(at, at + 7777));
        res.end();
      },
    ];
    const res = await httpRequest({ url: `${base}/chunked`, ...fast });
    assert.equal(res.body, text);
  });

  it('decodes a body with Content-Length, and an empty one', async () => {
    script = [reply(200, 'prefix,CH,CH-ZH,Zürich,'), reply(200, '')];
    assert.equal((await httpRequest({ url: `${base}/a`, ...fast })).body, 'prefix,CH,CH-ZH,Zürich,');
    assert.equal((await httpRequest({ url: `${base}/b`, ...fast })).body, '');
  });

  it('refuses a body whose Content-Length passes the cap before reading any of it', async () => {
    // Headers announce 2000 bytes and the body never comes: waiting for it would run into the timeout.
    script = [(_req, res) => res.writeHead(200, { 'content-length': '2000' }).write('x')];
    const t0 = performance.now();
    const big = await rejection(httpRequest({ url: `${base}/declared`, maxBodyBytes: 1000, ...fast }));
    assert.match(big.message, /larger than 1000 bytes/);
    assert.equal(big.code, 'SOURCE_INCOMPLETE');
    assert.equal(big.terminal, true);
    assert.ok(performance.now() - t0 < fast.timeoutMs);
  });

  it('refuses a body without Content-Length at the chunk that passes the cap', async () => {
    let sent = 0;
    script = [
      (_req, res) => {
        res.writeHead(200);
        // Bounded: the client stops reading at the cap; the server stops after 64 chunks whatever happens.
        const more = () => {
          if (sent >= 64 || res.destroyed) return void res.end();
          sent++;
          res.write('y'.repeat(1000), () => setImmediate(more));
        };
        more();
      },
    ];
    const big = await rejection(httpRequest({ url: `${base}/stream`, maxBodyBytes: 5000, ...fast }));
    assert.match(big.message, /larger than 5000 bytes/);
    assert.equal(big.terminal, true);
    assert.equal(hits.length, 1);
  });
});

describe('helpers', () => {
  it('parses Retry-After as seconds or HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now), 10_000);
    assert.equal(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  it('backs off exponentially with bounded jitter', () => {
    assert.equal(
      backoff(1, 100, 10_000, () => 0),
      50,
    );
    assert.equal(
      backoff(1, 100, 10_000, () => 1),
      100,
    );
    assert.equal(
      backoff(4, 100, 10_000, () => 1),
      800,
    );
    assert.equal(
      backoff(20, 100, 1000, () => 1),
      1000,
    );
  });

  it('renders URLs without userinfo, query or fragment', () => {
    assert.equal(safeUrl('https://u:p@example.test:8443/a/b?k=v#f'), 'https://example.test:8443/a/b');
    assert.equal(safeUrl('not a url'), '(invalid URL)');
  });
});
