import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
);
