import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as z from 'zod';
import { isGatehouseError } from '../errors.ts';
import { loadConfig } from './load.ts';

// Promises docs/configuration.md makes about includes that bounds.test.ts does not cover.
const schema = z
  .object({ sources: z.record(z.string(), z.object({ type: z.literal('static') }).strict()).default({}) })
  .strict();

async function failure(dir: string): Promise<string> {
  try {
    await loadConfig(join(dir, 'gatehouse.yaml'), schema, { env: {} });
  } catch (e) {
    assert.ok(isGatehouseError(e), `not a GatehouseError: ${String(e)}`);
    assert.equal(e.code, 'CONFIG_INVALID');
    return e.message;
  }
  assert.fail('expected the configuration to be rejected');
}

function withIncludes(count: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'gh-include-limits-'));
  writeFileSync(join(dir, 'gatehouse.yaml'), 'include: ["conf.d/*.yaml"]\n');
  mkdirSync(join(dir, 'conf.d'));
  for (let i = 0; i < count; i++)
    writeFileSync(join(dir, 'conf.d', `${String(i).padStart(3, '0')}.yaml`), 'sources: {}\n');
  return dir;
}

describe('include limits stated in the docs', () => {
  it('reads 256 included files and refuses 257, at the include', async () => {
    const cfg = await loadConfig(join(withIncludes(256), 'gatehouse.yaml'), schema, { env: {} });
    assert.equal(cfg.files.length, 257);
    assert.match(await failure(withIncludes(257)), /gatehouse\.yaml:1:\d+: include\.0: matches more than 256 files/);
  });

  it('refuses a directory an include glob matches', async () => {
    const dir = withIncludes(1);
    mkdirSync(join(dir, 'conf.d', 'nested.yaml'));
    assert.match(await failure(dir), /nested\.yaml: .*not a regular file/);
  });
});
