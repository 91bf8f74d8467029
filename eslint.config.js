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
  {
    // The renderer runs in a browser (or a sandboxed Electron window): browser globals only, and it
    // reaches the host through window.p2p / the WebSocket API, never through Electron or Node.
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: {
      globals: { ...Object.fromEntries(Object.keys(globals.node).map((name) => [name, 'off'])), ...globals.browser },
    },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer talks to the host only through api.ts.' }],
          patterns: [
            { group: ['node:*'], message: 'The renderer runs in a browser: no Node built-ins.' },
            { group: ['electron/*', '**/electron/**'], message: 'The renderer must not import the Electron side; use shared/ipc/contract.ts.' },
          ],
        },
      ],
    },
  },
);
