import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'tools/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    globalSetup: ['test/helpers/bundle-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
