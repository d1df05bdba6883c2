import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineProblem, parseTable, renderLine, renderTable } from './render.ts';

describe('postfix-sender-logins table text', () => {
  it('parses what Postfix reads: comments, blank lines, continuations, comma or space lists, later duplicates win', () => {
    const text = ['# header', '', 'B@X.org  b1, b2', 'team@x.org a,', '    c', 'b@x.org b3', 'lonely@x.org'].join('\n');
    assert.deepEqual(parseTable(text), [
      { address: 'b@x.org', logins: ['b3'] },
      { address: 'lonely@x.org', logins: [] },
      { address: 'team@x.org', logins: ['a', 'c'] },
    ]);
  });

  it('renders what it parses back', () => {
    const entries = [
      { address: 'a@x.org', logins: ['a'] },
      { address: 'team@x.org', logins: ['a', 'b'] },
    ];
    assert.deepEqual(parseTable(renderTable(entries.map(renderLine), 't')), entries);
  });

  it('refuses lines that are not one entry', () => {
    assert.equal(lineProblem('a@x.org a,b'), undefined);
    assert.equal(lineProblem('@x.org svc'), undefined);
    assert.match(lineProblem('a@x.org') ?? '', /not "address logins"/);
    assert.match(lineProblem('a@x.org a,,b') ?? '', /login "" is empty/);
    assert.match(lineProblem('a@x.org a\nb@x.org b') ?? '', /line break/);
  });
});
