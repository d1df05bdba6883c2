import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applySenderLogins } from './apply.ts';
import type { TableChange } from './types.ts';

/** texthash needs no postmap, so apply's own checks run here without Postfix installed. */
describe('postfix-sender-logins apply re-validates the plan', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-apply-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const change = (path: string, lines: string[]): TableChange => ({
    kind: 'postfix-sender-logins',
    id: `table:${path}`,
    summary: 'test',
    destructive: false,
    path,
    mapType: 'texthash',
    lines,
    before: 0,
    after: lines.length,
    shrunk: 0,
  });
  const options = (path: string) => ({ target: 't', path, tools: { postmap: ['postmap'], timeoutMs: 10_000 } });

  it('writes a valid table', async () => {
    const path = join(dir, 'ok');
    const [r] = await applySenderLogins(
      options(path),
      [change(path, ['a@x.org a', 'team@x.org a,b'])],
      AbortSignal.timeout(10_000),
    );
    assert.equal(r?.status, 'applied');
    assert.match(await readFile(path, 'utf8'), /^a@x\.org a\nteam@x\.org a,b\n$/m);
  });

  const hostile: [string, string, RegExp][] = [
    ['a line break in an address', 'evil@x.org\nroot@x.org evil', /line 2 address contains a line break/],
    ['a space inside the logins', 'evil@x.org a b', /line 2 login "a b" contains whitespace/],
    ['an upper-case key', 'Evil@x.org evil', /line 2 address is not in lower case/],
    ['a comment line', '# evil@x.org evil', /line 2 is not "address logins"|line 2 address/],
  ];
  for (const [name, line, why] of hostile) {
    it(`refuses a saved plan with ${name}, and the live table stays`, async () => {
      const path = join(dir, 'live');
      await writeFile(path, 'a@x.org a\n');
      const [r] = await applySenderLogins(
        options(path),
        [change(path, ['a@x.org a', line])],
        AbortSignal.timeout(10_000),
      );
      assert.equal(r?.status, 'failed');
      assert.match(r?.message ?? '', why);
      assert.equal(await readFile(path, 'utf8'), 'a@x.org a\n');
    });
  }
});
