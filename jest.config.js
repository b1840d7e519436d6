/** @type {import('jest').Config} */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/tests/unit', '<rootDir>/tests/integration', '<rootDir>/tests/e2e'],
  testMatch: ['**/*.test.ts'],
  // The end-to-end test in code-server needs code-server installed (.ci/install-code-server):
  // `npm run test:vscode` runs it, and CI does.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/e2e/vscode'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // The VS Code extension's tests run its code with VS Code's API faked at the module boundary.
    '^vscode$': '<rootDir>/tests/integration/vscode/fake-vscode.ts',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  setupFiles: ['<rootDir>/tests/setup-env.ts'],
  testTimeout: 60_000,
  // Jest's default on 2 cores is one worker; most suites wait on processes, servers and timers
  // rather than compute, so two share the machine well (CONTRIBUTING.md, "Tests").
  maxWorkers: 2,
  collectCoverage: true,
  coverageDirectory: 'coverage',
  coverageReporters: ['text-summary', 'lcov', 'json-summary'],
  collectCoverageFrom: [
    'src/**/*.ts',
    'functions/**/*.ts',
    'extensions/vscode/src/**/*.ts',
    '!**/*.d.ts',
    // Runs in the browser; tests/e2e drives it in Chromium.
    '!src/dashboard/ui/**',
  ],
  coverageThreshold: {
    global: { lines: 90, statements: 90, functions: 90, branches: 85 },
  },
};
