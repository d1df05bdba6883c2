import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registerSecret } from '../core/redact.ts';
import { createLogger, toJson } from './output.ts';

const SECRET = 'a"b\\c-secret-123';
const ESCAPED = JSON.stringify(SECRET).slice(1, -1);

describe('CLI output masks secrets before serialising', () => {
  registerSecret(SECRET);

  it('JSON documents (stdout, plan files)', () => {
    const text = toJson({ summary: `write include file /srv/${SECRET}.nft`, notes: [SECRET] });
    assert.ok(!text.includes(SECRET) && !text.includes(ESCAPED), text);
    assert.deepEqual(JSON.parse(text), { notes: ['[redacted]'], summary: 'write include file /srv/[redacted].nft' });
  });

  it('log lines', () => {
    const lines: string[] = [];
    const logger = createLogger('info', (l) => lines.push(l));
    logger.info({ path: `/srv/${SECRET}`, nested: { why: [SECRET] } }, `refused ${SECRET}`);
    assert.equal(lines.length, 1);
    const line = lines[0] ?? '';
    assert.ok(!line.includes(SECRET) && !line.includes(ESCAPED), line);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.equal(parsed.msg, 'refused [redacted]');
    assert.deepEqual(parsed.nested, { why: ['[redacted]'] });
    assert.equal(parsed.path, '/srv/[redacted]');
  });
});
