import base from './jest.config.js';

// The tests StrykerJS runs against each mutant (stryker.config.mjs, docs/quality.md): the fast,
// in-process tests of the mutated files. Left out: tests whose code under test runs in a child
// process or a built bundle (a mutant in the in-process source never reaches it), the ones that
// start a worker host or an orchestrator (seconds per mutant), and those that need Postgres.
/** @type {import('jest').Config} */
export default {
  ...base,
  roots: ['<rootDir>/tests/unit', '<rootDir>/tests/integration'],
  testMatch: [
    '<rootDir>/tests/unit/runtime/**/*.test.ts',
    '<rootDir>/tests/unit/agent/tools/**/*.test.ts',
    '<rootDir>/tests/unit/agent/graph/**/*.test.ts',
    '<rootDir>/tests/unit/orchestrator/**/*.test.ts',
    '<rootDir>/tests/integration/runtime/invoke.test.ts',
    '<rootDir>/tests/integration/agent/tools/*.test.ts',
    '<rootDir>/tests/integration/agent/graph/*.test.ts',
    '<rootDir>/tests/integration/orchestrator/api-errors.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/'],
  // Stryker measures its own coverage; jest's would only slow every mutant run.
  collectCoverage: false,
  coverageThreshold: undefined,
};
