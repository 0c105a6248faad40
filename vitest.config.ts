import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'grafana-plugin/**', 'scratch/**'],
    // Integration tests each open their own embedded ClickHouse (`:memory:` or a temp
    // dir) in a forked worker: chDB allows one data path per process.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
