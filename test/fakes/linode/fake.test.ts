// node:test's describe/it return promises that the runner itself awaits.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { faults, startLinodeFake, type LinodeFake } from './index.ts';

let fake: LinodeFake;

before(async () => {
  fake = await startLinodeFake({ token: 'tok-for-fake-tests' });
});
after(() => fake.close());
beforeEach(() => {
  fake.state.clusters.clear();
  fake.state.instances.clear();
  fake.requests.length = 0;
  fake.clearViolations();
});

/** `token: null` sends no Authorization header. */
async function get(path: string, token: string | null = fake.token) {
  const res = await fetch(
    `${fake.url}${path}`,
    token === null ? {} : { headers: { authorization: `Bearer ${token}` } },
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

describe('Linode fake', () => {
  it('listens on loopback with a /v4 base URL', () => {
    assert.match(fake.url, /^http:\/\/127\.0\.0\.1:\d+\/v4$/);
  });

  it('paginates pools like the API: page, pages, results, page_size 25..500', async () => {
    for (let i = 1; i <= 30; i++) fake.addPool(7, 100 + i, [1000 + i]);
    const p1 = (await get('/lke/clusters/7/pools?page=1&page_size=25')).json();
    assert.equal((p1.data as unknown[]).length, 25);
    assert.deepEqual([p1.page, p1.pages, p1.results], [1, 2, 30]);
    const p2 = (await get('/lke/clusters/7/pools?page=2&page_size=25')).json();
    assert.deepEqual(
      (p2.data as { id: number }[]).map((p) => p.id),
      [126, 127, 128, 129, 130],
    );
    const dflt = (await get('/lke/clusters/7/pools')).json();
    assert.equal((dflt.data as unknown[]).length, 30, 'default page_size 100');
    fake.assertClean();
  });

  it('rejects what Linode rejects, and records it as a violation of the client', async () => {
    fake.addPool(7, 1, [1]);
    const small = await get('/lke/clusters/7/pools?page_size=10');
    assert.equal(small.status, 400);
    assert.match(fake.violations.join('\n'), /page_size: must be >= 25/);
    fake.clearViolations();

    const anon = await get('/lke/clusters/7/pools', null);
    assert.equal(anon.status, 401);
    assert.match(fake.violations.join('\n'), /no credentials/);
    fake.clearViolations();

    const wrong = await get('/lke/clusters/7/pools', 'nope');
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.json(), { errors: [{ reason: 'Invalid Token' }] });
    fake.assertClean(); // a wrong token is a valid request the server refuses

    assert.equal((await get('/lke/clusters/8/pools')).status, 404);
    assert.equal((await get('/linode/instances/5/ips')).status, 404);
    fake.assertClean();

    assert.equal((await get('/lke/clusterz')).status, 404);
    assert.match(fake.violations.join('\n'), /no such route/);
    fake.clearViolations();

    assert.equal((await get('/linode/instances/5')).status, 501);
    assert.match(fake.violations.join('\n'), /get-linode-instance is not modelled/);
    fake.clearViolations();
  });

  it('serves null instance ids and description-valid networking', async () => {
    fake.addPool(7, 1, [11, null]);
    fake.addInstance(11, { public: ['192.0.2.10'], private: ['192.168.1.10'], slaac: '2001:db8::f03c:91ff:fe00:11' });
    const pools = (await get('/lke/clusters/7/pools')).json();
    const nodes = (pools.data as { nodes: { instance_id: number | null; status: string }[] }[])[0]?.nodes;
    assert.deepEqual(
      nodes?.map((n) => [n.instance_id, n.status]),
      [
        [11, 'ready'],
        [null, 'not_ready'],
      ],
    );
    const ips = (await get('/linode/instances/11/ips')).json() as {
      ipv4: { public: { address: string }[]; private: { address: string }[] };
      ipv6: { slaac: { address: string } };
    };
    assert.equal(ips.ipv4.public[0]?.address, '192.0.2.10');
    assert.equal(ips.ipv4.private[0]?.address, '192.168.1.10');
    assert.equal(ips.ipv6.slaac.address, '2001:db8::f03c:91ff:fe00:11');
    fake.assertClean();
  });

  it('reports state the real API could not serve as a response violation', async () => {
    fake.addPool(7, 1, []); // a pool has 1..100 nodes
    fake.addInstance(11, { public: ['192.0.2.300'] });
    await get('/lke/clusters/7/pools');
    await get('/linode/instances/11/ips');
    const v = fake.violations.join('\n');
    assert.match(v, /data\/0\/count: must be >= 1/);
    assert.match(v, /ipv4\/public\/0\/address: must match format "ip"/);
    assert.throws(() => fake.assertClean(), /contract violation/);
  });

  it('injects faults in order, per operation, and logs every request', async () => {
    fake.addPool(7, 1, [11]);
    fake.addInstance(11, { public: ['192.0.2.10'], slaac: '2001:db8::11' });
    fake.inject('get-lke-cluster-pools', faults.rateLimited(2), faults.serverError(503), faults.malformed());
    fake.inject('*', faults.reset());

    const limited = await get('/lke/clusters/7/pools');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '2');
    assert.equal((await get('/lke/clusters/7/pools')).status, 503);
    const broken = await get('/lke/clusters/7/pools');
    assert.equal(broken.status, 200);
    assert.throws(() => broken.json(), SyntaxError);
    await assert.rejects(get('/linode/instances/11/ips'), TypeError, 'reset = network error');
    assert.equal((await get('/linode/instances/11/ips')).status, 200);
    assert.equal(fake.pendingFaults(), 0);

    assert.deepEqual(
      fake.requests.map((r) => [r.operationId, r.status, r.fault]),
      [
        ['get-lke-cluster-pools', 429, 'status'],
        ['get-lke-cluster-pools', 503, 'status'],
        ['get-lke-cluster-pools', 200, 'malformed'],
        ['get-linode-ips', 0, 'reset'],
        ['get-linode-ips', 200, undefined],
      ],
    );
    fake.assertClean();
  });
});
