import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { anchors, brokenLinks, slug } from './links.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function markdownUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.md'))
    .map((e) => join(e.parentPath, e.name));
}

describe('documentation links', () => {
  it('the checker finds broken files and anchors and ignores code', () => {
    const fixture = fileURLToPath(new URL('fixtures/links.md', import.meta.url));
    assert.deepEqual(brokenLinks(fixture, ROOT), [
      'test/docs/fixtures/links.md: nowhere.md',
      'test/docs/fixtures/links.md: #three-words (no such heading)',
      'test/docs/fixtures/links.md: ../fixtures/#x (anchor on a non-Markdown file)',
    ]);
  });

  it('slugs headings as GitHub does', () => {
    assert.equal(slug('sources: linode-lke'), 'sources-linode-lke');
    assert.equal(
      slug('Target: ldap-groups (Discord roles → LDAP groups)'),
      'target-ldap-groups-discord-roles--ldap-groups',
    );
    assert.deepEqual([...anchors('# A\n## A\n```\n# B\n```\n')], ['a', 'a-1']);
  });

  it('every relative link and anchor in README.md and docs/ resolves', () => {
    const files = [join(ROOT, 'README.md'), ...markdownUnder('docs')];
    assert.ok(files.length > 3, 'docs/ has documents');
    assert.deepEqual(
      files.flatMap((f) => brokenLinks(f, ROOT)),
      [],
    );
  });
});
