import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Plugin folders: `src/sources/<name>/` and `src/targets/<name>/`. */
const pluginFolders = ['sources', 'targets'].flatMap((kind) =>
  readdirSync(join(import.meta.dirname, 'src', kind), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => ({ kind, name: d.name })),
);

/**
 * A plugin imports the core, `src/adapters/` (vendor plumbing shared by sources and targets), `src/plugins.ts`, its own
 * folder, and files beside the plugin folders — never another plugin's folder: what two plugins share belongs in
 * adapters, so either can change or go without breaking the other.
 */
function pluginBoundary({ kind, name }) {
  const other = kind === 'sources' ? 'targets' : 'sources';
  const message = `a plugin in src/${kind}/${name}/ imports no other plugin's folder; move what is shared to src/adapters/`;
  return {
    files: [`src/${kind}/${name}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            // A sibling plugin reached from this folder (`../static/index.ts`).
            { regex: `^\\.\\./(?!${name}/)[^./][^/]*/`, message },
            // A plugin of the same kind by a longer path (`../../sources/static/index.ts`).
            { regex: `(^|/)${kind}/(?!${name}/)[^/]+/`, message },
            // Any plugin of the other kind.
            { regex: `(^|/)${other}/[^/]+/`, message },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.gatehouse/', 'out/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'bin/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The core must stay free of vendor SDKs and of the edges that depend on it.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/sources/**', '**/targets/**', '**/server/**', '**/cli/**', '**/store/**'],
              message: 'core imports no edge',
            },
            {
              group: ['@octokit/*', 'discord.js', '@discordjs/*', 'ldapts', '@kubernetes/*', 'pg', '@electric-sql/*'],
              message: 'core imports no vendor SDK',
            },
          ],
        },
      ],
    },
  },
  ...pluginFolders.map(pluginBoundary),
);
