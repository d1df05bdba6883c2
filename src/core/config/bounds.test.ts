import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as z from 'zod';
import { isGatehouseError } from '../errors.ts';
import { ConfigError, loadConfig } from './load.ts';

const schema = z
  .object({
    sources: z
      .record(z.string(), z.object({ type: z.literal('static'), token: z.string().optional() }).strict())
      .default({}),
    targets: z.record(z.string(), z.object({ type: z.string() }).strict()).default({}),
  })
  .strict();

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gh-bounds-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** Every message the loader gives for the tree, as one text (what a user would read). */
async function failure(dir: string, options: Parameters<typeof loadConfig>[2] = {}): Promise<string> {
  try {
    await loadConfig(join(dir, 'gatehouse.yaml'), schema, { env: {}, ...options });
  } catch (e) {
    assert.ok(isGatehouseError(e), `not a GatehouseError: ${String(e)}`);
    assert.equal(e.code, 'CONFIG_INVALID');
    return e.message;
  }
  assert.fail('expected the configuration to be rejected');
}

/** The documented limits (docs state them in these units). */
const MiB = 1024 * 1024;
const LIMITS = { fileBytes: MiB, secretBytes: 64 * 1024 };

const SHADOW_LIKE = 'root:*:20228:0:99999:7::\nsecretuser:$y$j9T$abcdefSECRETHASH:20228:0:99999:7::\n';

describe('config inputs are confined', () => {
  it('refuses an include outside the config directory and shows none of its content', async () => {
    const outside = tree({ 'shadow.yaml': SHADOW_LIKE });
    const dir = tree({ 'gatehouse.yaml': `include: ["${join(outside, 'shadow.yaml')}"]\n` });
    const msg = await failure(dir);
    assert.match(msg, /gatehouse\.yaml:1:\d+: include\.0: .*outside the configuration directory/);
    assert.doesNotMatch(msg, /secretuser|SECRETHASH|root:\*/);
  });

  it('refuses a relative include that climbs out, and a symlink that escapes', async () => {
    const outside = tree({ 'x.yaml': 'sources: {}\n' });
    const dir = tree({ 'gatehouse.yaml': `include: ["../${outside.split('/').pop()}/x.yaml", "conf.d/*.yaml"]\n` });
    mkdirSync(join(dir, 'conf.d'));
    symlinkSync(join(outside, 'x.yaml'), join(dir, 'conf.d', 'link.yaml'));
    const msg = await failure(dir);
    assert.equal(msg.match(/outside the configuration directory/g)?.length, 2, msg);
  });

  it('admits an include under an explicitly allowed directory', async () => {
    const outside = tree({ 'x.yaml': 'sources:\n  a: { type: static }\n' });
    const dir = tree({ 'gatehouse.yaml': `include: ["${join(outside, '*.yaml')}"]\n` });
    const cfg = await loadConfig(join(dir, 'gatehouse.yaml'), schema, { includeDirs: [outside] });
    assert.deepEqual(Object.keys(cfg.value.sources), ['a']);
  });

  it('never shows the content of a file that is not a gatehouse configuration', async () => {
    const dir = tree({ 'gatehouse.yaml': 'include: ["conf.d/*.yaml"]\n', 'conf.d/shadow.yaml': SHADOW_LIKE });
    const msg = await failure(dir);
    assert.match(msg, /shadow\.yaml:1:1: .*not a gatehouse configuration/);
    assert.doesNotMatch(msg, /secretuser|SECRETHASH|root:\*/);
  });

  it('reports YAML syntax errors by position without quoting the file', async () => {
    const dir = tree({ 'gatehouse.yaml': 'include: ["c.yaml"]\n', 'c.yaml': 'sources: |SECRETHASH\n  x\n' });
    const msg = await failure(dir);
    assert.match(msg, /c\.yaml:\d+:\d+: /);
    assert.doesNotMatch(msg, /SECRETHASH/);
  });
});

describe('config inputs are bounded', () => {
  it('refuses a config file larger than the limit without reading it all', async () => {
    const dir = tree({ 'gatehouse.yaml': `# ${'x'.repeat(LIMITS.fileBytes)}\nsources: {}\n` });
    assert.match(await failure(dir), /gatehouse\.yaml: .*larger than 1 MiB/);
  });

  it('bounds the total size of all files', async () => {
    const big = `# ${'x'.repeat(LIMITS.fileBytes - 100)}\n`;
    const files: Record<string, string> = { 'gatehouse.yaml': 'include: ["conf.d/*.yaml"]\n' };
    for (let i = 0; i < 3; i++) files[`conf.d/${i}.yaml`] = big;
    assert.match(await failure(tree(files)), /together larger than 2 MiB/);
  });

  it('refuses ${file:} references to devices and FIFOs, and bounds secret files', async () => {
    const dir = tree({
      'gatehouse.yaml':
        'sources:\n  a: { type: static, token: "${file:/dev/zero}" }\n  b: { type: static, token: "${file:fifo}" }\n  c: { type: static, token: "${file:big}" }\n',
      big: 'x'.repeat(LIMITS.secretBytes + 1),
    });
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    const msg = await failure(dir);
    assert.match(msg, /gatehouse\.yaml:2:\d+: .*secret file \/dev\/zero: not a regular file/);
    assert.match(msg, /gatehouse\.yaml:3:\d+: .*secret file fifo: not a regular file/);
    assert.match(msg, /gatehouse\.yaml:4:\d+: .*secret file big: larger than 64 KiB/);
  });

  it('refuses the root config when it is not a regular file', async () => {
    const dir = tree({});
    execFileSync('mkfifo', [join(dir, 'gatehouse.yaml')]);
    assert.match(await failure(dir), /gatehouse\.yaml: .*not a regular file/);
  });

  it('refuses alias bombs and very deep nesting as configuration errors', async () => {
    const names = 'abcdefghij';
    let bomb = 'sources:\n  a: { type: static }\nx0: &a [1,2,3,4,5,6,7,8,9]\n';
    for (let i = 1; i < 10; i++)
      bomb += `x${i}: &${names[i]} [${Array<string>(9)
        .fill(`*${names[i - 1] ?? 'a'}`)
        .join(',')}]\n`;
    assert.match(await failure(tree({ 'gatehouse.yaml': bomb })), /gatehouse\.yaml: .*aliases/);
    const deep = `sources: ${'['.repeat(200)}${']'.repeat(200)}\n`;
    assert.match(await failure(tree({ 'gatehouse.yaml': deep })), /gatehouse\.yaml:1:\d+: .*nested deeper than 64/);
  });
});

describe('schema errors in included files', () => {
  it('point at the included file and the unknown key itself', async () => {
    const dir = tree({
      'gatehouse.yaml': 'include: ["more.yaml"]\n',
      'more.yaml': 'sources: {}\n\nbogus: 1\ntargets:\n  t:\n    type: x\n    extra: 1\n',
    });
    const err = await loadConfig(join(dir, 'gatehouse.yaml'), schema).catch((e: unknown) => e);
    assert.ok(err instanceof ConfigError);
    const got = err.issues.map(
      (i) => `${i.position?.file.split('/').pop()}:${i.position?.line}:${i.position?.col} ${i.path.join('.')}`,
    );
    assert.deepEqual(got.sort(), ['more.yaml:3:1 bogus', 'more.yaml:7:5 targets.t.extra']);
  });
});
