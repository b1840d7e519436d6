import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'dist',
      'extensions/*/dist',
      'coverage',
      'logs',
      'data',
      'docs/reference',
      'test-results',
      // Mutation reports and the sandboxes of a Stryker run stopped before it could remove them.
      'reports',
      'bench-results',
      'deploy/docker',
      'deploy/kubernetes',
      'deploy/modal',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error'] }],
      // `import { z }` pulls every zod locale (≈270 KB) into each bundle; the namespace form does not.
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier",
          message: "Import zod as `import * as z from 'zod'` to keep bundles small.",
        },
      ],
    },
  },
  {
    // The stores are asynchronous: a promise dropped on the floor is a lost write or an unhandled
    // rejection instead of an answer, and an async check passed where a boolean is expected always
    // passes.
    files: ['src/**/*.ts'],
    ignores: ['src/dashboard/ui/**'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  {
    files: ['tests/**', 'bin/**', 'src/cli/**'],
    rules: { 'no-console': 'off' },
  },
);
