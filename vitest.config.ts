import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores on CI machines: keep forks few so loopback servers are not starved.
    pool: 'forks',
    maxWorkers: 2,
  },
});
