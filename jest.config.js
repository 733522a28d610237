/** Jest runs TypeScript through swc (transpile only); `npm run typecheck` does the type checking. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
  // Sets PORTCULLIS_E2E_DOCKER (the end-to-end suites run only when a container engine answers)
  // and PORTCULLIS_TEST_TMP (every test's temporary directory, removed after the run), and records
  // the repository's .portcullis-data: the teardown fails the run if a test touched it.
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
};
