import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { connectionSecrets, redactConnectionString, scrubSecrets } from '../../src/store/connection-string.ts';

describe('redactConnectionString', () => {
  const cases: [string, string][] = [
    ['postgres://gh:s3cret@db.example:5432/gatehouse', 'postgres://gh:***@db.example:5432/gatehouse'],
    ['postgresql://gh:p%40ss@db/gh?sslmode=require', 'postgresql://gh:***@db/gh?sslmode=require'],
    ['postgres://gh:p@ss/word@db/gh', 'postgres://gh:***@db/gh'],
    ['postgres://gh@db/gh?password=s3cret&sslmode=require', 'postgres://gh@db/gh?password=***&sslmode=require'],
    ["host=db user=gh password='s3 cret' dbname=gh", 'host=db user=gh password=*** dbname=gh'],
    ['postgres://db.example:5432/gatehouse', 'postgres://db.example:5432/gatehouse'],
  ];
  for (const [input, expected] of cases)
    it(`masks ${expected}`, () => assert.equal(redactConnectionString(input), expected));
});

describe('connectionSecrets', () => {
  it('finds userinfo and keyword passwords, raw and percent-decoded', () => {
    assert.deepEqual(connectionSecrets('postgres://gh:p%40ss@db/gh?sslpassword=k3y'), ['p%40ss', 'p@ss', 'k3y']);
    assert.deepEqual(connectionSecrets("host=db password='s3 cret'"), ['s3 cret']);
    assert.deepEqual(connectionSecrets('postgres://gh@db/gh'), []);
  });
});

describe('scrubSecrets', () => {
  it('keeps an error that quotes no secret', () => {
    const e = new Error('connect ECONNREFUSED');
    assert.equal(scrubSecrets(e, ['s3cret']), e);
  });

  it('replaces an error quoting a secret anywhere, even in a field or a cause, by a scrubbed copy', () => {
    const inner = Object.assign(new TypeError('Invalid URL'), {
      code: 'ERR_INVALID_URL',
      input: 'postgres://u:s3cret@h',
    });
    const outer = new Error('could not connect as u:s3cret', { cause: inner });
    const scrubbed = scrubSecrets(Object.assign(outer, { code: 'E1' }), ['s3cret']);
    assert.ok(scrubbed instanceof Error);
    assert.equal(inspect(scrubbed, { depth: 10 }).includes('s3cret'), false);
    assert.equal(scrubbed.message, 'could not connect as u:***: Invalid URL');
    assert.equal((scrubbed as Error & { code?: string }).code, 'E1');
  });
});
