// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'out/', 'release/', 'node_modules/', 'renderer/dist/', 'coverage/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // The engine runs under plain Node (CLI, headless host, tests): Electron stays in electron/main and the preload.
    files: ['electron/engine/**/*.ts', 'electron/cli/**/*.ts', 'shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'Only electron/main/ and electron/preload/ may import Electron.' }],
          patterns: [{ group: ['electron/*', '**/main/*', '**/preload/*'], message: 'The engine must not depend on the Electron glue.' }],
        },
      ],
    },
  },
  {
    // shared/ is used by the renderer too: no Node built-ins.
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'shared/ is pure TypeScript.' }],
          patterns: [{ group: ['node:*', 'fs', 'path', 'net', 'crypto', 'os'], message: 'shared/ is pure TypeScript: no Node built-ins.' }],
        },
      ],
    },
  },
);
