import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ldapSource } from '../../src/sources/ldap/index.ts';
import { createLdapGroupsTarget, ldapGroupsTarget } from '../../src/targets/ldap-groups/index.ts';
import { BIND_DN, BIND_PASSWORD, GROUPS, PEOPLE, skipUnlessSlapd, startSlapd, type Slapd } from '../harness/slapd.ts';
import { EMPTY_MEMBER, directoryLdif } from './directory.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';

const USERS = 50;
const signal = () => AbortSignal.timeout(30_000);
const skip = skipUnlessSlapd() || (existsSync('/usr/bin/openssl') ? false : 'needs openssl');

/**
 * TLS against a real slapd that serves LDAPS and StartTLS with a throwaway self-signed certificate for 127.0.0.1, and
 * refuses simple binds without TLS: a read that succeeds was encrypted.
 */
describe('ldap over StartTLS and LDAPS against slapd', { skip }, () => {
  let s: Slapd;
  // The source resolves caFile against the config directory: the harness's temp dir holds cert.pem.
  const deps = () => testDeps({ baseDir: s.dir });

  function source(connection: Record<string, unknown>) {
    const config = ldapSource.schema.parse({
      type: 'ldap',
      connection: {
        bindDn: BIND_DN,
        bindPassword: BIND_PASSWORD,
        timeoutMs: 5000,
        connectTimeoutMs: 5000,
        ...connection,
      },
      people: { base: PEOPLE },
    });
    return ldapSource.create('dir', config, deps());
  }

  before(async () => {
    s = await startSlapd({
      tls: true,
      requireTls: true,
      sizeLimit: 'unlimited',
      ldif: directoryLdif({ users: USERS, groups: [{ cn: 'sre', members: [EMPTY_MEMBER] }] }),
    });
  });
  after(() => s?.stop());

  it('the server really refuses a bind without TLS, and the error says how to fix the config', async () => {
    await assert.rejects(source({ url: s.url }).read(signal()), (e: Error & { terminal?: boolean }) => {
      assert.equal(e.terminal, true);
      assert.match(
        e.message,
        /the server requires TLS to bind as uid=gatehouse,.*\((ConfidentialityRequired|StrongAuthRequired)Error \(LDAP result \d+\).*\); set connection\.startTls: true or use an ldaps:\/\/ URL\. The password was sent unencrypted\.$/,
      );
      return true;
    });
  });

  it('StartTLS with the CA trusted (caFile relative to the config directory): a complete read', async () => {
    const read = await source({ url: s.url, startTls: true, tls: { caFile: 'cert.pem' } }).read(signal());
    assert.equal(read.complete, true, read.notes.join('; '));
    assert.equal(read.facts.people?.length, USERS);
  });

  it('LDAPS with the CA trusted: a complete read', async () => {
    const read = await source({ url: s.ldapsUrl, tls: { caFile: `${s.dir}/cert.pem` } }).read(signal());
    assert.equal(read.complete, true, read.notes.join('; '));
    assert.equal(read.facts.people?.length, USERS);
  });

  it('the ldap-groups target observes over StartTLS too', async () => {
    const target = createLdapGroupsTarget(
      'ldap',
      ldapGroupsTarget.schema.parse({
        type: 'ldap-groups',
        connection: {
          url: s.url,
          bindDn: BIND_DN,
          bindPassword: BIND_PASSWORD,
          startTls: true,
          tls: { caFile: 'cert.pem' },
        },
        people: { base: PEOPLE },
        mappings: [{ group: 'discord/SRE', ldapGroup: `cn=sre,${GROUPS}` }],
      }),
      deps(),
    );
    const observed = await target.observe(signal());
    assert.equal(observed.accounts.length, USERS);
    assert.deepEqual(observed.groups, [{ dn: `cn=sre,${GROUPS}`, members: [EMPTY_MEMBER] }]);
  });

  for (const how of ['StartTLS', 'LDAPS'] as const) {
    it(`${how} to a certificate the client does not trust fails closed with a clear, terminal error`, async () => {
      const url = how === 'StartTLS' ? s.url : s.ldapsUrl;
      const conn = { url, ...(how === 'StartTLS' ? { startTls: true } : {}) };
      await assert.rejects(source(conn).read(signal()), (e: Error & { code?: string; terminal?: boolean }) => {
        assert.equal(e.code, 'SOURCE_INCOMPLETE');
        assert.equal(e.terminal, true, 'retrying cannot help until the configuration or the certificate changes');
        assert.match(
          e.message,
          new RegExp(
            `^source dir: LDAP ${url?.replace(/[.]/g, '\\.')}: ${how}: the server's certificate is not trusted \\(DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate\\); set connection\\.tls\\.caFile to the CA that signed it\\. The bind was not attempted\\.$`,
          ),
        );
        assert.doesNotMatch(e.message, new RegExp(BIND_PASSWORD));
        return true;
      });
    });
  }

  it('a trusted certificate for another name is rejected, naming the fix', async () => {
    const read = source({
      url: s.ldapsUrl,
      tls: { caFile: 'cert.pem', servername: 'ldap.example.org' },
    }).read(signal());
    await assert.rejects(read, (e: Error & { terminal?: boolean }) => {
      assert.equal(e.terminal, true);
      assert.match(
        e.message,
        /LDAPS: the server's certificate is not trusted \(ERR_TLS_CERT_ALTNAME_INVALID: .*ldap\.example\.org.*\); connect by a name the certificate holds, or set connection\.tls\.servername to it/,
      );
      return true;
    });
  });

  it('the harness tools themselves go through StartTLS (ldapsearch -ZZ)', async () => {
    const out = await s.ldapsearch(['-b', PEOPLE, '-s', 'base', '(objectClass=*)', 'ou']);
    assert.match(out, /^ou: people$/m);
  });
});
