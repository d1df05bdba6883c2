import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PostgresLeadership, currentLeader } from '../../src/store/leader.ts';
import { startPostgres, type PostgresServer } from '../harness/postgres.ts';

const FAST = { intervalMs: 100, checkTimeoutMs: 1_000, sessionTimeoutMs: 3_000 };

async function until(cond: () => boolean, ms: number, what: string): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

describe('PostgresLeadership against a real PostgreSQL', () => {
  let server: PostgresServer;
  let url: string;
  before(async () => {
    server = await startPostgres();
    url = await server.createDatabase();
  });
  after(() => server.stop());

  it('elects exactly one leader; a terminated backend loses leadership and the other takes over', async () => {
    const ac = new AbortController();
    const a = new PostgresLeadership({ connectionString: url, identity: 'gatehouse serve a', ...FAST });
    const b = new PostgresLeadership({ connectionString: url, identity: 'gatehouse serve b', ...FAST });
    const runs = [a.start(ac.signal), b.start(ac.signal)];
    try {
      await until(() => a.leading || b.leading, 5_000, 'a leader');
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(Number(a.leading) + Number(b.leading), 1, 'exactly one leads');
      const [leader, standby, leaderName] = a.leading ? [a, b, 'a'] : [b, a, 'b'];
      await leader.assertLeading();
      await assert.rejects(standby.assertLeading(), { code: 'STORE_LOCKED' });

      const stoodDown: boolean[] = [];
      leader.onChange((leading) => stoodDown.push(!leading));
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      const backendOf = async (name: string) =>
        (
          await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
            `gatehouse serve ${name}`,
          ])
        ).rows.map((r) => r.pid);
      try {
        const who = await currentLeader((sql, params) => admin.query(sql, params));
        assert.match(who ?? '', new RegExp(`gatehouse serve ${leaderName}`));
        const [cutPid] = await backendOf(leaderName);
        assert.ok(cutPid, "the leader's session");
        // With a timeout the call returns once the backend has exited (without one it only signals it).
        const cut = await admin.query<{ gone: boolean }>('SELECT pg_terminate_backend($1, 10000) AS gone', [cutPid]);
        assert.equal(cut.rows[0]?.gone, true, "the leader's session ended");
        // The cut leader notices within its interval and stands down. It campaigns again at once, and may win the lock
        // back before anyone asks it to write: then it must hold it on a new session, never the cut one.
        await until(() => stoodDown.includes(true), 5_000, 'the cut leader to stand down');
        try {
          await leader.assertLeading();
          assert.ok(!(await backendOf(leaderName)).includes(cutPid), 'leads again, on a new session');
        } catch (e) {
          assert.equal((e as { code?: string }).code, 'STORE_LOCKED', String(e));
        }
      } finally {
        await admin.end();
      }
      // Both campaign again; whichever wins, exactly one leads and proves it.
      await until(() => a.leading || b.leading, 15_000, 'a new leader');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(Number(a.leading) + Number(b.leading), 1, 'exactly one leads after the cut');
      await (a.leading ? a : b).assertLeading();
    } finally {
      ac.abort();
      await Promise.all(runs);
    }
    assert.equal(a.leading || b.leading, false, 'released on abort');
  });

  it('a leader that aborts releases the lock at once', async () => {
    const acA = new AbortController();
    const acB = new AbortController();
    const a = new PostgresLeadership({ connectionString: url, identity: 'gatehouse serve a', ...FAST });
    const b = new PostgresLeadership({ connectionString: url, identity: 'gatehouse serve b', ...FAST });
    const runA = a.start(acA.signal);
    await until(() => a.leading, 5_000, 'a leads');
    const runB = b.start(acB.signal);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(b.leading, false);
    acA.abort();
    await runA;
    await until(() => b.leading, 5_000, 'b takes over');
    acB.abort();
    await runB;
  });
});
