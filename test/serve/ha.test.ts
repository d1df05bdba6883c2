import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { gatehouse } from '../e2e/cli.ts';
import { startPostgres, type PostgresServer } from '../harness/postgres.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const EXAMPLE = new URL('../../examples/quickstart/', import.meta.url).pathname;
const LEADER = 'gatehouse_leader';

function quickstart(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-ha-'));
  for (const f of ['gatehouse.yaml', 'conf.d', 'geofeed.csv'])
    cpSync(join(EXAMPLE, f), join(dir, f), { recursive: true });
  writeFileSync(
    join(dir, 'gatehouse.yaml'),
    readFileSync(join(dir, 'gatehouse.yaml'), 'utf8') + '\nserve:\n  listen: 127.0.0.1:0\n  fullPass: 2s\n',
  );
  return dir;
}

interface AuditRecord {
  action: string;
  status: string;
  changeId?: string;
  planId?: string;
  actor: string;
}

describe('two serve replicas on a real PostgreSQL', () => {
  let server: PostgresServer;
  let url: string;
  let dir: string;
  const replicas: ServeProcess[] = [];
  const dead = new Set<ServeProcess>();
  before(async () => {
    server = await startPostgres();
    url = await server.createDatabase();
    dir = quickstart();
  });
  after(async () => {
    for (const r of replicas) r.signal('SIGKILL');
    await Promise.all(replicas.map((r) => r.exit));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async () => {
    const r = await startServe(['-c', join(dir, 'gatehouse.yaml')], { env: { DATABASE_URL: url } });
    replicas.push(r);
    return r;
  };
  const audit = async (): Promise<AuditRecord[]> => {
    const r = await gatehouse(['audit', '-o', 'json', '--limit', '10000', '-c', join(dir, 'gatehouse.yaml')], {
      env: { DATABASE_URL: url },
    });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as AuditRecord[];
  };
  /** Every applied change as `planId/changeId`: the same plan applied by two leaders would repeat one. */
  const appliedKeys = async () =>
    (await audit())
      .filter((a) => a.action === 'apply' && a.status === 'applied')
      .map((a) => `${a.planId}/${a.changeId}`);
  const addAddress = (address: string) => {
    const f = join(dir, 'conf.d/sources.yaml');
    writeFileSync(f, readFileSync(f, 'utf8') + `      - ${address}\n`);
  };
  const rendered = () => readFileSync(join(dir, 'out/gatehouse-db-allowlist.nft'), 'utf8');

  it('exactly one replica leads and applies; each change is audited once', async () => {
    const [a, b] = [await start(), await start()];
    await a.until(async () => ((await a.metric(LEADER)) ?? 0) + ((await b.metric(LEADER)) ?? 0) === 1, 'one leader');
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(((await a.metric(LEADER)) ?? 0) + ((await b.metric(LEADER)) ?? 0), 1, 'still exactly one');
    const ids = await appliedKeys();
    assert.ok(ids.length > 0);
    assert.deepEqual(ids, [...new Set(ids)], 'no change applied twice');
    const standby = (await a.metric(LEADER)) === 1 ? b : a;
    assert.ok((await standby.get('/readyz')).body.includes('standby; leader: gatehouse serve'));
  });

  it('a CLI apply is refused while a replica leads', async () => {
    const r = await gatehouse(['apply', '--auto-approve', '-c', join(dir, 'gatehouse.yaml')], {
      env: { DATABASE_URL: url },
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /gatehouse serve .* leads|applies changes on this database: gatehouse serve/);
    assert.match(r.stderr, /STORE_LOCKED/);
  });

  it('kill -9 of the leader: the standby leads within 30 s and the next change lands once', async () => {
    const [a, b] = replicas as [ServeProcess, ServeProcess];
    const [leader, standby] = (await a.metric(LEADER)) === 1 ? [a, b] : [b, a];
    const t0 = Date.now();
    leader.signal('SIGKILL');
    await leader.exit;
    dead.add(leader);
    const took = await standby.until(async () => (await standby.metric(LEADER)) === 1, 'takeover', 30_000);
    assert.ok(Date.now() - t0 < 30_000, `takeover took ${took} ms`);
    addAddress('198.51.100.77');
    standby.signal('SIGHUP');
    await standby.until(() => rendered().includes('198.51.100.77'), 'the next change');
    await new Promise((r) => setTimeout(r, 2_500));
    const ids = await appliedKeys();
    assert.deepEqual(ids, [...new Set(ids)]);
  });

  it('a leader whose database session is terminated stops applying, and another leads', async () => {
    const alive = replicas.filter((r) => !dead.has(r));
    const c = await start();
    const leader = (await Promise.all(alive.map(async (r) => ((await r.metric(LEADER)) === 1 ? r : undefined)))).find(
      (r) => r !== undefined,
    ) as ServeProcess;
    assert.ok(leader, 'a surviving replica leads');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [
        `gatehouse serve ${(await import('node:os')).hostname()}:${leader.pid}`.slice(0, 63),
      ]);
    } finally {
      await admin.end();
    }
    await c.until(
      async () => (await c.metric(LEADER)) === 1 || (await leader.metric(LEADER)) === 1,
      'a leader',
      30_000,
    );
    const lost = leader.logs().some((l) => l.msg === 'standing by');
    const newLeader = (await c.metric(LEADER)) === 1 ? c : leader;
    // Whoever leads now, the old leader logged losing leadership, and nothing was applied twice.
    assert.ok(lost, 'the cut-off leader stood down');
    addAddress('198.51.100.78');
    newLeader.signal('SIGHUP');
    await newLeader.until(() => rendered().includes('198.51.100.78'), 'a change after the cut');
    const ids = await appliedKeys();
    assert.deepEqual(ids, [...new Set(ids)]);
  });
});
