// Jest configuration provided by Grafana scaffolding, plus: `.mjs` files transformed too
// (d3-color and friends ship ESM only), and the browser test kept out (it has its own
// config, jest.browser.config.js, and needs a built plugin and a live API).
const base = require('./.config/jest.config');

module.exports = {
  ...base,
  transform: {
    '^.+\\.(t|j)sx?$': base.transform['^.+\\.(t|j)sx?$'],
    '^.+\\.mjs$': base.transform['^.+\\.(t|j)sx?$'],
  },
  testMatch: ['<rootDir>/src/**/*.test.{ts,tsx}'],
  testTimeout: 30000,
};
