/**
 * Unit tests run on the TypeScript sources (ts-jest, transpile only: `npm run build` type-checks).
 * `npm test` runs tests/ except tests/notebooks/, the lessons end to end (every notebook headless in quick
 * mode, lesson 00 in Jupyter in Chromium): `npm run test:notebooks` (jest.notebooks.config.js) runs those,
 * and CI runs both (.ci/run). Split so that `npm test` stays under 6 minutes on an idle 2-core machine.
 */
module.exports = {
  testEnvironment: 'jest-environment-node-single-context',
  roots: ['<rootDir>/tests'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/notebooks/'],
  // Main context for speed (tests/setup.js says why), a fresh tfjs per test file.
  setupFiles: ['<rootDir>/tests/setup.js'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }] },
  testTimeout: 120000,
  maxWorkers: 2,
  verbose: true,
};
