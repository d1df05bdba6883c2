import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addressProblem,
  canonicalAddress,
  catchAllProblem,
  fullAddressProblem,
  fullLoginProblem,
  loginProblem,
} from './address.ts';

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

  it('decides every address and login as the full checks do (generated table)', () => {
    // The one-pattern fast path must accept exactly what every check accepts, and give the same reason otherwise.
    let seed = 7;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const alphabet = [
      'a',
      'Z',
      '0',
      '.',
      '.',
      '@',
      '@',
      '#',
      '-',
      '_',
      '+',
      "'",
      '`',
      '~',
      ',',
      ' ',
      '\t',
      '\n',
      'é',
      '"',
      '[',
      ']',
      '\u0000',
      '\u007f',
    ];
    const pick = (xs: readonly string[]) => xs[Math.floor(rand() * xs.length)] as string;
    const cases = [
      ...['alice@example.org', 'A.B@Example.ORG', 'x@localhost', '#a@example.org', 'a@b', 'a@-b', 'a@b-', 'a@b.c-d.e'],
      ...[63, 64, 65].map((n) => `${'a'.repeat(n)}@example.org`),
      ...[61, 62, 63, 64].map((n) => `a@${'b'.repeat(n)}.org`),
      ...[252, 253, 254].map((n) => `a@${'b.'.repeat(n)}`.slice(0, n + 2)),
      ...[254, 255, 256].map((n) => 'l'.repeat(n)),
      '',
    ];
    for (let i = 0; i < 20_000; i++) {
      // Mostly plausible addresses with one or two characters swapped for an edge case, and some noise.
      const base = `${pick(['al', 'a.b', 'x', '#x', "o'b"])}${pick(['', '+t', '.'])}@${pick(['example.org', 'ex-a.org', 'l', '-x.org', 'x-.org', 'a..b'])}`;
      const chars = [...base];
      for (let k = Math.floor(rand() * 3); k > 0; k--) chars[Math.floor(rand() * chars.length)] = pick(alphabet);
      cases.push(chars.join(''));
    }
    let accepted = 0;
    let logins = 0;
    for (const c of cases) {
      assert.equal(addressProblem(c), fullAddressProblem(c), JSON.stringify(c));
      assert.equal(loginProblem(c), fullLoginProblem(c), JSON.stringify(c));
      if (fullAddressProblem(c) === undefined) accepted++;
      if (fullLoginProblem(c) === undefined) logins++;
    }
    // Both sides of each check are exercised.
    assert.ok(accepted > 1000 && accepted < cases.length - 1000, `${accepted} of ${cases.length} addresses valid`);
    assert.ok(logins > 1000 && logins < cases.length - 1000, `${logins} of ${cases.length} logins valid`);
  });

  it('canonical addresses are the lower-cased text, whatever the characters (table)', () => {
    const cases = [
      'a@x.org',
      'A@X.ORG',
      'Alice@Example.org',
      '',
      '@',
      'Z',
      '[]^_`{',
      'İ@x',
      'ΣΑΣ@x',
      'ẞ@x',
      'é@X',
      '\u0000A',
    ];
    for (const c of cases) assert.equal(canonicalAddress(c), c.toLowerCase(), JSON.stringify(c));
    for (let code = 0; code < 0x250; code++) {
      const c = `a${String.fromCharCode(code)}@x.org`;
      assert.equal(canonicalAddress(c), c.toLowerCase(), `U+${code.toString(16)}`);
    }
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
