import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openStore } from '../../src/store/index.ts';
import { ALICE, ALICE_GH, BOB, CAROL, LinksWorld } from '../links/world.ts';
import { startServe, type ServeProcess } from '../serve/serve-process.ts';

const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);

/** A free loopback port: the public URL (OAuth redirect URIs) must be known before the daemon starts. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * The link flow in a real browser: Debian's chromium driven by playwright-core, against `gatehouse serve` running as a
 * process, with Discord, GitHub and both OAuth servers faked on loopback. The daemon reconciles the github target every
 * 2 s, so an approval shows up as an invitation in the GitHub fake.
 */
describe('links in a real browser', () => {
  let w: LinksWorld;
  let serve: ServeProcess;
  let browser: Browser;
  let base: string;

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    w = await LinksWorld.start(base, { listen: `127.0.0.1:${port}`, fullPass: '2s' });
    serve = await startServe(['-c', w.config], { env: w.env, timeoutMs: 180_000 });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    if (serve) {
      serve.signal('SIGTERM');
      await serve.exit;
    }
    await w?.close();
  });

  /** A fresh browser profile signed in with Discord as `user`. */
  async function signIn(user: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    w.discordOAuth.signedIn = user;
    await page.goto(`${base}/`);
    await page.click('#sign-in');
    assert.equal(await page.textContent('#who'), `discord:${user}`);
    return page;
  }

  it('request, 403 for a non-approver, CSRF refused, own request refused, approval; the daemon invites the id', async () => {
    const alice = await signIn(ALICE);
    const [cookie] = await alice.context().cookies();
    assert.deepEqual(
      [cookie?.name, cookie?.httpOnly, cookie?.secure, cookie?.sameSite],
      ['gatehouse_session', true, true, 'Lax'],
      'chromium keeps a Secure cookie from http://127.0.0.1 (a potentially trustworthy origin)',
    );
    w.githubOAuth.signedIn = String(ALICE_GH);
    await alice.click('#link-github');
    assert.match((await alice.textContent('#message')) ?? '', /github 4242 \(alice-gh\) is pending/);

    const bob = await signIn(BOB);
    const denied = await bob.goto(`${base}/links`);
    assert.equal(denied?.status(), 403);
    assert.match((await bob.textContent('#forbidden')) ?? '', /is not an approver/);

    const carol = await signIn(CAROL);
    w.githubOAuth.signedIn = '5151';
    await carol.click('#link-github');
    assert.match((await carol.textContent('#message')) ?? '', /github 5151 \(carol-gh\) is pending/);

    await carol.goto(`${base}/links`);
    const rows = carol.locator('tr[data-link]');
    assert.equal(await rows.count(), 2);
    await mkdir(ARTIFACTS, { recursive: true });
    await carol.screenshot({ path: join(ARTIFACTS.pathname, 'links-queue.png'), fullPage: true });

    const aliceRow = carol.locator('tr[data-link]', { hasText: 'alice-gh' });
    const carolRow = carol.locator('tr[data-link]', { hasText: 'carol-gh' });

    // A form without its CSRF token, then with a wrong one: refused, nothing changes.
    await aliceRow.locator('input[name=csrf]').evaluate((e) => void (e as unknown as { remove(): void }).remove());
    await aliceRow.getByRole('button', { name: 'Approve' }).click();
    assert.match((await carol.textContent('#forbidden')) ?? '', /form token is missing or wrong/);
    await carol.goto(`${base}/links`);
    await aliceRow
      .locator('input[name=csrf]')
      .evaluate((e) => ((e as unknown as { value: string }).value = 'forged-token'));
    await aliceRow.getByRole('button', { name: 'Approve' }).click();
    assert.match((await carol.textContent('#forbidden')) ?? '', /form token is missing or wrong/);

    // Her own request: refused even though she is an approver.
    await carol.goto(`${base}/links`);
    await carolRow.getByRole('button', { name: 'Approve' }).click();
    assert.match((await carol.textContent('#forbidden')) ?? '', /cannot decide their own request/);

    await carol.goto(`${base}/links`);
    assert.equal(await rows.count(), 2, 'both still pending');
    await aliceRow.locator('input[name=reason]').fill('known member');
    await aliceRow.getByRole('button', { name: 'Approve' }).click();
    assert.match((await carol.textContent('#message')) ?? '', /^approved: discord:800000000000000001 → github 4242/);
    assert.equal(await rows.count(), 1, 'only carol’s own request is left');

    await serve.until(
      () => [...w.github.state.org.invitations.values()].some((i) => i.inviteeId === ALICE_GH),
      'the daemon to invite the approved GitHub id',
      60_000,
    );
    assert.deepEqual(
      [...w.github.state.org.invitations.values()].map((i) => i.inviteeId),
      [ALICE_GH],
      'only the approved link is granted',
    );
  });

  it('after the daemon stops: the store holds the decisions and the audit log every attempt', async () => {
    serve.signal('SIGTERM');
    await serve.exit;
    const store = await openStore({ stateDir: join(w.dir, '.gatehouse') });
    try {
      const links = (await store.links.list()).map((l) => [l.person, l.githubId, l.status, l.decidedBy ?? null]);
      assert.deepEqual(links, [
        [`discord:${ALICE}`, ALICE_GH, 'approved', `discord:${CAROL}`],
        [`discord:${CAROL}`, 5151, 'pending', null],
      ]);
      const decisions = (await store.audit.list())
        .filter((r) => r.action === 'link-decision')
        .map((r) => [r.actor, r.kind, r.status]);
      assert.deepEqual(decisions, [
        [`web:discord:${CAROL}`, 'approve', 'refused'],
        [`web:discord:${CAROL}`, 'approve', 'applied'],
      ]);
    } finally {
      await store.close();
    }
    w.assertClean();
  });
});
