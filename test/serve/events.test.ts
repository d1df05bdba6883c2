import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { EMPTY_MEMBER, snowflake, userDn } from '../ldap/directory.ts';
import { EventWorld, SRE, STAFF, WEBHOOK_SECRET } from './event-world.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

/*
 * The event path of `gatehouse serve` as a real process: Discord gateway events (fake) and GitHub webhooks drive
 * reconciles of a real slapd and a GitHub fake, with `serve.fullPass` at 1 h so no timer fires during the test.
 */

const reconciles = (d: ServeProcess, target: string) =>
  Promise.all(
    ['ok', 'attention', 'error'].map(
      async (o) => (await d.metric(`gatehouse_reconciles_total{target="${target}",outcome="${o}"}`)) ?? 0,
    ),
  ).then((v) => v.reduce((a, b) => a + b, 0));
const events = async (d: ServeProcess, trigger: string) =>
  (await d.metric(`gatehouse_events_total{trigger="${trigger}"}`)) ?? 0;

/** Waits until no reconcile runs or waits: the counts stop moving and the queue is empty. */
async function settle(d: ServeProcess): Promise<void> {
  let last = -1;
  await d.until(
    async () => {
      const now = (await reconciles(d, 'directory')) + (await reconciles(d, 'gh'));
      const settled = now === last && (await d.metric('gatehouse_queue_depth')) === 0;
      last = now;
      return settled;
    },
    'the reconciles to settle',
    30_000,
  );
}

function sign(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

describe('gatehouse serve: events end to end', () => {
  const w = new EventWorld();
  let d: ServeProcess;

  before(async () => {
    await w.start();
    d = await startServe(['-c', w.config('events', { webhook: true })], { env: w.env() });
    // Converged start: one reconcile of each target, and the gateway session identified (its READY is a resync).
    await d.until(
      async () => (await reconciles(d, 'directory')) >= 1 && (await reconciles(d, 'gh')) >= 1,
      'the first reconcile of both targets',
    );
    await d.until(async () => (await events(d, 'discord-resync')) >= 1, 'the gateway session');
  });
  after(async () => {
    d?.signal('SIGKILL');
    await d?.exit;
    await w.close();
  });

  it('starts converged: the first reconciles change nothing', async () => {
    // One for gaining leadership, and possibly one for the gateway's READY (a resync: events may have been missed).
    assert.equal(await d.metric('gatehouse_reconciles_total{target="gh",outcome="attention"}'), undefined, d.stderr());
    assert.ok(((await d.metric('gatehouse_reconciles_total{target="directory",outcome="ok"}')) ?? 0) >= 1);
    assert.ok(((await d.metric('gatehouse_reconciles_total{target="gh",outcome="ok"}')) ?? 0) >= 1);
    assert.equal(await d.metric('gatehouse_changes_total{target="gh",result="applied"}'), undefined);
    assert.deepEqual(await w.sreMembers(), [EMPTY_MEMBER, userDn(2)].sort());
    assert.deepEqual(w.teamMembers(), [12]);
  });

  it('a role change on the gateway reaches the slapd group and the GitHub team, with no timer', async () => {
    const updates = await events(d, 'discord-member-update');
    const t0 = Date.now();
    w.discord.setRoles(snowflake(1), [STAFF, SRE]);
    const toLdap = await d.until(
      async () => (await w.sreMembers()).includes(userDn(1)),
      'member 1 in cn=sre (slapd)',
      15_000,
    );
    const toGithub = await d.until(() => w.teamMembers().includes(15), 'erin (15) in team sre (GitHub fake)', 15_000);
    console.log(`role change → slapd group after ${toLdap} ms, → GitHub team after ${Date.now() - t0} ms`);
    assert.ok(toGithub >= 0);
    assert.deepEqual(await w.sreMembers(), [EMPTY_MEMBER, userDn(1), userDn(2)].sort());
    assert.deepEqual(w.teamMembers(), [12, 15]);
    assert.ok((await events(d, 'discord-member-update')) > updates);
    assert.equal(await events(d, 'periodic'), 0, 'no periodic pass ran');
    w.github.assertClean();
    w.discord.assertClean();
  });

  it('a forged webhook signature is refused with 401, queues nothing, and is counted', async () => {
    await settle(d);
    const before = { gh: await reconciles(d, 'gh'), hooks: await events(d, 'github-webhook') };
    const body = JSON.stringify({ action: 'member_added', organization: { login: 'acme' } });
    const r = await fetch(`${d.url}/webhooks/github`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'organization',
        'x-github-delivery': 'forged-1',
        'x-hub-signature-256': sign(body, 'not-the-webhook-secret-at-all'),
      },
    });
    assert.equal(r.status, 401);
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(await d.metric('gatehouse_webhook_rejected_total{reason="signature"}'), 1);
    assert.equal(await events(d, 'github-webhook'), before.hooks, 'nothing queued');
    assert.equal(await reconciles(d, 'gh'), before.gh, 'no reconcile');
  });

  it('a signed organization webhook for a member added by hand reconciles gh, which removes them (policy: remove)', async () => {
    await settle(d);
    w.github.addMember(11); // alice, whom no person of the people source claims
    const before = await reconciles(d, 'gh');
    // Nothing but the webhook will look at GitHub again: without it alice stays.
    await new Promise((res) => setTimeout(res, 1_000));
    assert.equal(w.github.state.org.members.has(11), true);
    const body = JSON.stringify({
      action: 'member_added',
      organization: { login: 'acme' },
      membership: { user: { login: 'alice', id: 11 } },
    });
    const r = await fetch(`${d.url}/webhooks/github`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'organization',
        'x-github-delivery': 'delivery-1',
        'x-hub-signature-256': sign(body, WEBHOOK_SECRET),
      },
    });
    assert.equal(r.status, 202);
    await d.until(() => !w.github.state.org.members.has(11), 'alice removed from the org', 15_000);
    // The removal lands during the reconcile; it is counted when the reconcile ends.
    await d.until(async () => (await reconciles(d, 'gh')) > before, 'the webhook reconcile to end');
    assert.equal(await events(d, 'github-webhook'), 1);
    assert.ok(((await d.metric('gatehouse_changes_total{target="gh",result="applied"}')) ?? 0) >= 2);
    assert.equal(await events(d, 'periodic'), 0, 'no periodic pass ran');
  });

  it('a storm of 1,000 member updates within a second costs a handful of reconciles and converges', async () => {
    const before = { directory: await reconciles(d, 'directory'), gh: await reconciles(d, 'gh') };
    const updates = await events(d, 'discord-member-update');
    const t0 = Date.now();
    for (let n = 0; n < 1_000; n++) {
      // Member 3 gains and loses SRE; the last of the 1,000 updates leaves them holding it.
      w.discord.setRoles(snowflake(3), n % 2 === 1 ? [STAFF, SRE] : [STAFF]);
      if (n % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    const sent = Date.now() - t0;
    await d.until(
      async () => (await events(d, 'discord-member-update')) - updates >= 1_000,
      'the daemon to receive all 1,000 updates',
      30_000,
    );
    await d.until(
      async () => (await w.sreMembers()).includes(userDn(3)) && w.teamMembers().includes(16),
      'member 3 in cn=sre and dave (16) in team sre',
      30_000,
    );
    await settle(d); // the storm's follow-up reconciles are done
    const ran = {
      directory: (await reconciles(d, 'directory')) - before.directory,
      gh: (await reconciles(d, 'gh')) - before.gh,
    };
    console.log(
      `storm: 1,000 member updates sent in ${sent} ms → reconciles: directory ${ran.directory}, gh ${ran.gh}`,
    );
    assert.ok(ran.directory >= 1 && ran.directory <= 10, `directory reconciles: ${ran.directory}`);
    assert.ok(ran.gh >= 1 && ran.gh <= 10, `gh reconciles: ${ran.gh}`);
    assert.deepEqual(await w.sreMembers(), [EMPTY_MEMBER, userDn(1), userDn(2), userDn(3)].sort());
    assert.deepEqual(w.teamMembers(), [12, 15, 16]);
    w.github.assertClean();
  });
});
