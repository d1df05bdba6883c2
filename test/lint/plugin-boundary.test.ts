import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Lints `code` as if it were the file at `filePath` (relative to the repository), with the repository's own
 * eslint.config.js, and returns the messages of `no-restricted-imports`. Type information is switched off: the file
 * does not exist, and the rule under test needs none.
 */
async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: root,
    overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
    ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
  });
  const [result] = await eslint.lintText(code, { filePath });
  assert.ok(result);
  assert.deepEqual(
    result.messages.filter((m) => m.fatal),
    [],
  );
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('lint: a plugin imports no other plugin', () => {
  it('refuses a target importing a source folder, naming the fix', async () => {
    const errors = await restrictedImports(
      'src/targets/ldap-groups/example.ts',
      "import { normalizeDn } from '../../sources/ldap/read.ts';\nexport const x = normalizeDn;\n",
    );
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /src\/adapters/);
  });

  it('refuses a source importing a target folder, and a sibling source by a short path', async () => {
    assert.equal(
      (
        await restrictedImports(
          'src/sources/kubernetes-nodes/example.ts',
          "import { a } from '../../targets/kubernetes-tenants/client.ts';\nexport const x = a;\n",
        )
      ).length,
      1,
    );
    assert.equal(
      (
        await restrictedImports(
          'src/sources/geofeed/example.ts',
          "import { a } from '../static/index.ts';\nexport const x = a;\n",
        )
      ).length,
      1,
    );
  });

  it('refuses a target importing another target', async () => {
    const errors = await restrictedImports(
      'src/targets/github/example.ts',
      "import { a } from '../../targets/nftables/index.ts';\nimport { b } from '../nftables/nft.ts';\nexport const x = [a, b];\n",
    );
    assert.equal(errors.length, 2);
  });

  it('allows the core, adapters, plugins.ts, files beside the plugin folders and its own folder', async () => {
    const errors = await restrictedImports(
      'src/sources/geofeed/example.ts',
      [
        "import { GatehouseError } from '../../core/errors.ts';",
        "import { httpRequest } from '../../adapters/http.ts';",
        "import { defineSource } from '../../plugins.ts';",
        "import { allowEmptySchema } from '../allow-empty.ts';",
        "import { parseGeofeed } from './parse.ts';",
        "import { parseGeofeed as p2 } from '../../sources/geofeed/parse.ts';",
        'export const x = [GatehouseError, httpRequest, defineSource, allowEmptySchema, parseGeofeed, p2];',
        '',
      ].join('\n'),
    );
    assert.deepEqual(errors, []);
  });
});
