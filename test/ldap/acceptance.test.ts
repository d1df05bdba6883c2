import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { applyPlan } from '../../src/core/apply.ts';
import type { Source } from '../../src/core/contracts.ts';
import { buildPlan } from '../../src/core/pipeline.ts';
import { renderPlan } from '../../src/core/render.ts';
import { MemoryStore } from '../../src/core/testing/memory-store.ts';
import { discordSource } from '../../src/sources/discord/index.ts';
import { ldapGroupsTarget, type LdapGroupsTarget } from '../../src/targets/ldap-groups/index.ts';
import { faults, startDiscordFake, type DiscordFake } from '../fakes/discord/index.ts';
import {
  BIND_DN,
  BIND_PASSWORD,
  GROUPS,
  LIMITED_BIND_DN,
  PEOPLE,
  skipUnlessSlapd,
  startSlapd,
  type Slapd,
} from '../harness/slapd.ts';
import { EMPTY_MEMBER, directoryLdif, snowflake, uidOf, userDn } from './directory.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';

const deps = testDeps();
const BASE = '910000000000000010';
const SRE = '910000000000000011';
const LINKED = 60;
const SRE_DN = `cn=sre,${GROUPS}`;
const SVC = `uid=svc-backup,${PEOPLE}`;

/**
 * End to end: Discord (fake, through @discordjs/rest) → core pipeline (buildPlan / applyPlan) → ldap-groups → a real
 * slapd with 3,000 users, 60 of them linked to Discord. Each step changes Discord, plans, applies, and checks LDAP with
 * OpenLDAP's own tools.
 */
describe('Discord roles → LDAP groups, end to end against slapd', { skip: skipUnlessSlapd() }, () => {
  let s: Slapd;
  let fake: DiscordFake;
  let discord: Source;
  const store = new MemoryStore();

  before(async () => {
    s = await startSlapd({
      bindUnlimited: true,
      ldif: directoryLdif({
        users: 3000,
        linked: LINKED,
        groups: [{ cn: 'sre', members: [EMPTY_MEMBER] }],
        extra: `dn: ${SVC}\nobjectClass: inetOrgPerson\nobjectClass: gatehouseLockable\nuid: svc-backup\ncn: backup\nsn: backup\ndescription: service\nemployeeNumber: ${snowflake(9999)}\n\n`,
      }),
    });
    fake = await startDiscordFake();
    fake.addRole(BASE, 'Staff');
    fake.addRole(SRE, 'SRE');
    for (let i = 0; i < LINKED; i++) fake.addMember({ id: snowflake(i), roles: [BASE] });
    // Someone with a mapped role and no LDAP account: needs enrolment.
    fake.addMember({ id: snowflake(5000), roles: [BASE, SRE], nick: 'New Person' });
    discord = discordSource.create(
      'discord',
      discordSource.schema.parse({
        type: 'discord',
        token: fake.token,
        guildId: fake.state.guildId,
        apiUrl: fake.apiUrl,
        retries: 1,
        timeoutMs: 3000,
      }),
      deps,
    );
  });
  after(async () => {
    await fake?.close();
    await s?.stop();
  });

  function target(overrides: Record<string, unknown> = {}, bindDn = BIND_DN): LdapGroupsTarget {
    const config = ldapGroupsTarget.schema.parse({
      type: 'ldap-groups',
      connection: { url: s.url, bindDn, bindPassword: BIND_PASSWORD, pageSize: 500 },
      people: { base: PEOPLE },
      baseRole: 'discord/Staff',
      mappings: [{ group: `discord/${SRE}`, ldapGroup: SRE_DN }],
      emptyMember: EMPTY_MEMBER,
      lock: { nsAccountLock: true, pwdAccountLockedTime: true, maxFraction: 0.1 },
      serviceAccounts: { filter: '(description=service)' },
      protected: [uidOf(40)],
      ...overrides,
    });
    return ldapGroupsTarget.create('ldap', config, deps);
  }

  async function run(t: LdapGroupsTarget, snapshots = store) {
    const signal = AbortSignal.timeout(60_000);
    const { plan, observed } = await buildPlan({
      configDigest: 'c',
      sources: [discord],
      targets: [t],
      snapshots,
      signal,
    });
    const opsBefore = t.ldapOps;
    const reports = await applyPlan({
      plan,
      configDigest: 'c',
      targets: [t],
      audit: store,
      actor: 'test',
      signal,
      observed,
    });
    return { plan, tp: plan.targets[0]!, results: reports[0]?.results ?? [], applyOps: t.ldapOps - opsBefore };
  }

  const sreMembers = async () =>
    (await s.ldapsearch(['-b', SRE_DN, '-s', 'base', '(objectClass=*)', 'member']))
      .split('\n')
      .filter((l) => l.startsWith('member: '))
      .map((l) => l.slice(8))
      .sort();
  const lockAttrs = async (i: number) =>
    (await s.ldapsearch(['-b', userDn(i), '-s', 'base', '(objectClass=*)', 'nsAccountLock', 'pwdAccountLockedTime']))
      .split('\n')
      .filter((l) => /^(nsAccountLock|pwdAccountLockedTime):/.test(l));
  const canBind = (i: number) =>
    new Promise<boolean>((resolve) =>
      execFile('ldapwhoami', ['-x', '-H', s.url, '-D', userDn(i), '-w', `pw-${uidOf(i)}`], { timeout: 10_000 }, (e) =>
        resolve(!e),
      ),
    );

  it('first run: nothing to change; the person without an account is a note of the plan, not a change', async () => {
    const { plan, tp, results } = await run(target());
    assert.equal(tp.error, undefined);
    assert.deepEqual(tp.changes, []);
    assert.deepEqual(results, [], 'nothing applied, nothing skipped');
    assert.deepEqual(tp.notes, [
      'needs enrolment: 1 person(s) hold a mapped role but have no LDAP account (enrol.create is off): New Person (discord:300000000000005000)',
    ]);
    const text = renderPlan(plan);
    assert.match(text, /! needs enrolment: 1 person\(s\)/);
    assert.match(text, /Plan \S+: 0 to apply/);
  });

  it('role granted → group membership added, in one modify', async () => {
    fake.setRoles(snowflake(1), [BASE, SRE]);
    fake.setRoles(snowflake(2), [BASE, SRE]);
    const { tp, results, applyOps } = await run(target());
    const group = tp.changes.find((c) => c.kind === 'ldap-group-members');
    assert.deepEqual(group?.add, [userDn(1), userDn(2)]);
    assert.equal(results.find((r) => r.id === group?.id)?.status, 'applied');
    assert.equal(applyOps, 2, 'one bind + one modify for the whole group');
    assert.deepEqual(await sreMembers(), [EMPTY_MEMBER, userDn(1), userDn(2)].sort());
  });

  it('role removed → membership removed', async () => {
    fake.setRoles(snowflake(2), [BASE]);
    const { tp } = await run(target());
    assert.deepEqual(tp.changes.find((c) => c.kind === 'ldap-group-members')?.remove, [userDn(2)]);
    assert.deepEqual(await sreMembers(), [EMPTY_MEMBER, userDn(1)].sort());
  });

  it('base role lost → account locked (nsAccountLock and ppolicy: the user can no longer bind), and dropped from groups', async () => {
    assert.equal(await canBind(1), true);
    fake.setRoles(snowflake(1), [SRE]);
    const { tp, results } = await run(target());
    assert.deepEqual(
      tp.changes.map((c) => c.id),
      [`group:${SRE_DN}`, `lock:${uidOf(1)}`],
    );
    assert.ok(
      results.every((r) => r.status !== 'failed'),
      JSON.stringify(results),
    );
    assert.deepEqual(await lockAttrs(1), ['nsAccountLock: TRUE', 'pwdAccountLockedTime: 000001010000Z']);
    assert.equal(await canBind(1), false);
    assert.deepEqual(await sreMembers(), [EMPTY_MEMBER]);
  });

  it('base role regained → unlocked, and back in the mapped group', async () => {
    fake.setRoles(snowflake(1), [BASE, SRE]);
    const { tp } = await run(target());
    assert.ok(tp.changes.some((c) => c.id === `unlock:${uidOf(1)}`));
    assert.deepEqual(await lockAttrs(1), []);
    assert.equal(await canBind(1), true);
    assert.deepEqual(await sreMembers(), [EMPTY_MEMBER, userDn(1)].sort());
  });

  const nsOnly = { lock: { nsAccountLock: true, maxFraction: 0.1 } };

  it('nsAccountLock only (FreeIPA): gatehouse records its lock, so it unlocks it when the base role is regained', async () => {
    fake.setRoles(snowflake(6), []);
    const locked = await run(target(nsOnly));
    assert.ok(locked.tp.changes.some((c) => c.id === `lock:${uidOf(6)}`));
    assert.deepEqual(await lockAttrs(6), ['nsAccountLock: TRUE']);
    assert.deepEqual(
      [...(await deps.state.list('ldap-groups/ldap/locked/'))].map(([, v]) => (v as { uid?: unknown }).uid),
      [uidOf(6)],
    );
    fake.setRoles(snowflake(6), [BASE]);
    const { tp } = await run(target(nsOnly));
    assert.deepEqual(
      tp.changes.map((c) => c.id),
      [`unlock:${uidOf(6)}`],
    );
    assert.deepEqual(await lockAttrs(6), []);
    assert.deepEqual(await deps.state.list('ldap-groups/ldap/locked/'), [], 'the record goes with the lock');
  });

  it('an account locked by hand whose person holds the base role stays locked, and the plan says why', async () => {
    await s.ldapmodify(`dn: ${userDn(5)}\nchangetype: modify\nreplace: nsAccountLock\nnsAccountLock: TRUE\n`);
    const { plan, tp } = await run(target(nsOnly));
    assert.deepEqual(tp.changes, []);
    assert.deepEqual((tp.notes ?? []).slice(1), [
      `1 account(s) locked outside gatehouse stay locked although their person holds the base role; unlock by hand if the lock is no longer wanted, or set lock.unlock: any to let gatehouse unlock them: ${uidOf(5)} (${userDn(5)})`,
    ]);
    assert.match(renderPlan(plan), /! 1 account\(s\) locked outside gatehouse stay locked/);
    assert.deepEqual(await lockAttrs(5), ['nsAccountLock: TRUE']);
    // Also with ppolicy locks configured: the hand-set nsAccountLock carries no 000001010000Z, so it is not ours.
    const both = await run(target());
    assert.ok(!both.tp.changes.some((c) => c.id === `unlock:${uidOf(5)}`));
    assert.deepEqual(await lockAttrs(5), ['nsAccountLock: TRUE']);
  });

  it('with lock.unlock: any, a lock set by hand is unlocked (migrating from a tool that locked accounts)', async () => {
    const { tp } = await run(target({ lock: { ...nsOnly.lock, unlock: 'any' } }));
    assert.deepEqual(
      tp.changes.map((c) => c.id),
      [`unlock:${uidOf(5)}`],
    );
    assert.deepEqual((tp.notes ?? []).slice(1), []);
    assert.deepEqual(await lockAttrs(5), []);
  });

  it('leaving the guild → locked; service accounts (linked, not in the guild) are never touched', async () => {
    fake.removeMember(snowflake(3));
    const { tp } = await run(target());
    assert.ok(tp.changes.some((c) => c.id === `lock:${uidOf(3)}`));
    assert.ok(
      !tp.changes.some((c) => c.id.includes('svc-backup')),
      'the service account is not in the guild, yet untouched',
    );
    assert.deepEqual(await lockAttrs(3), ['nsAccountLock: TRUE', 'pwdAccountLockedTime: 000001010000Z']);
    const svc = await s.ldapsearch([
      '-b',
      SVC,
      '-s',
      'base',
      '(objectClass=*)',
      'nsAccountLock',
      'pwdAccountLockedTime',
    ]);
    assert.doesNotMatch(svc, /nsAccountLock|pwdAccountLockedTime/);
  });

  it('protected guard: a protected account that lost the base role is not locked', async () => {
    fake.setRoles(snowflake(40), []);
    const { tp } = await run(target());
    assert.ok(tp.blocked.includes(`lock:${uidOf(40)}`));
    assert.match(tp.verdicts.find((v) => v.guard === 'protected')?.message ?? '', /u000040 is protected/);
    assert.deepEqual(await lockAttrs(40), []);
    fake.setRoles(snowflake(40), [BASE]);
  });

  it('max-lock-fraction guard: losing the base role en masse locks nobody', async () => {
    for (let i = 10; i < 20; i++) fake.setRoles(snowflake(i), []);
    const { tp } = await run(target());
    const locks = tp.changes.filter((c) => c.kind === 'ldap-lock');
    assert.equal(locks.length, 10);
    assert.deepEqual([...tp.blocked].sort(), locks.map((c) => c.id).sort());
    assert.match(
      tp.verdicts.find((v) => v.guard === 'max-lock-fraction')?.message ?? '',
      /10 of 60 managed accounts would be locked/,
    );
    assert.deepEqual(await lockAttrs(10), []);
    for (let i = 10; i < 20; i++) fake.setRoles(snowflake(i), [BASE]);
  });

  it('Discord outage → no change; the plan says the snapshot was used', async () => {
    await run(target()); // a good read: the snapshot now matches LDAP
    fake.setRoles(snowflake(1), [BASE]); // would remove u1 from sre, were Discord readable
    fake.inject('*', ...Array.from({ length: 20 }, () => faults.serverError(503)));
    try {
      const { plan, tp } = await run(target());
      const src = plan.sources.find((x) => x.name === 'discord');
      assert.equal(src?.status, 'snapshot');
      assert.match(
        src?.notes.join('\n') ?? '',
        /members failed|failed: Service Unavailable[\s\S]*using last-known-good snapshot/,
      );
      assert.deepEqual(tp.changes, []);
      // Without any snapshot: the source is missing, nothing depending on it changes, and a guard says why.
      const fresh = await run(target(), new MemoryStore());
      assert.equal(fresh.plan.sources[0]?.status, 'missing');
      assert.deepEqual(fresh.tp.changes, []);
      assert.match(
        fresh.tp.verdicts.map((v) => v.message).join('\n'),
        /base role unknown \(source discord could not be read\)/,
      );
    } finally {
      fake.clearFaults();
    }
    assert.deepEqual(await sreMembers(), [EMPTY_MEMBER, userDn(1)].sort());
  });

  it('LDAP truncation (size limit on the bind account) → no change and a clear error', async () => {
    const { tp, results } = await run(target({}, LIMITED_BIND_DN));
    assert.equal(tp.error?.code, 'TARGET_FAILED');
    assert.match(
      tp.error?.message ?? '',
      /hit the server's size limit \(sizeLimitExceeded\) after \d+ entries; the read is incomplete/,
    );
    assert.deepEqual(tp.changes, []);
    assert.deepEqual(results, []);
    assert.deepEqual(await sreMembers(), [EMPTY_MEMBER, userDn(1)].sort());
  });

  it('enrolment with a template: a hostile display name is escaped into one RDN (RFC 4514)', async () => {
    fake.addMember({ id: snowflake(6000), roles: [BASE, SRE], nick: 'evil,ou=services+uid=root' });
    const t = target({
      enrol: {
        create: true,
        rdnAttribute: 'cn',
        uid: 'd{discordId}',
        uidPattern: '^d\\d{17,20}$',
        objectClasses: ['inetOrgPerson', 'gatehouseLockable'],
        attributes: { cn: '{displayName}', sn: 'x' },
      },
    });
    const { tp, results } = await run(t);
    const create = tp.changes.find((c) => c.id === 'create:discord:300000000000006000');
    assert.ok(create, JSON.stringify(tp.changes.map((c) => c.id)));
    assert.equal(results.find((r) => r.id === create.id)?.status, 'applied', JSON.stringify(results));
    const found = await s.ldapsearch(['-b', PEOPLE, '-s', 'one', `(employeeNumber=${snowflake(6000)})`, 'cn', 'uid']);
    assert.match(found, /^dn: cn=evil\\2Cou\\3Dservices\\2Buid\\3Droot,ou=people,dc=example,dc=org$/m);
    assert.match(found, /^cn: evil,ou=services\+uid=root$/m);
  });
});
