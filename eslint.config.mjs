// Lint configuration for the TypeScript sources, the tests and the scripts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const onlyVscodeImportsVscode = { name: 'vscode', message: 'Only extension/src/vscode may import vscode (see ARCHITECTURE.md).' };
const noFsPromises = 'node:fs/promises is not in Node\'s start-up snapshot: loading it cost tack exec\'s first turn ~4.5 ms. Use node:fs\'s calls (sessions/fs-async.ts; see ARCHITECTURE.md).';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'extension/src/generated/**', 'tests/artifacts/**', 'bench/results/**', 'target/**', '.e2e/**', '.tools/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', __dirname: 'readonly', require: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly', fetch: 'readonly', AbortController: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', window: 'readonly', document: 'readonly', performance: 'readonly', queueMicrotask: 'readonly', setImmediate: 'readonly', structuredClone: 'readonly', AbortSignal: 'readonly', Response: 'readonly', ReadableStream: 'readonly', Headers: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  // Architecture invariant (ARCHITECTURE.md): only extension/src/vscode imports `vscode`; the host
  // layer is shared with the CLI and the webview runs in a browser.
  {
    files: ['extension/src/**/*.ts', 'tests/**/*.ts'],
    ignores: ['extension/src/vscode/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [onlyVscodeImportsVscode] }],
    },
  },
  // Architecture invariant (ARCHITECTURE.md, sessions/): the host does not load node:fs/promises.
  {
    files: ['extension/src/host/**/*.ts'],
    ignores: ['extension/src/host/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            onlyVscodeImportsVscode,
            { name: 'node:fs/promises', message: noFsPromises },
            { name: 'fs/promises', message: noFsPromises },
            { name: 'node:fs', importNames: ['promises'], message: noFsPromises },
            { name: 'fs', importNames: ['promises'], message: noFsPromises },
          ],
        },
      ],
    },
  },
);
