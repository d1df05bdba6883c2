import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { generatedDocs, GUARDS, renderConfigReference, renderGuardDefaults } from '../../scripts/config-docs.ts';
import { configJsonSchema } from '../../src/cli/config-json-schema.ts';

describe('generated documentation', () => {
  it('docs/configuration.md and docs/safety.md match the current schema (run: node scripts/config-docs.ts --write)', async () => {
    for (const [path, expected] of await generatedDocs()) assert.equal(readFileSync(path, 'utf8'), expected, path);
  });

  it('the reference has a section for every top-level key of the schema, with its defaults', async () => {
    const schema = (await configJsonSchema()) as { properties: Record<string, unknown> };
    const reference = await renderConfigReference();
    for (const key of Object.keys(schema.properties)) {
      const heading = key === 'sources' || key === 'targets' ? `### ${key}: ` : `### ${key}\n`;
      assert.ok(reference.includes(heading), `section for ${key}`);
    }
    assert.match(reference, /`plan\.maxAge` \(duration, default `"24h"`\)/);
    assert.match(reference, /`run\.timeout` \(duration, default `"15m"`\)/);
    assert.match(reference, /`sets\[\]\.maxShrink` \(number or object, default `\{"fraction":0\.5,"minCount":1\}`\)/);
  });

  it('the reference is readable in a terminal: no line longer than 130 characters', async () => {
    const long = (await renderConfigReference()).split('\n').filter((l) => l.length > 130);
    assert.deepEqual(long, []);
  });

  it('the safety model lists every guard with the default the schema declares', async () => {
    const safety = await renderGuardDefaults();
    for (const g of GUARDS) assert.ok(safety.includes(`**${g.guard}**`), g.guard);
    assert.match(
      safety,
      /\*\*max-shrink\*\*[^*]*`\{"fraction":0\.5,"minCount":1\}`\s+\(`targets\.<name>\.sets\[\]\.maxShrink`, type nftables\)/,
    );
    assert.match(safety, /\*\*github: min admins\*\*[^*]*`2`/);
  });
});
