import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ldapSource } from '../../src/sources/ldap/index.ts';
import {
  BIND_DN,
  BIND_PASSWORD,
  GROUPS,
  PEOPLE,
  SERVICES,
  skipUnlessSlapd,
  startSlapd,
  type Slapd,
} from '../harness/slapd.ts';
import { directoryLdif, snowflake, uidOf, userDn } from './directory.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';

const deps = testDeps();
const USERS = 3000;

function source(s: Slapd, extra: Record<string, unknown> = {}, conn: Record<string, unknown> = {}) {
  const config = ldapSource.schema.parse({
    type: 'ldap',
    connection: { url: s.url, bindDn: BIND_DN, bindPassword: BIND_PASSWORD, timeoutMs: 20_000, ...conn },
    people: { base: PEOPLE },
    groups: { base: GROUPS },
    ...extra,
  });
  return ldapSource.create('dir', config, deps);
}

const signal = () => AbortSignal.timeout(60_000);

describe('ldap source against slapd (default sizelimit 500)', { skip: skipUnlessSlapd() }, () => {
  let s: Slapd;
  before(async () => {
    s = await startSlapd({
      ldif: directoryLdif({
        users: USERS,
        locked: [7],
        groups: [
          { cn: 'staff', members: [userDn(1), userDn(2), `cn=sre,${GROUPS}`] },
          { cn: 'sre', members: [userDn(3), `cn=oncall,${GROUPS}`] },
          // A cycle back to sre: resolution must terminate and include everyone once.
          { cn: 'oncall', members: [userDn(4), `cn=sre,${GROUPS}`, userDn(7), `uid=gatehouse,${SERVICES}`] },
        ],
      }),
    });
  });
  after(() => s?.stop());

  it('a search truncated by the server size limit marks the read incomplete, never a short list', async () => {
    // Same query with ldapsearch: the server really stops at 500.
    const r = await s
      .ldapsearch(['-E', 'pr=100/noprompt', '-b', PEOPLE, '(objectClass=inetOrgPerson)', 'uid'])
      .catch((e: Error) => e.message);
    assert.match(r, /Size limit exceeded/i);
    const read = await source(s).read(signal());
    assert.equal(read.complete, false);
    assert.deepEqual(read.facts, {});
    assert.match(read.notes.join('\n'), /size limit \(sizeLimitExceeded\) after \d+ entries; the read is incomplete/);
  });
});

describe('ldap source against slapd (no size limit)', { skip: skipUnlessSlapd() }, () => {
  let s: Slapd;
  before(async () => {
    s = await startSlapd({
      sizeLimit: 'unlimited',
      ldif: directoryLdif({
        users: USERS,
        locked: [7],
        groups: [
          { cn: 'staff', members: [userDn(1), userDn(2), `cn=sre,${GROUPS}`] },
          { cn: 'sre', members: [userDn(3), `cn=oncall,${GROUPS}`] },
          { cn: 'oncall', members: [userDn(4), `cn=sre,${GROUPS}`, userDn(7), `uid=gatehouse,${SERVICES}`] },
          { cn: '*)(cn=*', members: [userDn(5)] },
        ],
      }),
    });
  });
  after(() => s?.stop());

  it('reads thousands of people through paged searches, with nested groups resolved', async () => {
    const read = await source(s, {}, { pageSize: 250 }).read(signal());
    assert.equal(read.complete, true, read.notes.join('; '));
    assert.equal(read.facts.people?.length, USERS - 1, 'the locked account is left out');
    const p1 = read.facts.people?.find((p) => p.id === `ldap:${uidOf(1)}`);
    assert.deepEqual(p1, {
      id: `ldap:${uidOf(1)}`,
      displayName: 'User 1',
      accounts: { ldap: uidOf(1), discord: snowflake(1), emails: [`${uidOf(1)}@example.org`] },
    });
    const groups = new Map(read.facts.groups?.map((g) => [g.name, g.members]));
    assert.deepEqual(
      groups.get('staff'),
      [1, 2, 3, 4].map((i) => `ldap:${uidOf(i)}`),
    );
    assert.deepEqual(
      groups.get('sre'),
      [3, 4].map((i) => `ldap:${uidOf(i)}`),
    );
    assert.deepEqual(
      groups.get('oncall'),
      [3, 4].map((i) => `ldap:${uidOf(i)}`),
    );
    assert.match(read.notes.join('\n'), /1 locked account/);
  });

  it('hostile group names are escaped: "*)(cn=*" matches only the group literally named so', async () => {
    const read = await source(s, { groups: { base: GROUPS, only: ['*)(cn=*'] } }).read(signal());
    assert.equal(read.complete, true, read.notes.join('; '));
    assert.deepEqual(
      read.facts.groups?.map((g) => g.name),
      ['*)(cn=*'],
    );
    const none = await source(s, { groups: { base: GROUPS, only: ['staff)(cn=*'] } }).read(signal());
    assert.equal(none.complete, false, 'a configured group not found is an incomplete read, not an empty group');
  });

  it('memberOf style (memberof overlay) resolves the same nested groups as member style', async () => {
    // Added online: slapadd bypasses overlays, so only these entries carry memberOf.
    const add = (cn: string, members: readonly string[]) =>
      s.ldapmodify(
        `dn: cn=${cn},${GROUPS}\nchangetype: add\nobjectClass: groupOfNames\ncn: ${cn}\n${members.map((m) => `member: ${m}\n`).join('')}`,
      );
    await add('m-sre', [userDn(3)]);
    await add('m-staff', [userDn(1), `cn=m-sre,${GROUPS}`]);
    try {
      const groups = { base: GROUPS, only: ['m-staff', 'm-sre'] };
      const byMemberOf = await source(s, { groups: { ...groups, membership: 'memberOf' } }).read(signal());
      const byMember = await source(s, { groups }).read(signal());
      assert.equal(byMemberOf.complete, true, byMemberOf.notes.join('; '));
      const expected = [
        { name: 'm-sre', members: [`ldap:${uidOf(3)}`] },
        { name: 'm-staff', members: [`ldap:${uidOf(1)}`, `ldap:${uidOf(3)}`] },
      ];
      assert.deepEqual(byMemberOf.facts.groups, expected);
      assert.deepEqual(byMember.facts.groups, expected);
    } finally {
      for (const cn of ['m-staff', 'm-sre']) {
        await s.ldapmodify(`dn: cn=${cn},${GROUPS}\nchangetype: delete\n`).catch(() => {});
      }
    }
  });

  it('a refused bind is a clear terminal error that does not contain the password', async () => {
    await assert.rejects(
      source(s, {}, { bindPassword: 'wrong-password-123' }).read(signal()),
      (e: Error & { code?: string; terminal?: boolean }) => {
        assert.equal(e.code, 'SOURCE_INCOMPLETE');
        assert.equal(e.terminal, true);
        assert.match(e.message, /bind as uid=gatehouse,ou=services,dc=example,dc=org refused: invalid credentials/);
        assert.doesNotMatch(e.message, /wrong-password-123/);
        return true;
      },
    );
  });

  it('StartTLS to a server that offers no TLS fails closed: terminal, and no bind was attempted', async () => {
    await assert.rejects(source(s, {}, { startTls: true }).read(signal()), (e: Error & { terminal?: boolean }) => {
      assert.equal(e.terminal, true);
      assert.match(
        e.message,
        /the server refused StartTLS \(ProtocolError \(LDAP result 2\): unsupported extended operation\); it offers no TLS on this port\. The bind was not attempted\.$/,
      );
      return true;
    });
  });

  it('a server that is down gives an incomplete read naming the server', async () => {
    const read = await source(s, {}, { url: 'ldap://127.0.0.1:1', connectTimeoutMs: 2000 }).read(signal());
    assert.equal(read.complete, false);
    assert.match(read.notes.join('\n'), /LDAP ldap:\/\/127\.0\.0\.1:1: cannot connect and bind as .*ECONNREFUSED/);
  });

  it('a referral (search continuation reference) marks the read incomplete', async () => {
    await s.ldapmodify(
      `dn: ou=elsewhere,${PEOPLE}\nchangetype: add\nobjectClass: referral\nobjectClass: extensibleObject\nou: elsewhere\nref: ldap://127.0.0.2/ou=people,dc=other,dc=org\n`,
    );
    try {
      const read = await source(s).read(signal());
      assert.equal(read.complete, false);
      assert.match(
        read.notes.join('\n'),
        /referral\(s\) \(ldap:\/\/127\.0\.0\.2\/.*not followed; the read is incomplete/,
      );
    } finally {
      await s.ldapmodify(`dn: ou=elsewhere,${PEOPLE}\nchangetype: delete\n`).catch(() => {});
    }
  });
});
