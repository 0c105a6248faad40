// The browser test: the built plugin (dist/) in Debian's Chromium through playwright-core,
// against a live token-factory API on embedded ClickHouse. Needs `npm run build`, the
// root's build (the API) and /usr/bin/chromium. Screenshots go to test-results/screenshots.
const base = require('./.config/jest.config');

module.exports = {
  transform: base.transform,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/tests/browser/**/*.test.ts'],
  testTimeout: 180000,
};
