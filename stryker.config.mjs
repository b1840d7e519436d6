// Mutation testing (docs/quality.md): `npm run test:mutation`, or some files with
// `npm run test:mutation -- --mutate 'src/agent/graph/**/*.ts'` (that list replaces `mutate`).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'jest',
  // Every test of the configuration in the first run, not only those importing a mutated file
  // directly: jest cannot follow imports through src/ (not among its roots), so a suite that
  // reaches a file through others (an orchestrator in front of its routes) would be left out.
  jest: { configFile: 'jest.mutation.config.js', enableFindRelatedTests: false },
  // ts-jest runs the project as ES modules (as `npm test` does).
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  checkers: ['typescript'],
  // Only the mutated folders: a mutant's type error shows in its own file or its folder, and
  // re-checking every dependent across src made the checker the slowest part of a run.
  tsconfigFile: 'tsconfig.mutation.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // What is mutated, and what is left out and why: docs/quality.md, "Mutation testing".
  mutate: [
    'src/agent/graph/**/*.ts',
    'src/agent/tools/**/*.ts',
    'src/runtime/{contract,invoke,protocol,retry,signing}.ts',
    'src/runtime/bundle/{budget,discover,manifest,native}.ts',
    'src/runtime/host/{backoff,call-body,fifo,http,idempotency,lines,log,log-forwarder}.ts',
    'src/runtime/host/{metrics,registry,restart-gate,stack-mapper,worker-env,worker-exit}.ts',
    'src/orchestrator/api/{access,assistant-catalog,error-handler,media-type,methods}.ts',
    'src/orchestrator/api/{run-request,serialize}.ts',
    'src/orchestrator/api/schemas*.ts',
    // Type declarations and re-exports: nothing a test could observe.
    '!src/**/types.ts',
    '!src/**/index.ts',
  ],
  coverageAnalysis: 'perTest',
  // Mutants only reached while a module loads would need every test re-run for each of them.
  ignoreStatic: true,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  concurrency: 1,
  // A mutant that loops forever costs this much over the test's usual time before it counts.
  timeoutMS: 5_000,
  tempDirName: 'reports/.stryker-tmp',
  // Stryker copies the project into a sandbox: leave out what the tests never read.
  ignorePatterns: [
    '/dist',
    '/coverage',
    '/logs',
    '/data',
    '/reports',
    '/test-results',
    '/bench-results',
    '/extensions/vscode/dist',
  ],
  reporters: ['html', 'clear-text', 'json', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, reportMutants: true, reportTests: false },
  thresholds: { high: 85, low: 75, break: null },
};
