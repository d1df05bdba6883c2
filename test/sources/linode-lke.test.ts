// node:test's describe/it return promises that the runner itself awaits.

import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { formatPrefix } from '../../src/core/address.ts';
import { isGatehouseError, type GatehouseError } from '../../src/core/errors.ts';
import type { SourceRead } from '../../src/core/model.ts';
import { linodeLkeSource } from '../../src/sources/linode-lke/index.ts';
import type { PluginDeps } from '../../src/plugins.ts';
import { ManualClock } from '../../src/testing/manual-clock.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';
import { faults, startLinodeFake, type LinodeFake } from '../fakes/linode/index.ts';

const TOKEN = 'lin-0123456789abcdef-TOPSECRET';
let fake: LinodeFake;
let logLines: string[];

before(async () => {
  fake = await startLinodeFake({ token: TOKEN });
});
after(() => fake.close());
beforeEach(() => {
  fake.state.clusters.clear();
  fake.state.instances.clear();
  fake.requests.length = 0;
  fake.onRequest = undefined;
  fake.clearViolations();
  logLines = [];
});
afterEach(() => {
  assert.equal(fake.pendingFaults(), 0, 'every injected fault was served');
  fake.assertClean();
});

/** The real plugin, configured the way the config loader would (schema defaults applied), pointed at the fake. */
function source(extra: Record<string, unknown> = {}, deps: Partial<PluginDeps> = {}) {
  const config = linodeLkeSource.schema.parse({
    type: 'linode-lke',
    token: TOKEN,
    clusters: [1],
    apiUrl: fake.url,
    timeoutMs: 2000,
    maxAttempts: 3,
    ...extra,
  });
  const logger = pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) });
  return linodeLkeSource.create('lke-nodes', config, testDeps({ baseDir: '/nonexistent', logger, ...deps }));
}

async function read(extra: Record<string, unknown> = {}): Promise<SourceRead> {
  return source(extra).read(AbortSignal.timeout(20_000));
}

function addresses(r: SourceRead): string[] {
  assert.equal(r.facts.addressSets?.length, 1);
  assert.equal(r.facts.addressSets?.[0]?.name, 'lke-nodes');
  return (r.facts.addressSets?.[0]?.prefixes ?? []).map(formatPrefix);
}

/** One node per instance id: public 192.0.2.<id>, private 192.168.128.<id>, SLAAC 2001:db8::<id>. */
function node(id: number): number {
  fake.addInstance(id, {
    public: [`192.0.2.${id}`],
    private: [`192.168.128.${id}`],
    slaac: `2001:db8::${id.toString(16)}`,
  });
  return id;
}

async function rejection(p: Promise<unknown>): Promise<GatehouseError> {
  const e = await p.then(
    () => assert.fail('expected the read to throw'),
    (err: unknown) => err,
  );
  assert.ok(isGatehouseError(e), `expected GatehouseError, got ${String(e)}`);
  return e;
}

describe('linode-lke source against the Linode fake', () => {
  it('reads public IPv4 and SLAAC IPv6 of every node, aggregated', async () => {
    fake.addPool(1, 10, [node(1), node(2)]);
    fake.addPool(1, 11, [node(3)]);
    const r = await read();
    assert.equal(r.complete, true);
    assert.deepEqual(addresses(r), ['192.0.2.1', '192.0.2.2/31', '2001:db8::1', '2001:db8::2/127']);
    assert.deepEqual(r.notes, []);
    assert.ok(fake.requests.every((q) => q.method === 'GET'));
  });

  it('honours ipv4/ipv6 switches', async () => {
    fake.addPool(1, 10, [node(5)]);
    assert.deepEqual(addresses(await read({ ipv6: false })), ['192.0.2.5']);
    assert.deepEqual(addresses(await read({ ipv4: false })), ['2001:db8::5']);
    assert.throws(() =>
      linodeLkeSource.schema.parse({ type: 'linode-lke', token: 't', clusters: [1], ipv4: false, ipv6: false }),
    );
  });

  it('reads every page of pools', async () => {
    for (let i = 1; i <= 30; i++) fake.addPool(1, 100 + i, [node(i)]);
    const r = await read({ pageSize: 25, ipv6: false });
    assert.equal(r.complete, true);
    // 192.0.2.1 … 192.0.2.30, aggregated: all 30 pools were read.
    assert.deepEqual(addresses(r), [
      '192.0.2.1',
      '192.0.2.2/31',
      '192.0.2.4/30',
      '192.0.2.8/29',
      '192.0.2.16/29',
      '192.0.2.24/30',
      '192.0.2.28/31',
      '192.0.2.30',
    ]);
    const pageQueries = fake.requests.filter((q) => q.operationId === 'get-lke-cluster-pools').map((q) => q.query);
    assert.deepEqual(pageQueries, ['?page=1&page_size=25', '?page=2&page_size=25']);
  });

  it('skips nodes still provisioning (instance_id null) with a note, and stays complete', async () => {
    fake.addPool(1, 10, [node(1), null]);
    const r = await read();
    assert.equal(r.complete, true);
    assert.deepEqual(addresses(r), ['192.0.2.1', '2001:db8::1']);
    assert.equal(r.notes.length, 1);
    assert.match(r.notes[0] ?? '', /cluster 1 pool 10 node 10-00000002: no Linode yet \(instance_id null/);
  });

  it('leaves out private addresses even when listed as public, and never reads the private list', async () => {
    fake.addPool(1, 10, [7]);
    fake.addInstance(7, {
      public: ['192.0.2.7', '192.168.130.7', '10.1.2.3'],
      private: ['192.168.128.7'],
      slaac: '2001:db8::7',
    });
    const r = await read();
    assert.equal(r.complete, true);
    assert.deepEqual(addresses(r), ['192.0.2.7', '2001:db8::7']);
    assert.deepEqual(r.notes, [
      'source lke-nodes: cluster 1 pool 10 node 10-00000001 instance 7 ipv4.public[1].address: 192.168.130.7 left out: in 192.168.0.0/16 (not public)',
      'source lke-nodes: cluster 1 pool 10 node 10-00000001 instance 7 ipv4.public[2].address: 10.1.2.3 left out: in 10.0.0.0/8 (not public)',
    ]);
  });

  it('filters pools, and a configured pool that does not exist makes the read incomplete', async () => {
    fake.addPool(1, 10, [node(1)]);
    fake.addPool(1, 11, [node(2)]);
    assert.deepEqual(addresses(await read({ pools: [11], ipv6: false })), ['192.0.2.2']);
    const r = await read({ pools: [11, 99] });
    assert.equal(r.complete, false);
    assert.deepEqual(r.facts, {});
    assert.match(r.notes.join('\n'), /configured pool\(s\) 99 not found in cluster\(s\) 1/);
  });

  it('waits as long as Retry-After says on 429', async () => {
    fake.addPool(1, 10, [node(1)]);
    fake.inject('get-linode-ips', faults.rateLimited(1));
    const clock = new ManualClock();
    const t0 = performance.now();
    const r = await source({}, { clock }).read(AbortSignal.timeout(20_000));
    assert.equal(r.complete, true);
    const ips = fake.requests.filter((q) => q.operationId === 'get-linode-ips');
    assert.deepEqual(
      ips.map((q) => q.status),
      [429, 200],
    );
    assert.deepEqual(clock.sleeps, [1000], 'waited the 1 s the server asked for, on the injected clock');
    assert.ok(performance.now() - t0 < 900, 'without waiting real time');
    assert.match(logLines.join(''), /"reason":"HTTP 429".*"msg":"retrying"/);
  });

  it('retries 5xx and network resets, then succeeds', async () => {
    fake.addPool(1, 10, [node(1)]);
    fake.inject('get-lke-cluster-pools', faults.serverError(503));
    fake.inject('get-linode-ips', faults.serverError(500), faults.reset());
    const r = await read();
    assert.equal(r.complete, true);
    assert.deepEqual(addresses(r), ['192.0.2.1', '2001:db8::1']);
    assert.deepEqual(
      fake.requests.map((q) => q.status),
      [503, 200, 500, 0, 200],
    );
  });

  it('persistent 5xx → incomplete with a note, no facts', async () => {
    fake.addPool(1, 10, [node(1), node(2)]);
    fake.inject('get-linode-ips', ...Array.from({ length: 3 }, () => faults.serverError(503)));
    const r = await read({ concurrency: 1 });
    assert.equal(r.complete, false);
    assert.deepEqual(r.facts, {});
    assert.match(
      r.notes.join('\n'),
      /instance 1: GET http:\/\/127\.0\.0\.1:\d+\/v4\/linode\/instances\/1\/ips: HTTP 503 after 3 attempts/,
    );
    assert.equal(
      fake.requests.filter((q) => q.operationId === 'get-linode-ips').length,
      3,
      'fail-fast: instance 2 is never asked for',
    );
  });

  it('a missing cluster, a malformed body or a list that changes between pages → incomplete', async () => {
    fake.addPool(1, 10, [node(1)]);
    const missing = await read({ clusters: [1, 2] });
    assert.equal(missing.complete, false);
    assert.match(
      missing.notes.join('\n'),
      /cluster 2 not found: GET .*\/v4\/lke\/clusters\/2\/pools: HTTP 404 \(Not found\)/,
    );

    fake.inject('get-lke-cluster-pools', faults.malformed());
    const malformed = await read();
    assert.equal(malformed.complete, false);
    assert.match(malformed.notes.join('\n'), /cluster 1: GET .*: response is not valid JSON/);

    for (let i = 2; i <= 30; i++) fake.addPool(1, 100 + i, [node(i)]);
    fake.onRequest = (entry) => {
      if (entry.query.startsWith('?page=2')) fake.addPool(1, 999, [node(99)]);
    };
    const shifting = await read({ pageSize: 25 });
    assert.equal(shifting.complete, false);
    assert.match(
      shifting.notes.join('\n'),
      /cluster 1: pagination inconsistent .*page 2 reports page=2 pages=2 results=31, page 1 reported pages=2 results=30/,
    );
  });

  it('rejects an invalid address with its origin', async () => {
    fake.addPool(1, 10, [node(1)]);
    fake.addPool(1, 11, [4]);
    fake.addInstance(4, { public: ['192.0.2.300'], slaac: '2001:db8::4' });
    const e = await rejection(read());
    assert.equal(e.code, 'SOURCE_INVALID_DATA');
    assert.equal(e.terminal, true);
    assert.match(
      e.message,
      /^source lke-nodes: cluster 1 pool 11 node 11-00000001 instance 4 ipv4\.public\[0\]\.address: invalid address "192\.0\.2\.300"/,
    );
    // The real API would never send this; the fake's own contract check says so too.
    assert.deepEqual(
      fake.violations.map((v) => v.replace(/^.*?: /, '')),
      ['response 200 body/ipv4/public/0/address: must match format "ip"'],
    );
    fake.clearViolations();
  });

  it('rejects a response of the wrong shape with its origin', async () => {
    fake.addPool(1, 10, [node(1)]);
    fake.addInstance(1, { public: ['192.0.2.1'], slaac: null }); // no SLAAC object at all
    const e = await rejection(read());
    assert.equal(e.code, 'SOURCE_INVALID_DATA');
    assert.match(e.message, /cluster 1 pool 10 node 10-00000001 instance 1 ipv6\.slaac\.address: missing/);

    const pool = fake.state.clusters.get(1)?.pools[0];
    assert.ok(pool?.nodes[0]);
    pool.nodes[0].instance_id = -1; // an integer, so within the description; not a Linode id
    const e2 = await rejection(read());
    assert.equal(e2.code, 'SOURCE_INVALID_DATA');
    assert.match(
      e2.message,
      /^source lke-nodes: cluster 1 pools page 1 data\[0\]: unexpected response shape at nodes\.0\.instance_id/,
    );
  });

  it('401 → a clear terminal error that never contains the token', async () => {
    fake.addPool(1, 10, [node(1)]);
    const s = linodeLkeSource.create(
      'lke-nodes',
      linodeLkeSource.schema.parse({ type: 'linode-lke', token: `${TOKEN}-revoked`, clusters: [1], apiUrl: fake.url }),
      testDeps({ logger: pino({ level: 'debug' }, { write: (l: string) => logLines.push(l) }) }),
    );
    const e = await rejection(s.read(AbortSignal.timeout(10_000)));
    assert.equal(e.code, 'SOURCE_INCOMPLETE');
    assert.equal(e.terminal, true);
    assert.match(e.message, /cluster 1: GET .*\/pools: HTTP 401 \(Invalid Token\): Linode refused the token/);
    const everything = JSON.stringify({ message: e.message, stack: e.stack, details: e.details, logs: logLines });
    assert.doesNotMatch(everything, /TOPSECRET/);
    assert.equal(fake.requests.length, 1, '401 is not retried');
  });
});
