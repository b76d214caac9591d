module.exports = {
  testEnvironment: 'jsdom',
  testMatch: ['<rootDir>/tests/**/*.test.js'],
  setupFiles: ['<rootDir>/tests/setup.js'],
  // j-component re-runs a component's file on every load: no module cache between tests
  resetModules: true,
  // A page renders through WeChat's WXML compiler in ~3 s here; on a loaded machine the
  // default 5 s per test ran out mid-test (a timeout, then the next test disturbed by
  // the one left running): a bound, not a speed check.
  testTimeout: 30000,
}
