import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { discordSource, DiscordWatcher, type MemberEvent } from '../../src/sources/discord/index.ts';
import { faults, startDiscordFake, type DiscordFake } from '../fakes/discord/index.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';

const deps = testDeps();
const STAFF = '910000000000000001';
const SRE = '910000000000000002';
const id = (i: number) => String(400000000000000000n + BigInt(i));
const signal = () => AbortSignal.timeout(30_000);

/**
 * `p`, or a rejection after `ms`. The timer is cleared either way: a pending timer would keep the test process alive
 * after the last test (this file used to linger 15 s on exactly that).
 */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// Nothing may keep the process alive once every fake and client is closed: no timer, socket or server (stdio pipes
// excepted). Sockets closed by the fake's close() finish closing asynchronously, hence the short wait.
after(async () => {
  const holding = () =>
    process.getActiveResourcesInfo().filter((r) => /Timeout|TCPSocketWrap|TCPServerWrap|TLSWrap/.test(r));
  for (let i = 0; i < 100 && holding().length > 0; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(holding(), [], 'resources left keeping the process alive');
});

function source(fake: DiscordFake, extra: Record<string, unknown> = {}) {
  const config = discordSource.schema.parse({
    type: 'discord',
    token: fake.token,
    guildId: fake.state.guildId,
    apiUrl: fake.apiUrl,
    timeoutMs: 5000,
    retries: 2,
    ...extra,
  });
  return discordSource.create('discord', config, deps);
}

describe('discord source through @discordjs/rest against the validated fake', () => {
  let fake: DiscordFake;
  before(async () => {
    fake = await startDiscordFake();
    fake.addRole(STAFF, 'Staff');
    fake.addRole(SRE, 'SRE');
    for (let i = 1; i <= 2500; i++) {
      fake.addMember({
        id: id(i),
        roles: i % 10 === 0 ? [STAFF, SRE] : i % 2 === 0 ? [STAFF] : [],
        nick: i === 2 ? 'Two' : null,
      });
    }
    fake.addMember({ id: id(3000), bot: true, roles: [STAFF] });
  });
  after(() => fake?.close());
  beforeEach(() => {
    fake.clearFaults();
    fake.requests.length = 0;
  });

  it('reads every member across pages of 1000, with role groups by id and by name', async () => {
    const read = await source(fake).read(signal());
    assert.equal(read.complete, true, read.notes.join('; '));
    assert.equal(read.facts.people?.length, 2500);
    assert.deepEqual(
      read.facts.people?.find((p) => p.id === `discord:${id(2)}`),
      {
        id: `discord:${id(2)}`,
        displayName: 'Two',
        accounts: { discord: id(2) },
      },
    );
    const groups = new Map(read.facts.groups?.map((g) => [g.name, g.members]));
    assert.equal(groups.get(STAFF)?.length, 1250);
    assert.deepEqual(groups.get('Staff'), groups.get(STAFF));
    assert.equal(groups.get('SRE')?.length, 250);
    assert.equal(groups.get(fake.state.guildId)?.length, 2500, '@everyone holds every member');
    const pages = fake.requests.filter((r) => r.operationId === 'list_guild_members');
    assert.deepEqual(
      pages.map((r) => new URLSearchParams(r.query).get('after')),
      ['0', id(1000), id(2000), id(3000)].slice(0, pages.length),
    );
    assert.equal(pages.length, 3);
    assert.match(read.notes.join('\n'), /1 bot\(s\) left out/);
    fake.assertClean();
  });

  it('waits out a 429 (retry_after) and still reads everything', async () => {
    fake.inject('list_guild_members', faults.rateLimited(0.2));
    const read = await source(fake).read(signal());
    assert.equal(read.complete, true, read.notes.join('; '));
    assert.equal(read.facts.people?.length, 2500);
    assert.ok(fake.requests.some((r) => r.status === 429));
    fake.assertClean();
  });

  it('an outage (5xx beyond the retries) is an incomplete read, not a short list', async () => {
    fake.inject('list_guild_members', faults.serverError(500));
    fake.inject('list_guild_members', faults.serverError(502), faults.serverError(503), faults.serverError(500));
    const read = await source(fake).read(signal());
    assert.equal(read.complete, false);
    assert.deepEqual(read.facts, {});
    assert.match(read.notes.join('\n'), /GET \/guilds\/\d+\/members failed/);
    fake.assertClean();
  });

  it('a page cut short mid-list is caught by the member count check', async () => {
    fake.inject('list_guild_members', faults.partialPage(400));
    const read = await source(fake).read(signal());
    assert.equal(read.complete, false);
    assert.match(
      read.notes.join('\n'),
      /read 400 members but the guild reports about 2501; the member list is partial/,
    );
    fake.assertClean();
  });

  it('a refused token is a terminal error without the token in it', async () => {
    const config = discordSource.schema.parse({
      type: 'discord',
      token: 'not-the-token-xyz',
      guildId: fake.state.guildId,
      apiUrl: fake.apiUrl,
    });
    await assert.rejects(
      discordSource.create('discord', config, deps).read(signal()),
      (e: Error & { code?: string; terminal?: boolean }) => {
        assert.equal(e.code, 'SOURCE_INCOMPLETE');
        assert.equal(e.terminal, true);
        assert.match(e.message, /401: the bot token was refused/);
        assert.doesNotMatch(e.message, /not-the-token-xyz/);
        return true;
      },
    );
    fake.assertClean();
  });
});

describe('discord gateway events through discord.js against the fake gateway', () => {
  let fake: DiscordFake;
  before(async () => {
    fake = await startDiscordFake();
    fake.addRole(STAFF, 'Staff');
    fake.addMember({ id: id(1), roles: [STAFF] });
  });
  after(() => fake?.close());

  it('a refused token rejects start() and leaves no connection behind', async () => {
    const watcher = new DiscordWatcher({
      token: 'not-the-token-xyz',
      guildId: fake.state.guildId,
      apiUrl: fake.apiUrl,
    });
    const stop = new AbortController();
    try {
      await within(assert.rejects(watcher.start(stop.signal), /token/i), 15_000, 'login to be refused');
    } finally {
      stop.abort();
    }
  });

  it('emits member add, update, remove (and resync on ready) as triggers', async () => {
    const watcher = new DiscordWatcher({ token: fake.token, guildId: fake.state.guildId, apiUrl: fake.apiUrl });
    const stop = new AbortController();
    const seen: MemberEvent[] = [];
    const ready = new Promise<void>((resolve) =>
      watcher.on('event', (e) => {
        seen.push(e);
        if (e.kind === 'resync') resolve();
      }),
    );
    const running = watcher.start(stop.signal);
    try {
      await within(ready, 15_000, 'READY');
      const got = new Promise<void>((resolve) => watcher.on('event', (e) => e.kind === 'member-remove' && resolve()));
      fake.addMember({ id: id(2), roles: [] });
      fake.setRoles(id(2), [STAFF]);
      fake.removeMember(id(1));
      await within(got, 10_000, 'member events');
      assert.deepEqual(
        seen.map((e) => [e.kind, e.userId]),
        [
          ['resync', undefined],
          ['member-add', id(2)],
          ['member-update', id(2)],
          ['member-remove', id(1)],
        ],
      );
      assert.ok(fake.requests.some((r) => r.operationId === 'get_bot_gateway'));
      assert.equal(fake.gatewayOps[0], 2, 'the first thing discord.js sends is IDENTIFY');
      fake.assertClean();
    } finally {
      stop.abort();
      await running;
    }
  });
});
