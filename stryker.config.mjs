// @ts-check
import process from 'node:process';
/**
 * Mutation testing (issue 16, docs/mutation.md): `npm run test:mutation`.
 *
 * The tap runner runs each test file as its own `node --import tsx` process and records which
 * file reaches which mutant, so a mutant is tested only by the fast unit tests that reach it.
 * Only those fast files are listed here: a slow simulation or a real-QUIC test would multiply
 * the run time by the number of mutants. Concurrency 1: the machines have 2 cores.
 *
 * MUTATE=path[,path] narrows the run to some of the files (e.g. while killing survivors).
 */

/** The rules that matter most, and the unit tests that concern them. */
const targets = [
  'src/events/hash-chain.ts',
  'src/core/pointer.ts',
  'src/net/frame-codec.ts',
  'src/dht/diversity.ts',
  'src/projections/network-groups.ts',
  'src/dht/rate-limiter.ts',
  'src/dht/routing-decisions.ts',
  'src/dht/pointer-decisions.ts',
  'src/projections/routing-table.ts',
  'src/projections/pointer-store.ts',
];

const unitTests = [
  'test/events/hash-chain.test.ts',
  'test/events/hash-chain-edges.test.ts',
  'test/core/core.test.ts',
  'test/core/protocol-vectors.test.ts',
  'test/core/pointer-checks.test.ts',
  'test/net/frame-codec.test.ts',
  'test/net/frame-reader.test.ts',
  'test/net/wire-validate.test.ts',
  'test/net/frame-size-limit.test.ts',
  'test/net/frame-decode-errors.test.ts',
  'test/dht/store-decisions.test.ts',
  'test/dht/store-decision-edges.test.ts',
  'test/dht/rate-limiter.test.ts',
  'test/dht/admission-keys-cache.test.ts',
  'test/dht/ipv6-diversity.test.ts',
  'test/dht/diversity-edges.test.ts',
  'test/projections/network-groups.test.ts',
  'test/projections/network-groups-cache.test.ts',
  'test/dht/outage-from-log.test.ts',
  'test/core/address.test.ts',
  'test/dht/routing-decisions.test.ts',
  'test/dht/bucket-rules.test.ts',
  'test/dht/routing-decision-edges.test.ts',
  'test/projections/routing-table.test.ts',
  'test/projections/routing-table-fold.test.ts',
  'test/projections/pointer-store-fold.test.ts',
];

const only = process.env['MUTATE'];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'tap',
  plugins: ['@stryker-mutator/tap-runner'],
  mutate: only ? only.split(',') : targets,
  tap: {
    testFiles: unitTests,
    nodeArgs: ['--import', 'tsx', '--test-reporter=tap', '-r', '{{hookFile}}', '{{testFile}}'],
    forceBail: true,
  },
  coverageAnalysis: 'perTest',
  concurrency: 1,
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress-append-only', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  incremental: process.env['STRYKER_INCREMENTAL'] === '1',
  incrementalFile: 'reports/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  ignorePatterns: [
    'dist',
    'reports',
    'devnet',
    'tesd-data',
    'bench/out',
    'ops/tofu/.terraform',
    '.stryker-tmp',
  ],
  cleanTempDir: true,
};
