import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.test-results/**', 'renderer/dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // The layering of shared/DESIGN.md: core imports nothing outside core.
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/main/**', '**/vm/**', '**/renderer/**'] }],
    },
  },
  {
    // The renderer runs in a browser page: no Node modules, and only types from main/ and core/.
    files: ['renderer/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*'], message: 'the renderer runs in a browser page' },
          { group: ['**/main/**', '**/core/**', '**/vm/**'], allowTypeImports: true, message: 'the renderer imports only types from main/ and core/' },
        ],
      }],
    },
  },
);
