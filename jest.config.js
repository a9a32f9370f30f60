/** Unit tests run on the TypeScript sources (ts-jest, transpile only: `npm run build` type-checks). */
module.exports = {
  testEnvironment: 'jest-environment-node-single-context',
  roots: ['<rootDir>/tests'],
  // Main context for speed (tests/setup.js says why), a fresh tfjs per test file.
  setupFiles: ['<rootDir>/tests/setup.js'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }] },
  testTimeout: 120000,
  maxWorkers: 2,
  verbose: true,
};
