import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as z from 'zod';
import { ConfigError, loadConfig } from './load.ts';
import { secretField } from './secret-field.ts';

const schema = z
  .object({
    sources: z.record(
      z.string(),
      z.discriminatedUnion('type', [
        z.object({ type: z.literal('api'), token: secretField(z.string()), maxShrink: z.number().optional() }).strict(),
        z.object({ type: z.literal('list'), items: z.array(z.string()) }).strict(),
      ]),
    ),
  })
  .strict();

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gh-warn-'));
  writeFileSync(join(dir, 'gatehouse.yaml'), text);
  return join(dir, 'gatehouse.yaml');
}

const where = (i: {
  position?: { line: number; col: number } | undefined;
  path: readonly unknown[];
  message: string;
}) => `${i.position?.line}:${i.position?.col} ${i.path.join('.')}: ${i.message}`;

describe('loader warnings and hints', () => {
  it('warns about a literal in a secret field, at its position, without the value', async () => {
    const cfg = await loadConfig(
      file(
        'sources:\n  a:\n    type: api\n    token: plain-text-token\n  b: { type: api, token: "Bearer ${env:T}" }\n',
      ),
      schema,
      { env: { T: 'x' } },
    );
    assert.deepEqual(cfg.warnings.map(where), [
      '4:12 sources.a.token: holds a secret written inline; write ${env:NAME} or ${file:PATH} so the secret stays out of the configuration file',
    ]);
  });

  it('passes on warnings of the caller, placed at their path', async () => {
    const cfg = await loadConfig(file('sources: {}\n'), schema, {
      warn: () => [{ path: ['sources'], message: 'nothing here' }],
    });
    assert.deepEqual(cfg.warnings.map(where), ['1:1 sources: nothing here']);
  });

  it('suggests the closest key of the option the value chose, at the key itself', async () => {
    const err = await loadConfig(
      file('sources:\n  a:\n    type: api\n    token: "${env:T}"\n    maxShrnk: 1\n  b: { type: list, itmes: [] }\n'),
      schema,
      { env: { T: 'x' } },
    ).catch((e: unknown) => e);
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.issues.map(where).sort(), [
      '5:5 sources.a.maxShrnk: unknown key "maxShrnk"; did you mean "maxShrink"?',
      '6:20 sources.b.itmes: unknown key "itmes"; did you mean "items"?',
      '6:3 sources.b.items: Invalid input: expected array, received undefined',
    ]);
  });

  it('hints how to name the configuration when the file is missing', async () => {
    await assert.rejects(
      loadConfig(join(tmpdir(), 'no-such-dir-gh', 'gatehouse.yaml'), schema, { missingHint: 'try --config' }),
      /gatehouse\.yaml: no such configuration file; try --config$/,
    );
  });
});
