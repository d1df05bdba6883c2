import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { Engine } from '../../src/engine.ts';
import { generateKeyPairSync, sign } from 'node:crypto';
import { runtimeOf } from '../../src/serve/runtime.ts';
import { ServeMetrics } from '../../src/serve/metrics.ts';
import { buildApp } from '../../src/server/app.ts';
import { startDiscordFake, type DiscordFake } from '../fakes/discord/index.ts';
import { startGithubFake, type GithubFake } from '../fakes/github/index.ts';
import { releaseConfig } from './release-config.ts';
import { BOB, CAROL, CHANNEL, DEVOPS } from './world.ts';

const PEOPLE = [11, 12, 13, 14, 15, 16, 17, 18];

/**
 * Guard releases against the GitHub fake: a mass removal blocked by the org removal guard is queued, released once by
 * an approver and applied; a release after the org changed is refused as stale and applies nothing.
 */
describe('guard releases', () => {
  let fake: GithubFake;
  let dir: string;
  let engine: Engine;
  let discord: DiscordFake | undefined;

  async function open(devs: readonly number[], extra: { sources?: string; links?: string } = {}): Promise<Engine> {
    await engine?.close();
    await writeFile(
      join(dir, 'gatehouse.yaml'),
      releaseConfig({
        githubUrl: fake.url,
        people: PEOPLE,
        devs,
        ...extra,
        ...(extra.links ? { approvers: ['discord/DevOps'] } : {}),
      }),
    );
    engine = await Engine.open({
      configFile: join(dir, 'gatehouse.yaml'),
      logger: pino({ level: 'silent' }),
      env: { GH_TOKEN: fake.issueToken(1), DISCORD_TOKEN: discord?.token ?? '' },
    });
    return engine;
  }

  before(async () => {
    fake = await startGithubFake({ org: 'acme', rateLimit: 1_000_000 });
    fake.addUser('owner', 1);
    fake.addMember(1, 'admin');
    for (const id of PEOPLE) {
      fake.addUser(`u${id}`, id);
      fake.addMember(id);
    }
    fake.addUser('stranger', 99);
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-release-'));
  });
  after(async () => {
    await engine?.close();
    await fake?.close();
    await discord?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const signal = () => AbortSignal.timeout(30_000);
  const members = () => [...fake.state.org.members.keys()].sort((a, b) => a - b);

  it('a blocked mass removal is queued, released once by an approver, and applied', async () => {
    const e = await open([11, 12]);
    const outcome = await e.reconcile({ mode: 'apply', actor: 'serve:test', signal: signal() });
    const gh = outcome.plan.targets[0];
    assert.deepEqual(
      gh?.blocked,
      [13, 14, 15, 16, 17, 18].map((id) => `org-remove:${id}`),
    );
    assert.deepEqual(members(), [1, ...PEOPLE], 'the guard held them back');

    const [first, ...more] = await e.queueBlocked(outcome.plan);
    assert.equal(more.length, 0);
    assert.ok(first?.created);
    const queued = first.release;
    const again = (await e.queueBlocked(outcome.plan))[0];
    assert.deepEqual([again?.release.id, again?.created], [queued.id, false], 'queued once per plan');

    await assert.rejects(e.releasePlan({ id: queued.id, decider: 'bob', actor: 'test:bob', signal: signal() }), {
      code: 'FORBIDDEN',
      message: /bob is not an approver/,
    });
    assert.deepEqual(members(), [1, ...PEOPLE]);

    const released = await e.releasePlan({ id: queued.id, decider: 'carol', actor: 'test:carol', signal: signal() });
    assert.equal(released.status, 'released');
    assert.deepEqual(members(), [1, 11, 12], 'applied with the blocked removals');
    await assert.rejects(e.releasePlan({ id: queued.id, decider: 'carol', actor: 'test:carol', signal: signal() }), {
      code: 'USAGE',
      message: /is released/,
    });
    const overrides = (await e.store.audit.list()).filter((r) => r.action === 'guard-override');
    assert.equal(overrides.length, 6);
    assert.match(overrides[0]?.message ?? '', /released by carol/);
  });

  it('a release after the org changed is refused as stale; nothing is applied', async () => {
    for (const id of PEOPLE.slice(2)) fake.addMember(id);
    const e = await open([11, 12]);
    const { plan } = await e.plan(signal());
    const queued = (await e.queueBlocked(plan))[0]?.release;
    assert.ok(queued);
    fake.addMember(99); // someone joined the org meanwhile
    await assert.rejects(e.releasePlan({ id: queued.id, decider: 'carol', actor: 'test:carol', signal: signal() }), {
      code: 'PLAN_STALE',
    });
    assert.deepEqual(members(), [1, ...PEOPLE, 99], 'nothing removed');
    const after = await e.store.releases.get(queued.id);
    assert.equal(after?.status, 'refused');
    assert.match(after?.reason ?? '', /refused/);
    fake.assertClean();
  });

  it("serve's path: a blocked pass is queued and posted to Discord; an approver's Release button applies it", async () => {
    discord = await startDiscordFake();
    discord.addRole(DEVOPS, 'DevOps');
    discord.addChannel(CHANNEL);
    discord.addMember({ id: CAROL, roles: [DEVOPS] });
    discord.addMember({ id: BOB });
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const hex = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('hex');
    const e = await open([11, 12], {
      sources: `  discord:\n    type: discord\n    token: "\${env:DISCORD_TOKEN}"\n    guildId: "${discord.state.guildId}"\n    apiUrl: ${discord.apiUrl}\n    roleGroups: name\n`,
      links: `  publicUrl: https://gatehouse.test\n  discord:\n    applicationId: "900000000000000009"\n    publicKey: ${hex}\n    token: "\${env:DISCORD_TOKEN}"\n    guildId: "${discord.state.guildId}"\n    channelId: "${CHANNEL}"\n    apiUrl: ${discord.apiUrl}\n`,
    });
    const logger = pino({ level: 'silent' });
    const runtime = runtimeOf(e, 'serve:test', logger);
    const pass = () =>
      runtime.reconcile({
        target: 'gh',
        apply: true,
        stop: new AbortController().signal,
        signal: signal(),
        beforeWrite: () => Promise.resolve(),
      });
    assert.equal((await pass()).blocked, 6);
    await pass();
    const posted = [...discord.state.messages.values()];
    assert.equal(posted.length, 1, 'posted once, however many passes find it blocked');
    assert.match(
      posted[0]?.content ?? '',
      /^Blocked by a guard on gh \(plan [0-9a-f]+\):\n- org-removal-fraction: org acme would lose 6 of 10 /,
    );
    const button = (posted[0]?.components[0] as { components: { custom_id: string }[] }).components[0]?.custom_id ?? '';
    assert.match(button, /^release:[0-9a-f-]{36}$/);

    const app = buildApp({
      metrics: new ServeMetrics(),
      readiness: () => Promise.resolve({ ready: true, checks: {} }),
      exposeMetrics: false,
      interactions: () => runtime.interactions,
    });
    const press = async (user: string) => {
      const body = JSON.stringify({
        type: 3,
        member: { user: { id: user } },
        data: { custom_id: button, component_type: 2 },
      });
      const ts = String(Math.floor(Date.now() / 1000));
      const r = await app.request('/interactions', {
        method: 'POST',
        body,
        headers: {
          'x-signature-ed25519': sign(null, Buffer.from(ts + body), privateKey).toString('hex'),
          'x-signature-timestamp': ts,
        },
      });
      return ((await r.json()) as { data: { content: string } }).data.content;
    };
    assert.match(await press(BOB), /^Not released: discord:800000000000000002 is not an approver/);
    assert.deepEqual(members(), [1, ...PEOPLE, 99]);
    assert.match(await press(CAROL), /^Released: plan [0-9a-f]+ of gh/);
    assert.deepEqual(members(), [1, 11, 12, 99]);
    assert.match(await press(CAROL), /^Not released: release \S+ is released/, 'once');
    discord.assertClean();
  });
});
