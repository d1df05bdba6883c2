import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse } from './cli.ts';

/**
 * A geofeed that tries to open the allowlist to the internet, through the real CLI (kernel: false: the include file is
 * where the sets land, so no root is needed).
 */
describe('geofeed → plan: prefixes wider than the minimum are refused, IPv6 stays IPv6', () => {
  let dir: string;
  let config: string;
  const include = () => join(dir, 'out', 'allow.nft');
  const write = (feed: string, extra = '') =>
    Promise.all([
      writeFile(join(dir, 'feed.csv'), feed),
      writeFile(
        config,
        `state: { dir: state }
sources:
  eu-feed:
    type: geofeed
    file: feed.csv
targets:
  fw:
    type: nftables
    kernel: false
    includeFile: out/allow.nft
    table: { family: inet, name: gh }
    sets:
      - { name: db, ipv4: allow_v4, ipv6: allow_v6, from: [eu-feed], maxShrink: 1 }
${extra}`,
      ),
    ]);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-wide-'));
    config = join(dir, 'gatehouse.yaml');
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const wide of ['0.0.0.0/0', '::/0', '::ffff:0:0/96', '2.0.0.0/7']) {
    it(`${wide} fails the plan (exit 1) naming the source and the element, and apply writes nothing`, async () => {
      await write(`192.0.2.0/24,DE\n${wide},DE\n`);
      const shown = wide === '::ffff:0:0/96' ? '0.0.0.0/0' : wide;
      const plan = await gatehouse(['-c', config, 'plan']);
      assert.equal(plan.code, 1, plan.stdout + plan.stderr);
      const out = plan.stdout + plan.stderr;
      assert.ok(out.includes(`source eu-feed offers ${shown}`), out);
      assert.match(out, /allowWide/);
      const apply = await gatehouse(['-c', config, 'apply', '--auto-approve']);
      assert.equal(apply.code, 1, apply.stdout + apply.stderr);
      await assert.rejects(readFile(include()), { code: 'ENOENT' });
    });
  }

  it('grants a wide prefix listed in allowWide, exactly as listed', async () => {
    await write('192.0.2.0/24,DE\n10.0.0.0/7,DE\n', '    allowWide: [10.0.0.0/7]\n');
    const apply = await gatehouse(['-c', config, 'apply', '--auto-approve']);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    assert.match(
      await readFile(include(), 'utf8'),
      /add element inet gh allow_v4 \{ 10\.0\.0\.0\/7, 192\.0\.2\.0\/24 \}/,
    );
  });

  it('an IPv4-compatible address from a feed lands in the IPv6 set as IPv6', async () => {
    await write('192.0.2.0/24,DE\n::1.2.3.4,DE\n::0.0.0.0/96,DE\n');
    const apply = await gatehouse(['-c', config, 'apply', '--auto-approve']);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    const text = await readFile(include(), 'utf8');
    assert.match(text, /add element inet gh allow_v6 \{ ::\/96 \}/);
    assert.match(text, /add element inet gh allow_v4 \{ 192\.0\.2\.0\/24 \}\n/);
  });

  it('a non-canonical line fails the read; nothing from it is applied', async () => {
    await write('192.0.2.0/24,DE\n"198.51.100.0/024",DE\n');
    const plan = await gatehouse(['-c', config, 'plan']);
    assert.match(
      plan.stdout + plan.stderr,
      /feed\.csv:2: invalid address "198\.51\.100\.0\/024": prefix length has a leading zero/,
    );
  });
});
