import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readmeWithReference } from '../../scripts/config-docs.ts';

describe('README', () => {
  it('has the configuration reference generated from the current schema (run: node scripts/config-docs.ts --write)', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    assert.equal(readme, await readmeWithReference(readme));
  });
});
