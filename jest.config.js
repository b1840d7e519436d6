/** @type {import('jest').Config} */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/tests/unit', '<rootDir>/tests/integration', '<rootDir>/tests/e2e'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  setupFiles: ['<rootDir>/tests/setup-env.ts'],
  testTimeout: 60_000,
  collectCoverage: true,
  coverageDirectory: 'coverage',
  coverageReporters: ['text-summary', 'lcov', 'json-summary'],
  collectCoverageFrom: [
    'src/**/*.ts',
    'functions/**/*.ts',
    '!**/*.d.ts',
    // Runs in the browser; tests/e2e drives it in Chromium.
    '!src/dashboard/main.ts',
    '!src/dashboard/ui/**',
  ],
  coverageThreshold: {
    global: { lines: 90, statements: 90, functions: 90, branches: 85 },
  },
};
