import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse } from './cli.ts';

/** The CLI's contract on the embedded default (the quickstart example): no root, no network, no external service. */
describe('gatehouse CLI on the quickstart example', () => {
  let dir: string;
  let config: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-cli-'));
    await cp(new URL('../../examples/quickstart', import.meta.url), dir, {
      recursive: true,
      filter: (src) => !/\/(\.gatehouse|out)(\/|$)/.test(src),
    });
    config = join(dir, 'gatehouse.yaml');
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('every command has --help with examples', async () => {
    for (const args of [[], ['plan'], ['apply'], ['validate'], ['audit'], ['schema'], ['nftables', 'bootstrap']]) {
      const r = await gatehouse([...args, '--help']);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /Usage: gatehouse/);
      if (args.length > 0) assert.match(r.stdout, /Example/, args.join(' '));
    }
  });

  it('validate reports every problem with file:line:col', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      `include: [conf.d/*.yaml]
targets:
  fw:
    type: nftables
    kernel: false
    includeFile: out/x.nft
    table: { family: inet, name: filter }
    sets:
      - { name: a, ipv4: a_v4, from: [office, nope] }
  office2:
    type: static
`,
    );
    await writeFile(
      join(dir, 'conf.d', 'bad-extra.yaml'),
      'sources:\n  broken:\n    type: static\n    addresses: [10.0.0.1/8, localhost]\n',
    );
    try {
      const r = await gatehouse(['-c', bad, 'validate']);
      assert.equal(r.code, 1);
      assert.match(
        r.stdout,
        /conf\.d\/bad-extra\.yaml:4:17: sources\.broken\.addresses\.0: invalid address "10\.0\.0\.1\/8": host bits set; did you mean 10\.0\.0\.0\/8\?/,
      );
      assert.match(r.stdout, /conf\.d\/bad-extra\.yaml:4:29: sources\.broken\.addresses\.1: .*"localhost"/);
      assert.match(r.stdout, /bad\.yaml:9:47: targets\.fw\.sets\.0\.from\.1: unknown source "nope"/);
      assert.match(r.stdout, /bad\.yaml:11:11: targets\.office2\.type: Invalid discriminator value/);
      const json = await gatehouse(['-c', bad, 'validate', '--output', 'json']);
      const parsed = JSON.parse(json.stdout) as { valid: boolean; issues: unknown[] };
      assert.equal(parsed.valid, false);
      assert.ok(parsed.issues.length >= 4);
    } finally {
      await rm(join(dir, 'conf.d', 'bad-extra.yaml'));
    }
  });

  it('validate accepts the example', async () => {
    const r = await gatehouse(['-c', config, 'validate']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /valid \(2 file\(s\), 2 sources, 1 targets\)/);
  });

  it('schema prints a JSON Schema that names every plugin type', async () => {
    const r = await gatehouse(['schema']);
    assert.equal(r.code, 0);
    const schema = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(schema.title, 'gatehouse configuration');
    for (const type of ['static', 'geofeed', 'linode-lke', 'nftables'])
      assert.ok(r.stdout.includes(`"const": "${type}"`), type);
  });

  it('plan --detailed-exitcode, save, apply the saved plan, converge', async () => {
    const first = await gatehouse(['-c', config, 'plan', '--detailed-exitcode', '--out', join(dir, 'plan.json')]);
    assert.equal(first.code, 2, first.stderr);
    assert.match(first.stdout, /\+ 203\.0\.113\.7/);
    const applied = await gatehouse(['-c', config, 'apply', join(dir, 'plan.json')]);
    assert.equal(applied.code, 0, applied.stderr + applied.stdout);
    const include = await readFile(join(dir, 'out', 'gatehouse-db-allowlist.nft'), 'utf8');
    assert.match(include, /add element inet filter db_clients_v4 \{ 192\.0\.2\.0\/24, 203\.0\.113\.7 \}/);
    const again = await gatehouse(['-c', config, 'plan', '--detailed-exitcode']);
    assert.equal(again.code, 0, again.stdout);
  });

  it('refuses a saved plan once the target changed (stale) or the plan was edited', async () => {
    const out = join(dir, 'out', 'gatehouse-db-allowlist.nft');
    await writeFile(out, '# hand edit\n');
    const planFile = join(dir, 'plan2.json');
    const planned = await gatehouse(['-c', config, 'plan', '--out', planFile]);
    assert.equal(planned.code, 0, planned.stderr);

    const edited = JSON.parse(await readFile(planFile, 'utf8')) as { targets: { blocked: string[] }[] };
    edited.targets[0]?.blocked.push('set:db_clients_v4');
    await writeFile(join(dir, 'edited.json'), JSON.stringify(edited));
    const refusedEdit = await gatehouse(['-c', config, 'apply', join(dir, 'edited.json')]);
    assert.equal(refusedEdit.code, 1);
    assert.match(refusedEdit.stderr, /edited after it was made \[PLAN_INVALID\]/);

    await writeFile(out, '# another hand edit\n');
    const stale = await gatehouse(['-c', config, 'apply', planFile]);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /changed since the plan was made; plan again \[PLAN_STALE\]/);
    assert.equal(await readFile(out, 'utf8'), '# another hand edit\n');
  });

  it('apply without a terminal and without --auto-approve refuses and changes nothing', async () => {
    const r = await gatehouse(['-c', config, 'apply']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no terminal; pass --auto-approve or a plan file \[ABORTED\]/);
  });

  it('never-empty guard as the user sees it: exit 3, the reason, nothing written', async () => {
    const empty = join(dir, 'empty.yaml');
    const text = (await readFile(config, 'utf8')).replace('include:\n  - conf.d/*.yaml', 'include: []');
    await writeFile(
      empty,
      text.replace(
        'targets:',
        'sources:\n  office: { type: static, addresses: [] }\n  region: { type: static, addresses: [] }\ntargets:',
      ),
    );
    await gatehouse(['-c', config, 'apply', '--auto-approve']);
    const before = await readFile(join(dir, 'out', 'gatehouse-db-allowlist.nft'), 'utf8');
    const r = await gatehouse(['-c', empty, 'apply', '--auto-approve']);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /✗ guard never-empty: set inet filter db_clients_v4 .*would become empty \(2 → 0\); set allowEmpty: true if that is intended/,
    );
    assert.equal(await readFile(join(dir, 'out', 'gatehouse-db-allowlist.nft'), 'utf8'), before);
  });

  it('nftables bootstrap writes a missing include file, keeps an existing one, overwrites with --force', async () => {
    const file = join(dir, 'out', 'gatehouse-db-allowlist.nft');
    await rm(file, { force: true });
    const first = await gatehouse(['-c', config, 'nftables', 'bootstrap']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /db-allowlist: .*gatehouse-db-allowlist\.nft: written/);
    const written = await readFile(file, 'utf8');
    assert.match(
      written,
      /flush set inet filter db_clients_v4\nadd element inet filter db_clients_v4 \{ 192\.0\.2\.0\/24, 203\.0\.113\.7 \}/,
    );
    await writeFile(file, '# kept\n');
    const kept = await gatehouse(['-c', config, 'nftables', 'bootstrap']);
    assert.match(kept.stdout, /exists \(use --force to overwrite\)/);
    assert.equal(await readFile(file, 'utf8'), '# kept\n');
    const forced = await gatehouse(['-c', config, 'nftables', 'bootstrap', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(await readFile(file, 'utf8'), written);
  });

  it('audit shows applied changes, JSON output parses', async () => {
    const r = await gatehouse(['-c', config, 'audit', '--output', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const records = JSON.parse(r.stdout) as { status: string; actor: string }[];
    assert.ok(records.some((x) => x.status === 'applied'));
    assert.ok(records.some((x) => x.status === 'refused'));
  });
});
