import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as z from 'zod';
import { digest } from '../canonical-json.ts';
import { loadConfig } from './load.ts';

const schema = z
  .object({ sources: z.record(z.string(), z.object({ type: z.string(), token: z.string() }).strict()) })
  .strict();

function configFile(text: string, secretFile = 'file-secret'): string {
  const dir = mkdtempSync(join(tmpdir(), 'gh-digest-'));
  writeFileSync(join(dir, 'secret'), secretFile);
  writeFileSync(join(dir, 'gatehouse.yaml'), text);
  return join(dir, 'gatehouse.yaml');
}

const TEXT = 'sources:\n  a: { type: t, token: "${env:TOKEN}" }\n  b: { type: t, token: "${file:secret}" }\n';

describe('the config digest', () => {
  it('is the same whatever the secret values are', async () => {
    const one = await loadConfig(configFile(TEXT, 'file-one'), schema, { env: { TOKEN: 'guess-one' } });
    const two = await loadConfig(configFile(TEXT, 'file-two'), schema, { env: { TOKEN: 'guess-two' } });
    assert.equal(one.value.sources.a?.token, 'guess-one');
    assert.equal(two.value.sources.a?.token, 'guess-two');
    assert.equal(one.digest, two.digest);
  });

  it('cannot be reproduced from a guessed secret value', async () => {
    const cfg = await loadConfig(configFile(TEXT), schema, { env: { TOKEN: 'hunter2' } });
    const guess = { sources: { a: { type: 't', token: 'hunter2' }, b: { type: 't', token: 'file-secret' } } };
    assert.notEqual(cfg.digest, digest(guess));
  });

  it('changes when a reference changes', async () => {
    const env = { TOKEN: 'same', OTHER: 'same' };
    const one = await loadConfig(configFile(TEXT), schema, { env });
    const two = await loadConfig(configFile(TEXT.replace('env:TOKEN', 'env:OTHER')), schema, { env });
    assert.equal(one.value.sources.a?.token, two.value.sources.a?.token);
    assert.notEqual(one.digest, two.digest);
  });
});
