import base from './jest.mutation.config.js';

// The tests stryker.integration.config.mjs runs against each mutant: the run API's suites (an
// orchestrator in process in front of a worker host), the dashboard's routes, the worker host's
// suites and the deploy suites that drive a host in process (its admin API, deploys, lifecycle),
// besides the fast ones of jest.mutation.config.js. The mutated code runs in the jest process;
// the worker processes run built bundles, which no mutant reaches.
/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: [
    ...base.testMatch,
    '<rootDir>/tests/integration/orchestrator/api-*.test.ts',
    '<rootDir>/tests/integration/dashboard/{routes,log-tail}.test.ts',
    '<rootDir>/tests/integration/runtime/host/*.test.ts',
    '<rootDir>/tests/integration/orchestrator/connection-drain.test.ts',
    '<rootDir>/tests/integration/deploy/admin-api.test.ts',
    '<rootDir>/tests/integration/deploy/blue-green.test.ts',
    '<rootDir>/tests/integration/deploy/host-lifecycle.test.ts',
    '<rootDir>/tests/integration/deploy/worker-errors.test.ts',
  ],
};
