import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse } from '../e2e/cli.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const EXAMPLE = new URL('../../examples/quickstart/', import.meta.url).pathname;

/** The quickstart's inputs in a temp dir (never its state), with the daemon on a free loopback port. */
function quickstart(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-serve-'));
  for (const f of ['gatehouse.yaml', 'conf.d', 'geofeed.csv'])
    cpSync(join(EXAMPLE, f), join(dir, f), { recursive: true });
  writeFileSync(
    join(dir, 'gatehouse.yaml'),
    readFileSync(join(dir, 'gatehouse.yaml'), 'utf8') + '\nserve:\n  listen: 127.0.0.1:0\n  fullPass: 10m\n',
  );
  return dir;
}

const OK = 'gatehouse_reconciles_total{target="db-allowlist",outcome="ok"}';

describe('gatehouse serve on the embedded store', () => {
  let dir: string;
  let d: ServeProcess;
  before(async () => {
    dir = quickstart();
    d = await startServe(['-c', join(dir, 'gatehouse.yaml')]);
  });
  after(async () => {
    d?.signal('SIGKILL');
    await d?.exit;
    rmSync(dir, { recursive: true, force: true });
  });

  it('reconciles at start, answers /healthz and /readyz, and exports the metrics', async () => {
    await d.until(async () => ((await d.metric(OK)) ?? 0) >= 1, 'the first reconcile');
    assert.equal((await d.get('/healthz')).status, 200);
    const ready = await d.get('/readyz');
    assert.equal(ready.status, 200, ready.body);
    assert.equal((JSON.parse(ready.body) as { ready: boolean }).ready, true);
    assert.ok(((await d.metric('gatehouse_changes_total{target="db-allowlist",result="applied"}')) ?? 0) >= 1);
    assert.equal(await d.metric('gatehouse_leader'), 1);
    assert.equal(await d.metric('gatehouse_source_read_status{source="office",status="live"}'), 1);
    assert.ok(
      ((await d.metric('gatehouse_reconcile_duration_seconds_count{target="db-allowlist",outcome="ok"}')) ?? 0) >= 1,
    );
    assert.equal(await d.metric('gatehouse_blocked_changes{target="db-allowlist"}'), 0);
    assert.match(readFileSync(join(dir, 'out/gatehouse-db-allowlist.nft'), 'utf8'), /203\.0\.113\.7/);
    const line = d.logs().find((l) => l.msg === 'reconciled');
    assert.equal(line?.target, 'db-allowlist');
    assert.equal(line?.outcome, 'ok');
  });

  it('refuses a CLI apply on the same store while it runs', async () => {
    const r = await gatehouse(['apply', '--auto-approve', '-c', join(dir, 'gatehouse.yaml')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`in use by another gatehouse process \\(pid ${d.pid}\\).*STORE_LOCKED`));
  });

  it('reloads on SIGHUP and converges on the new configuration', async () => {
    const sources = join(dir, 'conf.d/sources.yaml');
    writeFileSync(sources, readFileSync(sources, 'utf8') + '      - 198.51.100.9\n');
    d.signal('SIGHUP');
    await d.until(
      () => readFileSync(join(dir, 'out/gatehouse-db-allowlist.nft'), 'utf8').includes('198.51.100.9'),
      'the reloaded address in the include file',
    );
    assert.equal(await d.metric('gatehouse_config_reloads_total{result="ok"}'), 1);
  });

  it('keeps the running configuration when a reload fails, and says so on /readyz and in a metric', async () => {
    const sources = join(dir, 'conf.d/sources.yaml');
    writeFileSync(sources, readFileSync(sources, 'utf8') + '    adresses: [1.2.3.4]\n');
    d.signal('SIGHUP');
    await d.until(async () => (await d.metric('gatehouse_config_last_reload_ok')) === 0, 'the failed reload');
    const ready = await d.get('/readyz');
    assert.match(ready.body, /last reload failed: .*sources\.yaml:\d+:\d+/);
    assert.ok(d.logs().some((l) => l.msg === 'configuration reload failed; the running configuration stays'));
    assert.equal((await d.get('/healthz')).status, 200);
  });

  it('exits 0 within 10 s of SIGTERM', async () => {
    const t0 = Date.now();
    d.signal('SIGTERM');
    const { code, at } = await d.exit;
    assert.equal(code, 0, d.stderr());
    assert.ok(at - t0 < 10_000, `took ${at - t0} ms`);
  });
});
