import base from './stryker.config.mjs';

// Mutation testing of the files stryker.config.mjs leaves out: the ones tested only through
// suites that start a worker host with worker processes, or an orchestrator in front of one
// (docs/quality.md). Each mutant pays for that start-up again: hours per folder on 2 cores.
// `npm run test:mutation:integration [-- --mutate <globs>]`.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  jest: { ...base.jest, configFile: 'jest.mutation.integration.config.js' },
  mutate: [
    'src/orchestrator/api/{app,assistant-graph,auth,key-watch,openapi,respond,run-service}.ts',
    'src/orchestrator/api/routes/*.ts',
    'src/runtime/host/{pool,worker-process,worker-fleet,worker-set,services,deployer}.ts',
    'src/runtime/host/{gateway,admin-routes,invoke-route,health,failures,bundle-store}.ts',
    'src/runtime/{connection-drain,host-pool,server-timeouts}.ts',
  ],
  incrementalFile: 'reports/stryker-incremental-integration.json',
  htmlReporter: { fileName: 'reports/mutation-integration/index.html' },
  jsonReporter: { fileName: 'reports/mutation-integration/mutation.json' },
  // A start-up is part of every test run here: a mutant gets longer before it counts as a hang.
  timeoutMS: 15_000,
};
