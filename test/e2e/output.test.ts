import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gatehouse } from './cli.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** Runs a line of shell as a user would paste it, with `gatehouse` standing for this CLI on `config`. */
async function sh(line: string, config: string): Promise<string> {
  const script = `gatehouse() { "$GH_NODE" "$GH_MAIN" -c "$GH_CONFIG" "$@"; }\n${line}\n`;
  const { stdout } = await promisify(execFile)('sh', ['-c', script], {
    env: { ...process.env, NO_COLOR: '1', GH_NODE: process.execPath, GH_MAIN: MAIN, GH_CONFIG: config },
    timeout: 120_000,
  });
  return stdout;
}

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

  it('apply on a missing plan file, plan --out into a missing directory: a clear message, USAGE, exit 1', async () => {
    const missing = join(dir, 'nope.json');
    const apply = await gatehouse(['-c', config, 'apply', missing]);
    assert.equal(apply.code, 1);
    assert.equal(apply.stderr, `gatehouse: cannot read plan file ${missing}: no such file or directory [USAGE]\n`);
    const plan = await gatehouse(['-c', config, 'plan', '--out', join(dir, 'no-dir', 'p.json')]);
    assert.equal(plan.code, 1);
    assert.equal(
      plan.stderr,
      `gatehouse: cannot write plan file ${join(dir, 'no-dir', 'p.json')}: directory ${join(dir, 'no-dir')}: no such file or directory [USAGE]\n`,
    );
  });

  it('--output json: an error is one JSON document on stdout', async () => {
    const missing = join(dir, 'nope.json');
    const r = await gatehouse(['-c', config, '-o', 'json', 'apply', missing]);
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout), {
      error: { code: 'USAGE', message: `cannot read plan file ${missing}: no such file or directory` },
    });
    const noConfig = await gatehouse(['-c', join(dir, 'absent.yaml'), 'plan', '--output', 'json']);
    assert.equal(noConfig.code, 1);
    assert.equal((JSON.parse(noConfig.stdout) as { error: { code: string } }).error.code, 'CONFIG_INVALID');
  });

  it('the plan --help example tells drift, convergence and blocked changes apart in sh', async () => {
    const help = await gatehouse(['plan', '--help']);
    const example = help.stdout
      .split('\n')
      .find((l) => l.includes('--detailed-exitcode') && l.includes('case'))
      ?.trim();
    assert.ok(example, help.stdout);
    assert.equal(await sh(example, config), 'drift\n');

    const applied = await gatehouse(['-c', config, '--output', 'json', 'apply', '--auto-approve']);
    assert.equal(applied.code, 0, applied.stderr);
    const doc = JSON.parse(applied.stdout) as { planId: string; plan: { id: string }; results: unknown[] };
    assert.equal(doc.plan.id, doc.planId);
    assert.ok(doc.results.length > 0);

    assert.equal(await sh(example, config), 'converged\n');

    const empty = join(dir, 'empty.yaml');
    const text = (await readFile(config, 'utf8')).replace('include:\n  - conf.d/*.yaml', 'include: []');
    await writeFile(
      empty,
      text.replace(
        'targets:',
        'sources:\n  office: { type: static, addresses: [] }\n  region: { type: static, addresses: [] }\ntargets:',
      ),
    );
    assert.equal(await sh(example, empty), 'blocked\n');
    const blocked = await gatehouse(['-c', empty, 'plan', '--detailed-exitcode']);
    assert.equal(blocked.code, 3, blocked.stdout + blocked.stderr);
  });

  it('plan --output json is byte-identical across runs (source data digests included)', async () => {
    await rm(join(dir, 'out'), { recursive: true, force: true });
    const a = await gatehouse(['-c', config, 'plan', '--output', 'json']);
    const b = await gatehouse(['-c', config, 'plan', '--output', 'json']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
    const plan = JSON.parse(a.stdout) as { sources: { factsDigest: string }[]; targets: { changes: unknown[] }[] };
    assert.ok(plan.targets[0]?.changes.length, 'a plan with changes');
    assert.ok(plan.sources.every((s) => /^[0-9a-f]{64}$/.test(s.factsDigest)));
  });
});
