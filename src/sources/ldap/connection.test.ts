import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ldapSourceSchema } from './config.ts';
import { entryReader } from '../../adapters/ldap/connection.ts';
import { peopleAttributes } from './read.ts';

describe('entryReader (ldapts entry objects, read in place)', () => {
  // Shaped like ldapts' searchPaginated output: server spellings, a single value as a string, `[]` under the requested
  // spelling for a requested attribute the entry lacks, a Buffer where a value is not valid UTF-8.
  const read = entryReader(['uid', 'employeenumber', 'mail', 'nsAccountLock']);

  it('finds values whatever the case of the request and of the server', () => {
    const e = read({
      dn: 'uid=a,ou=people,dc=x',
      uid: 'a',
      employeeNumber: '300000000000000001',
      mail: ['a@x.org', 'b@x.org'],
      nsAccountLock: [],
    });
    assert.equal(e.dn, 'uid=a,ou=people,dc=x');
    assert.equal(e.first('UID'), 'a');
    assert.equal(e.first('employeeNumber'), '300000000000000001', 'server spelling differs from the requested one');
    assert.deepEqual(e.all('EmployeeNumber'), ['300000000000000001']);
    assert.deepEqual(e.all('mail'), ['a@x.org', 'b@x.org']);
  });

  it('an absent attribute (placeholder or not sent at all) has no values', () => {
    const e = read({ dn: 'uid=b,dc=x', uid: 'b', employeenumber: [], mail: [], nsAccountLock: [] });
    assert.equal(e.first('nsAccountLock'), undefined);
    assert.deepEqual(e.all('employeeNumber'), []);
    assert.deepEqual(e.all('displayName'), [], 'never requested, never sent');
  });

  it('an attribute that was not requested is still found, by scanning once', () => {
    const e = read({ dn: 'uid=c,dc=x', uid: 'c', description: 'service' });
    assert.equal(e.first('DESCRIPTION'), 'service');
  });

  it('values that are not UTF-8 (Buffers from ldapts) become strings', () => {
    const e = read({ dn: 'uid=d,dc=x', uid: Buffer.from('d'), mail: ['x@y', Buffer.from('z@y')] });
    assert.equal(e.first('uid'), 'd');
    assert.deepEqual(e.all('mail'), ['x@y', 'z@y']);
  });

  it('a server sends an attribute once per entry: of two spellings, the first known one decides', () => {
    const e = read({ dn: 'uid=e,dc=x', mail: 'a@x', MAIL: ['b@x'] });
    assert.deepEqual(e.all('mail'), ['a@x']);
  });
});

describe('peopleAttributes', () => {
  const base = {
    type: 'ldap',
    connection: { url: 'ldap://127.0.0.1:1', bindDn: 'cn=x', bindPassword: 'pw-123456' },
    people: { base: 'ou=people,dc=x' },
  };

  it('requests lock attributes only when locked accounts are left out, memberOf only for memberOf groups', () => {
    assert.deepEqual(peopleAttributes(ldapSourceSchema.parse(base)), [
      'uid',
      'employeeNumber',
      'mail',
      'displayName',
      'nsAccountLock',
      'pwdAccountLockedTime',
    ]);
    assert.deepEqual(peopleAttributes(ldapSourceSchema.parse({ ...base, lockedAccounts: 'include' })), [
      'uid',
      'employeeNumber',
      'mail',
      'displayName',
    ]);
    const memberOf = ldapSourceSchema.parse({
      ...base,
      people: { base: 'ou=people,dc=x', lock: { pwdAccountLockedTime: false } },
      groups: { base: 'ou=groups,dc=x', membership: 'memberOf' },
    });
    assert.deepEqual(peopleAttributes(memberOf), [
      'uid',
      'employeeNumber',
      'mail',
      'displayName',
      'nsAccountLock',
      'memberOf',
    ]);
  });
});
