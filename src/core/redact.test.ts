import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from './canonical-json.ts';
import { redact, redactValue, registerSecret } from './redact.ts';

/** A secret whose JSON escape (`a\"b\\c…`) differs from the raw value: masking the JSON text would miss it. */
const SECRET = 'a"b\\c-secret-123';
const ESCAPED = JSON.stringify(SECRET).slice(1, -1);

describe('redaction', () => {
  registerSecret(SECRET);

  it('masks secrets in every string of a value before it is serialised, keys included', () => {
    const plan = {
      id: 'p1',
      targets: [{ summary: `write include file /srv/${SECRET}.nft`, notes: [SECRET], n: 3, ok: true, none: null }],
      [`key-${SECRET}`]: { message: `token ${SECRET} refused` },
    };
    const json = canonicalJson(redactValue(plan), 2);
    assert.ok(!json.includes(SECRET) && !json.includes(ESCAPED), json);
    assert.deepEqual(redactValue(plan), {
      id: 'p1',
      targets: [
        { summary: 'write include file /srv/[redacted].nft', notes: ['[redacted]'], n: 3, ok: true, none: null },
      ],
      'key-[redacted]': { message: 'token [redacted] refused' },
    });
    assert.equal(plan.targets[0]?.notes[0], SECRET, 'the input is not modified');
  });

  it('also masks the JSON-escaped form in text that is already serialised', () => {
    const text = JSON.stringify({ message: `token ${SECRET}` });
    assert.ok(text.includes(ESCAPED));
    assert.equal(redact(text), '{"message":"token [redacted]"}');
  });
});
