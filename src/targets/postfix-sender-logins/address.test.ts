import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressProblem, catchAllProblem, loginProblem } from './address.ts';

describe('sender address validation', () => {
  const ok = ['alice@example.org', 'a.b+tag@mail.example.org', "o'brien@example.org", 'x@localhost'];
  for (const a of ok) it(`accepts ${a}`, () => assert.equal(addressProblem(a), undefined));

  const bad: [string, RegExp][] = [
    ['alice@example.org\nroot@example.org', /line break/],
    ['alice smith@example.org', /whitespace/],
    ['alice@example.org\troot', /whitespace/],
    ['alice\u0000@example.org', /control/],
    ['alice@exämple.org', /printable ASCII/],
    ['#alice@example.org', /starts with #/],
    ['alice', /no @/],
    ['@example.org', /empty local part/],
    ['alice@', /empty domain/],
    ['a..b@example.org', /dot-atom/],
    ['.a@example.org', /dot-atom/],
    ['"a b"@example.org', /whitespace/],
    ['"ab"@example.org', /dot-atom/],
    ['a@[192.0.2.1]', /not a host name/],
    ['a@-x.example.org', /not a host name/],
    [`${'a'.repeat(65)}@example.org`, /longer than 64/],
  ];
  for (const [a, why] of bad) it(`refuses ${JSON.stringify(a)}`, () => assert.match(addressProblem(a) ?? '', why));

  it('catch-alls are @domain only', () => {
    assert.equal(catchAllProblem('@int.example.org'), undefined);
    assert.match(catchAllProblem('x@int.example.org') ?? '', /@domain/);
    assert.match(catchAllProblem('@int example.org') ?? '', /whitespace/);
  });

  it('logins carry no separators', () => {
    assert.equal(loginProblem('svc-mailer'), undefined);
    assert.equal(loginProblem('alice@REALM.EXAMPLE'), undefined);
    assert.match(loginProblem('a,b') ?? '', /comma/);
    assert.match(loginProblem('a b') ?? '', /whitespace/);
    assert.match(loginProblem('a\nb') ?? '', /line break/);
    assert.match(loginProblem('') ?? '', /empty/);
  });
});
