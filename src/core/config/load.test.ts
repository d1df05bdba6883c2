import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as z from 'zod';
import { redact } from '../redact.ts';
import { ConfigError, loadConfig } from './load.ts';

const schema = z
  .object({
    sources: z
      .record(
        z.string(),
        z
          .object({
            type: z.literal('static'),
            addresses: z.array(z.string()).optional(),
            token: z.string().optional(),
          })
          .strict(),
      )
      .default({}),
    targets: z.record(z.string(), z.object({ type: z.string(), port: z.number().int() }).strict()).default({}),
  })
  .strict();

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gh-config-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

async function issues(dir: string, env: NodeJS.ProcessEnv = {}) {
  try {
    await loadConfig(join(dir, 'gatehouse.yaml'), schema, { env });
  } catch (e) {
    if (e instanceof ConfigError)
      return e.issues.map(
        (i) =>
          `${i.position ? `${i.position.file.split('/').pop()}:${i.position.line}:${i.position.col}` : '?'} ${i.message}`,
      );
    throw e;
  }
  return [];
}

describe('loadConfig', () => {
  it('merges included files in sorted order', async () => {
    const dir = tree({
      'gatehouse.yaml': 'include: ["conf.d/*.yaml"]\nsources:\n  a: { type: static }\n',
      'conf.d/20-b.yaml': 'sources:\n  c: { type: static }\n',
      'conf.d/10-a.yaml': 'sources:\n  b: { type: static }\ntargets:\n  t: { type: x, port: 1 }\n',
    });
    const cfg = await loadConfig(join(dir, 'gatehouse.yaml'), schema);
    assert.deepEqual(Object.keys(cfg.value.sources), ['a', 'b', 'c']);
    assert.deepEqual(
      cfg.files.map((f) => f.split('/').slice(-2).join('/')),
      [dir.split('/').pop() + '/gatehouse.yaml', 'conf.d/10-a.yaml', 'conf.d/20-b.yaml'],
    );
    const again = await loadConfig(join(dir, 'gatehouse.yaml'), schema);
    assert.equal(again.digest, cfg.digest);
  });

  it('names both files when a key is defined twice', async () => {
    const dir = tree({
      'gatehouse.yaml': 'include: ["conf.d/*.yaml"]\nsources:\n  a: { type: static }\n',
      'conf.d/x.yaml': '\nsources:\n  a: { type: static }\n',
    });
    assert.deepEqual(await issues(dir), [
      'x.yaml:3:3 defined twice: here and at ' + join(dir, 'gatehouse.yaml').replace(process.cwd() + '/', '') + ':3:3',
    ]);
  });

  it('reports every schema error with file:line:col', async () => {
    const dir = tree({
      'gatehouse.yaml': 'include: ["more.yaml"]\nsources:\n  a:\n    type: static\n    addresses: nope\n',
      'more.yaml': 'targets:\n  t:\n    type: x\n    port: "80"\n    extra: 1\n',
    });
    const got = await issues(dir);
    assert.equal(got.length, 3);
    assert.match(got[0] ?? '', /^gatehouse\.yaml:5:16 .*expected array/);
    assert.match(got[1] ?? '', /^more\.yaml:4:11 .*expected number/);
    assert.match(got[2] ?? '', /^more\.yaml:5:5 unknown key "extra"/);
  });

  it('reports YAML syntax errors with position', async () => {
    const dir = tree({ 'gatehouse.yaml': 'sources:\n  a: { type: static\n' });
    await assert.rejects(loadConfig(join(dir, 'gatehouse.yaml'), schema), /gatehouse\.yaml:\d+:\d+/);
  });

  it('rejects duplicate keys inside one file', async () => {
    const dir = tree({ 'gatehouse.yaml': 'sources:\n  a: { type: static }\n  a: { type: static }\n' });
    await assert.rejects(loadConfig(join(dir, 'gatehouse.yaml'), schema), /gatehouse\.yaml:3:3: .*[Uu]nique/);
  });

  it('resolves ${env:} and ${file:} references and registers them as secrets', async () => {
    const dir = tree({
      'gatehouse.yaml':
        'sources:\n  a: { type: static, token: "Bearer ${env:TOKEN}" }\n  b: { type: static, token: "${file:secret.txt}" }\n',
      'secret.txt': 'file-secret-value\n',
    });
    const cfg = await loadConfig(join(dir, 'gatehouse.yaml'), schema, { env: { TOKEN: 'env-secret-value' } });
    assert.equal(cfg.value.sources.a?.token, 'Bearer env-secret-value');
    assert.equal(cfg.value.sources.b?.token, 'file-secret-value');
    assert.equal(redact('token=env-secret-value and file-secret-value'), 'token=[redacted] and [redacted]');
  });

  it('names the position of a missing secret without printing anything secret', async () => {
    const dir = tree({
      'gatehouse.yaml':
        'sources:\n  a: { type: static, token: "${env:NOPE}" }\n  b: { type: static, token: "${file:missing}" }\n',
    });
    const got = await issues(dir);
    assert.deepEqual(got, [
      'gatehouse.yaml:2:29 environment variable NOPE is not set',
      'gatehouse.yaml:3:29 cannot read secret file missing: ENOENT',
    ]);
  });

  it('rejects include in an included file', async () => {
    const dir = tree({ 'gatehouse.yaml': 'include: ["b.yaml"]\n', 'b.yaml': 'include: ["c.yaml"]\n' });
    assert.match((await issues(dir))[0] ?? '', /^b\.yaml:1:10 include is only allowed in the root file/);
  });
});
