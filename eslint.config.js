// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** I/O modules that the pure layers (core, projections, engine) must not import. */
// node:net stays allowed: core uses its pure isIP() to validate addresses.
const ioModules = [
  'node:fs',
  'fs',
  'node:dgram',
  'dgram',
  'node:http',
  'http',
  'better-sqlite3',
  '@matrixai/quic',
  'node:child_process',
  'child_process',
];

/** Modules of this project that do I/O (SQLite, files, QUIC, the CLI), by relative path. */
const ioRelativeModules = [
  '**/events/sqlite-*',
  '**/events/checkpoint.js',
  '**/events/backup.js',
  '**/events/data-dir-lock.js',
  '**/events/log-meta.js',
  '**/events/migrations.js',
  '**/events/repair-log.js',
  '**/events/retention.js',
  '**/events/verify-log.js',
  '**/events/wal-checkpointer.js',
  '**/events/damaged-rows.js',
  '**/net/quic-*',
  '**/net/certificate.js',
  '**/net/connection-pool.js',
  '**/net/rpc-stream.js',
  '**/net/stream-*',
  '**/net/real-timers.js',
  '**/cli/**',
  '**/inspect/**',
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'devnet/**',
      'tesd-data/**',
      'ops/**',
      '.stryker-tmp/**',
      'reports/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  {
    files: ['src/core/**', 'src/projections/**', 'src/dht/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ioModules.map((name) => ({
            name,
            message: 'pure layer: no I/O (docs/design.md, Layout); inject a port instead',
          })),
          // The project's own I/O modules, reached by relative paths. scripts/check-layers.mjs
          // (run by `npm run lint`) also follows imports transitively.
          patterns: [
            {
              group: ioRelativeModules,
              message:
                'pure layer: this module does I/O (docs/design.md, Layout); inject a port instead',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'inject a Clock' },
        { object: 'Math', property: 'random', message: 'inject a Random' },
      ],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
