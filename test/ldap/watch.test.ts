import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ldapSource } from '../../src/sources/ldap/index.ts';
import { BIND_DN, BIND_PASSWORD, GROUPS, PEOPLE, skipUnlessSlapd, startSlapd, type Slapd } from '../harness/slapd.ts';
import { directoryLdif, userDn } from './directory.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ldap source change polling against slapd', { skip: skipUnlessSlapd() }, () => {
  let s: Slapd;
  before(async () => {
    s = await startSlapd({
      ldif: directoryLdif({ users: 20, groups: [{ cn: 'sre', members: [userDn(1), userDn(2)] }] }),
    });
  });
  after(() => s?.stop());

  function watching(pollInterval: number) {
    const config = ldapSource.schema.parse({
      type: 'ldap',
      connection: { url: s.url, bindDn: BIND_DN, bindPassword: BIND_PASSWORD },
      people: { base: PEOPLE },
      groups: { base: GROUPS },
      pollInterval,
    });
    const source = ldapSource.create('dir', config, testDeps());
    const reasons: string[] = [];
    const ac = new AbortController();
    const done = source.watch?.(ac.signal, (r) => reasons.push(r));
    return { reasons, stop: async () => (ac.abort(), await done) };
  }

  it('notifies once per change of a group or a person, and stays quiet while nothing changes', async () => {
    const w = watching(150);
    try {
      await sleep(700);
      assert.deepEqual(w.reasons, [], 'an idle directory raises nothing');
      await s.ldapmodify(`dn: cn=sre,${GROUPS}\nchangetype: modify\nadd: member\nmember: ${userDn(3)}\n`);
      const t0 = Date.now();
      while (w.reasons.length === 0 && Date.now() - t0 < 5_000) await sleep(20);
      assert.deepEqual(w.reasons, ['ldap-change']);
      await sleep(600);
      assert.deepEqual(w.reasons, ['ldap-change'], 'the same change is reported once');
      await s.ldapmodify(`dn: ${userDn(5)}\nchangetype: modify\nreplace: displayName\ndisplayName: Renamed\n`);
      const t1 = Date.now();
      while (w.reasons.length === 1 && Date.now() - t1 < 5_000) await sleep(20);
      assert.deepEqual(w.reasons, ['ldap-change', 'ldap-change']);
    } finally {
      await w.stop();
    }
  });

  it('pollInterval 0 disables watching', async () => {
    const w = watching(0);
    await w.stop();
    assert.deepEqual(w.reasons, []);
  });
});
