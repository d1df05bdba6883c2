import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { Engine } from '../../src/engine.ts';
import { ServeMetrics } from '../../src/serve/metrics.ts';
import { buildApp } from '../../src/server/app.ts';
import { DiscordMessages } from '../../src/server/links/discord-messages.ts';
import { interactionsEndpoint } from '../../src/server/links/endpoint.ts';
import { gatehouse } from '../e2e/cli.ts';
import { startDiscordFake, type DiscordFake } from '../fakes/discord/index.ts';

const APP_ID = '900000000000000009';
const CHANNEL = '930000000000000001';
const DEVOPS = '940000000000000001';
const ALICE = '800000000000000001';
const BOB = '800000000000000002';
const CAROL = '800000000000000003';

/**
 * POST /interactions of the daemon's app, with a real Ed25519 key pair made here, a real store and a Discord fake
 * (approvers: the DevOps role, read from the fake at each decision; messages posted and edited on the fake).
 */
describe('Discord interactions', () => {
  let fake: DiscordFake;
  let dir: string;
  let engine: Engine;
  let app: ReturnType<typeof buildApp>;
  let privateKey: KeyObject;
  let otherKey: KeyObject;

  before(async () => {
    fake = await startDiscordFake();
    fake.addRole(DEVOPS, 'DevOps');
    fake.addChannel(CHANNEL);
    fake.addMember({ id: ALICE });
    fake.addMember({ id: BOB });
    fake.addMember({ id: CAROL, roles: [DEVOPS] });
    const pair = generateKeyPairSync('ed25519');
    privateKey = pair.privateKey;
    otherKey = generateKeyPairSync('ed25519').privateKey;
    const publicHex = Buffer.from(pair.publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('hex');
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-interactions-'));
    await writeFile(
      join(dir, 'gatehouse.yaml'),
      `sources:
  discord:
    type: discord
    token: "\${env:DISCORD_TOKEN}"
    guildId: "${fake.state.guildId}"
    apiUrl: ${fake.apiUrl}
links:
  approvers: [discord/DevOps]
  publicUrl: https://gatehouse.example.org
  discord:
    applicationId: "${APP_ID}"
    publicKey: ${publicHex}
    token: "\${env:DISCORD_TOKEN}"
    guildId: "${fake.state.guildId}"
    channelId: "${CHANNEL}"
    apiUrl: ${fake.apiUrl}
`,
    );
    const logger = pino({ level: 'silent' });
    engine = await Engine.open({
      configFile: join(dir, 'gatehouse.yaml'),
      logger,
      env: { DISCORD_TOKEN: fake.token },
    });
    const endpoint = interactionsEndpoint(engine, logger);
    app = buildApp({
      metrics: new ServeMetrics(),
      readiness: () => Promise.resolve({ ready: true, checks: {} }),
      exposeMetrics: false,
      interactions: () => endpoint,
    });
  });
  after(async () => {
    await engine?.close();
    await fake?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function post(body: unknown, o: { key?: KeyObject; at?: number; signature?: string } = {}) {
    const text = JSON.stringify(body);
    const timestamp = String(Math.floor((o.at ?? Date.now()) / 1000));
    const signature = o.signature ?? sign(null, Buffer.from(timestamp + text), o.key ?? privateKey).toString('hex');
    return app.request('/interactions', {
      method: 'POST',
      body: text,
      headers: {
        'content-type': 'application/json',
        'x-signature-ed25519': signature,
        'x-signature-timestamp': timestamp,
      },
    });
  }

  const press = (user: string, customId: string, messageId: string) =>
    post({
      type: 3,
      member: { user: { id: user } },
      data: { custom_id: customId, component_type: 2 },
      message: { id: messageId, channel_id: CHANNEL },
      channel_id: CHANNEL,
    });

  it('a correctly signed PING gets PONG; a wrong signature, a stale timestamp or no signature gets 401', async () => {
    const ok = await post({ type: 1 });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { type: 1 });
    assert.equal((await post({ type: 1 }, { key: otherKey })).status, 401, 'signed by another key');
    assert.equal((await post({ type: 1 }, { at: Date.now() - 6 * 60_000 })).status, 401, 'replayed: 6 minutes old');
    assert.equal((await post({ type: 1 }, { signature: '' })).status, 401, 'no signature');
    const tampered = await app.request('/interactions', {
      method: 'POST',
      body: JSON.stringify({ type: 1, extra: 1 }),
      headers: {
        'x-signature-ed25519': sign(
          null,
          Buffer.from(`${Math.floor(Date.now() / 1000)}{"type":1}`),
          privateKey,
        ).toString('hex'),
        'x-signature-timestamp': String(Math.floor(Date.now() / 1000)),
      },
    });
    assert.equal(tampered.status, 401, 'a body other than the signed one');
  });

  it('/link github answers ephemerally with a one-time link; the token names the Discord user, once', async () => {
    const r = await post({
      type: 2,
      member: { user: { id: ALICE } },
      data: { name: 'link', options: [{ name: 'github', type: 1 }] },
    });
    const body = (await r.json()) as { type: number; data: { content: string; flags: number } };
    assert.equal(body.type, 4);
    assert.equal(body.data.flags, 64, 'ephemeral');
    const token = /https:\/\/gatehouse\.example\.org\/link\/start\?token=([A-Za-z0-9_-]{43})/.exec(
      body.data.content,
    )?.[1];
    assert.ok(token, body.data.content);
    assert.deepEqual(await engine.store.linkTokens.consume(token, new Date()), {
      person: `discord:${ALICE}`,
      discord: ALICE,
    });
    assert.equal(await engine.store.linkTokens.consume(token, new Date()), undefined, 'good once');
  });

  it('buttons: a non-approver and the requester are refused ephemerally; an approver decides and the message is edited', async () => {
    const link = await engine.store.links.request(
      {
        person: `discord:${ALICE}`,
        discord: ALICE,
        githubId: 4242,
        githubLogin: 'alice-gh',
        requestedBy: `discord:${ALICE}`,
      },
      new Date(),
    );
    const messages = new DiscordMessages({
      apiUrl: fake.apiUrl,
      token: fake.token,
      channelId: CHANNEL,
      timeoutMs: 5000,
    });
    await messages.postRequest(link);
    const [message] = [...fake.state.messages.values()];
    assert.ok(message);
    assert.match(message.content, /discord:800000000000000001 → github 4242 \(alice-gh\)/);
    const approve = `link:approve:${link.id}`;

    for (const who of [BOB, ALICE]) {
      const r = (await (await press(who, approve, message.id)).json()) as {
        type: number;
        data: { content: string; flags: number };
      };
      assert.equal(r.type, 4);
      assert.equal(r.data.flags, 64);
      assert.match(r.data.content, who === BOB ? /is not an approver/ : /cannot decide their own request/);
    }
    assert.equal((await engine.store.links.get(link.id))?.status, 'pending', 'no decision');
    assert.equal(message.editedTimestamp, null, 'the message is untouched');

    const r = (await (await press(CAROL, approve, message.id)).json()) as { data: { content: string } };
    assert.match(r.data.content, /^approved: /);
    const decided = await engine.store.links.get(link.id);
    assert.deepEqual([decided?.status, decided?.decidedBy], ['approved', `discord:${CAROL}`]);
    assert.notEqual(message.editedTimestamp, null);
    assert.match(message.content, new RegExp(`^Approved: .* by discord:${CAROL}$`));
    const buttons = (message.components[0] as { components: { disabled: boolean }[] }).components;
    assert.deepEqual(
      buttons.map((b) => b.disabled),
      [true, true],
    );

    const again = (await (await press(CAROL, `link:reject:${link.id}`, message.id)).json()) as {
      data: { content: string };
    };
    assert.match(again.data.content, /the link is approved/, 'a second press changes nothing');

    const status = (await (
      await post({
        type: 2,
        member: { user: { id: ALICE } },
        data: { name: 'link', options: [{ name: 'status', type: 1 }] },
      })
    ).json()) as { data: { content: string } };
    assert.match(status.data.content, /^approved: discord:800000000000000001 → github 4242/);
    const unlink = (await (
      await post({ type: 2, member: { user: { id: ALICE } }, data: { name: 'unlink' } })
    ).json()) as { data: { content: string } };
    assert.match(unlink.data.content, /^Unlinked: /);
    assert.equal((await engine.store.links.get(link.id))?.status, 'revoked');

    const audit = (await engine.store.audit.list())
      .filter((e) => e.action === 'link-decision')
      .map((e) => [e.actor, e.kind, e.status]);
    assert.deepEqual(audit, [
      [`discord:${BOB}`, 'approve', 'refused'],
      [`discord:${ALICE}`, 'approve', 'refused'],
      [`discord:${CAROL}`, 'approve', 'applied'],
      [`discord:${CAROL}`, 'reject', 'refused'],
      [`discord:${ALICE}`, 'revoke', 'applied'],
    ]);
    fake.assertClean();
  });

  it('gatehouse discord register-commands registers /link (github, status) and /unlink through the REST API', async () => {
    const r = await gatehouse(['-c', join(dir, 'gatehouse.yaml'), 'discord', 'register-commands', '--output', 'json'], {
      env: { DISCORD_TOKEN: fake.token },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { registered: ['link', 'unlink'] });
    assert.deepEqual(
      fake.state.commands.map((c) => [c.name, (c.options as { name: string }[] | undefined)?.map((o) => o.name) ?? []]),
      [
        ['link', ['github', 'status']],
        ['unlink', []],
      ],
    );
    fake.assertClean();
  });
});
