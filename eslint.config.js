import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'postmortems/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The domain core must stay pure: no I/O, no wall clock.
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'better-sqlite3', '@slack/*', 'pino'] }],
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Domain code takes `now` as an argument.' }],
    },
  },
  {
    // A promise nobody awaits is a store write or a message that may not have happened yet.
    files: ['src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  {
    // Use cases reach the database through the store port only.
    files: ['src/app/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../store/*', '**/store/*.js'], message: 'use cases import the store port (src/ports/store.ts), not the SQLite store' }] }],
    },
  },
  {
    // The sandbox console: plain browser JavaScript served as-is (no build step).
    files: ['src/sandbox/console/**/*.js'],
    languageOptions: {
      globals: {
        window: 'readonly', document: 'readonly', fetch: 'readonly', EventSource: 'readonly', console: 'readonly',
        URLSearchParams: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', HTMLElement: 'readonly',
        Event: 'readonly', location: 'readonly', localStorage: 'readonly', navigator: 'readonly',
      },
    },
  },
);
