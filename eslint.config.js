import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';
import { LAYER_ELEMENTS, LAYER_RULES, ENTRY_POINT_RULES, HTTP_FREE_FILES, COMPOSED_SERVICES, RAW_WAREHOUSE_READERS } from './dev/layers.js';

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
    files: ['bin/companyos.js', 'dev/layers.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  // The layers (README "Layout"): kernel ← platform ← packs ← surfaces; a folder is entered by its index.ts.
  // Tests may reach into what they test and stand up the whole platform; the rules hold for the code they test.
  {
    files: ['**/*.ts'],
    ignores: ['**/*.test.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': LAYER_ELEMENTS,
      'boundaries/include': ['**/*.ts'],
      // Re-exports and dynamic imports cross boundaries too.
      'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import'],
    },
    rules: {
      'boundaries/element-types': ['error', { default: 'disallow', rules: LAYER_RULES }],
      'boundaries/entry-point': ['error', { default: 'allow', rules: ENTRY_POINT_RULES }],
    },
  },
  // Below the HTTP surface nothing speaks HTTP: services throw domain errors; a pack's http/ folder is its piece of the surface.
  {
    files: HTTP_FREE_FILES.files,
    ignores: HTTP_FREE_FILES.ignores,
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['fastify', '@fastify/*', 'light-my-request'], message: 'Only surfaces/ and a pack\'s http/ folder speak HTTP; throw a DomainError (kernel/errors) instead.' }] }] },
  },
  // One composition root: services are constructed in surfaces/compose (createPlatform) and nowhere else.
  {
    files: ['kernel/**/*.ts', 'platform/**/*.ts', 'packs/**/*.ts', 'surfaces/**/*.ts'],
    ignores: ['surfaces/compose/**', '**/*.test.ts', '**/testdata/**'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: `NewExpression[callee.name=/^(${COMPOSED_SERVICES.join('|')})$/]`,
        message: 'Services are composed once, by createPlatform (surfaces/compose); take them from the Platform.',
      }],
    },
  },
  // Above the platform, tenant data is read through a TenantScope: SQL on the warehouse or the state store itself is refused.
  {
    files: ['packs/**/*.ts', 'surfaces/**/*.ts'],
    ignores: ['surfaces/compose/**', '**/*.test.ts', '**/testdata/**', ...RAW_WAREHOUSE_READERS],
    rules: {
      'no-restricted-syntax': ['error',
        {
          selector: `NewExpression[callee.name=/^(${COMPOSED_SERVICES.join('|')})$/]`,
          message: 'Services are composed once, by createPlatform (surfaces/compose); take them from the Platform.',
        },
        {
          selector: "CallExpression[callee.property.name=/^(query|execute)$/][callee.object.name=/^(warehouse|state)$/], CallExpression[callee.property.name=/^(query|execute)$/][callee.object.property.name=/^(warehouse|state)$/]",
          message: 'Read tenant data through a TenantScope (platform.scope(tenant)): it adds the tenant predicate itself.',
        },
      ],
    },
  },
);
