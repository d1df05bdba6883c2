import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse } from './cli.ts';

/** What a user sees from the real CLI about configuration inputs: hints, warnings, confinement, the plan's digest. */
describe('gatehouse CLI on configuration inputs', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-config-cli-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function write(name: string, text: string): Promise<string> {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
    return join(dir, name);
  }

  it('a missing config hints at --config, GATEHOUSE_CONFIG and the example, saying the cause once', async () => {
    const r = await gatehouse(['-c', join(dir, 'nope.yaml'), 'validate']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nope\.yaml: no such configuration file/);
    assert.match(r.stderr, /--config FILE/);
    assert.match(r.stderr, /GATEHOUSE_CONFIG/);
    assert.match(r.stderr, /examples\/quickstart\/gatehouse\.yaml/);
    assert.equal(r.stderr.match(/ENOENT|no such/g)?.length, 1, r.stderr);
  });

  it('an unknown key is shown at its own position with the closest valid spelling', async () => {
    const file = await write(
      'typo.yaml',
      `sources:
  office: { type: static, addresses: [192.0.2.1] }
targets:
  fw:
    type: nftables
    kernel: false
    includeFile: out/x.nft
    table: { family: inet, name: filter }
    sets:
      - name: a
        ipv4: a_v4
        from: [office]
        maxShrnk: 0.2
`,
    );
    const r = await gatehouse(['-c', file, 'validate']);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /typo\.yaml:13:9: targets\.fw\.sets\.0\.maxShrnk: unknown key "maxShrnk"; did you mean "maxShrink"\?/,
    );
  });

  it('an empty config is valid but warned about on stderr', async () => {
    const file = await write('empty.yaml', 'state: { dir: .gatehouse }\n');
    const r = await gatehouse(['-c', file, 'validate']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /warning: .*empty\.yaml:1:1: no sources and no targets are configured/);
    assert.doesNotMatch(r.stdout, /warning/);
  });

  it('an inline secret is warned about at its position without showing it; a reference is not', async () => {
    const text = (token: string) => `sources:\n  lke:\n    type: linode-lke\n    token: ${token}\n    clusters: [1]\n`;
    const inline = await write('inline.yaml', text('"literal-token-0123456789"'));
    const r = await gatehouse(['-c', inline, 'validate']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /warning: .*inline\.yaml:4:12: sources\.lke\.token: holds a secret written inline/);
    assert.doesNotMatch(r.stderr + r.stdout, /literal-token-0123456789/);

    const referenced = await write('referenced.yaml', text('"${env:GH_TEST_LKE_TOKEN}"'));
    const ok = await gatehouse(['-c', referenced, 'validate'], { env: { GH_TEST_LKE_TOKEN: 'x' } });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.doesNotMatch(ok.stderr, /warning/);
  });

  it('an include outside the config directory is refused unless allowed with --allow-include', async () => {
    const shared = await mkdtemp(join(tmpdir(), 'gh-config-shared-'));
    try {
      await writeFile(join(shared, 'sources.yaml'), 'sources:\n  office: { type: static, addresses: [192.0.2.1] }\n');
      const file = await write('outside.yaml', `include: ["${join(shared, '*.yaml')}"]\n`);
      const refused = await gatehouse(['-c', file, 'validate']);
      assert.equal(refused.code, 1);
      assert.match(refused.stdout, /outside\.yaml:1:11: include\.0: .* is outside the configuration directory/);
      const allowed = await gatehouse(['-c', file, '--allow-include', shared, 'validate']);
      assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
      assert.match(allowed.stdout, /valid \(2 file\(s\), 1 sources, 0 targets\)/);
    } finally {
      await rm(shared, { recursive: true, force: true });
    }
  });

  it("a saved plan's config digest does not depend on secret values, and no plan file holds them", async () => {
    const quick = join(dir, 'quickstart');
    await cp(new URL('../../examples/quickstart', import.meta.url), quick, {
      recursive: true,
      filter: (src) => !/\/(\.gatehouse|out)(\/|$)/.test(src),
    });
    const sources = join(quick, 'conf.d', 'sources.yaml');
    const text = await readFile(sources, 'utf8');
    await writeFile(sources, text.replace(/description: .*/, 'description: "${env:GH_TEST_SECRET}"'));
    const config = join(quick, 'gatehouse.yaml');
    const digests: string[] = [];
    for (const secret of ['first-secret-value', 'second-secret-value']) {
      const out = join(quick, `${secret}.plan.json`);
      const r = await gatehouse(['-c', config, 'plan', '--out', out], { env: { GH_TEST_SECRET: secret } });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const saved = await readFile(out, 'utf8');
      assert.doesNotMatch(saved, /first-secret-value|second-secret-value/);
      digests.push((JSON.parse(saved) as { configDigest: string }).configDigest);
    }
    assert.equal(digests[0], digests[1]);
  });
});
