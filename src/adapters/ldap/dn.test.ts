import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EqualityFilter } from 'ldapts';
import { childDn, escapeDnValue, isUnder, normalizeDn, normalizeParsedDn, parseDn } from './dn.ts';

describe('RFC 4514 DN escaping', () => {
  it('escapes every special character, leading # or space, trailing space and NUL', () => {
    assert.equal(escapeDnValue('a,b+c"d\\e<f>g;h=i'), 'a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\=i');
    assert.equal(escapeDnValue('#x '), '\\#x\\ ');
    assert.equal(escapeDnValue(' x'), '\\ x');
    assert.equal(escapeDnValue('a\0b'), 'a\\00b');
  });

  it('a hostile value stays one RDN under the intended parent', () => {
    const dn = childDn('cn', 'evil,ou=services,dc=example,dc=org', 'ou=people,dc=example,dc=org');
    assert.equal(parseDn(dn).length, 4);
    assert.deepEqual(parseDn(dn)[0], ['cn', 'evil,ou=services,dc=example,dc=org']);
    assert.ok(isUnder(dn, 'ou=people,dc=example,dc=org'));
    assert.ok(!isUnder(dn, 'ou=services,dc=example,dc=org'));
    assert.throws(() => childDn('cn=x,ou', 'v', 'dc=x'));
  });

  it('normalises spelling differences, hex escapes included', () => {
    assert.equal(normalizeDn('UID=Alice, OU=People,dc=Example'), 'uid=alice,ou=people,dc=example');
    assert.equal(normalizeDn('cn=a\\2Cb,dc=x'), normalizeDn('cn=a\\,b,dc=x'));
  });

  it('a plain DN already in lower case is its own normal form; one letter in upper case is lowered', () => {
    const cases: [string, string][] = [
      ['uid=alice,ou=people,dc=example,dc=org', 'uid=alice,ou=people,dc=example,dc=org'],
      ['uid=alice,ou=people,dc=example,dc=orG', 'uid=alice,ou=people,dc=example,dc=org'],
      ['Uid=alice,ou=people,dc=example,dc=org', 'uid=alice,ou=people,dc=example,dc=org'],
      ['cn=a-b_c.d@e~f,dc=x', 'cn=a-b_c.d@e~f,dc=x'],
    ];
    for (const [dn, want] of cases) assert.equal(normalizeDn(dn), want, dn);
  });

  it('the fast path (lower-casing plain DNs) agrees with parsing on every generated DN', () => {
    // Characters chosen to hit every rule: separators, escapes, spaces, `#`, `=`, non-ASCII, a multi-valued RDN.
    const special = [' ', '#', '=', ',', '+', '"', '\\', ';', '<', '>', 'é', 'Σ'];
    // Weighted towards plain characters so that many DNs are in normal form but for case: the fast path's cases.
    const alphabet = [...special, ...'aZ0-._bY7()@~*qx'];
    let seed = 42;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    let checked = 0;
    let lowerOnly = 0;
    for (let i = 0; i < 20_000; i++) {
      const rdns = Array.from({ length: 1 + rnd(3) }, () => {
        const value = Array.from({ length: 1 + rnd(6) }, () => alphabet[rnd(alphabet.length)]).join('');
        return `${['uid', 'CN', 'ou', 'dc', ' cn'][rnd(5)]}=${value}`;
      });
      const dn = rdns.join(',');
      let slow: string;
      try {
        slow = normalizeParsedDn(dn);
      } catch {
        assert.throws(() => normalizeDn(dn), dn);
        continue;
      }
      assert.equal(normalizeDn(dn), slow, JSON.stringify(dn));
      if (slow === dn.toLowerCase()) lowerOnly++;
      checked++;
    }
    assert.ok(checked > 5000);
    assert.ok(lowerOnly > 2000, `only ${lowerOnly} DNs were already normal but for case`);
    for (const plain of ['uid=u000001,ou=people,dc=example,dc=org', 'CN=Ops Team (EU),OU=Groups,DC=Example,DC=Org']) {
      assert.equal(normalizeDn(plain), normalizeParsedDn(plain));
      assert.equal(normalizeDn(plain), plain.toLowerCase());
    }
  });
});

describe('RFC 4515 filter values', () => {
  it('EqualityFilter escapes a value that would widen the search', () => {
    assert.equal(new EqualityFilter({ attribute: 'uid', value: '*)(uid=*' }).toString(), '(uid=\\2a\\29\\28uid=\\2a)');
  });
});
