import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // clients/typescript/schema.ts is generated (npm run clients:generate): typechecked, not linted.
  { ignores: ['node_modules/**', 'target/**', '.companyos/**', 'clients/typescript/schema.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['bin/companyos.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
