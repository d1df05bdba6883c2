import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse } from './cli.ts';

/** What the CLI prints and writes, as a user and a script see it, on the quickstart example. */
describe('gatehouse CLI output', () => {
  let dir: string;
  let config: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-output-'));
    await cp(new URL('../../examples/quickstart', import.meta.url), dir, {
      recursive: true,
      filter: (src) => !/\/(\.gatehouse|out)(\/|$)/.test(src),
    });
    config = join(dir, 'gatehouse.yaml');
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('masks a secret containing " and \\ in plan -o json and plan --out', async () => {
    const secret = 'a"b\\c-secret-123';
    const escaped = JSON.stringify(secret).slice(1, -1);
    const withSecret = join(dir, 'secret.yaml');
    const text = await readFile(config, 'utf8');
    await writeFile(
      withSecret,
      text.replace('includeFile: out/gatehouse-db-allowlist.nft', 'includeFile: "out/${env:GH_TEST_SECRET}.nft"'),
    );
    const out = join(dir, 'secret-plan.json');
    const r = await gatehouse(['-c', withSecret, 'plan', '-o', 'json', '--out', out], {
      env: { GH_TEST_SECRET: secret },
    });
    assert.equal(r.code, 0, r.stderr);
    const file = await readFile(out, 'utf8');
    for (const [where, s] of [
      ['stdout', r.stdout],
      ['stderr', r.stderr],
      ['plan file', file],
    ] as const) {
      assert.ok(!s.includes(secret) && !s.includes(escaped), `${where} leaks the secret:\n${s}`);
    }
    assert.match(r.stdout, /write include file .*\/out\/\[redacted\]\.nft/);
    assert.match(file, /write include file .*\/out\/\[redacted\]\.nft/);
  });
});
