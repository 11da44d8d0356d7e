import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // vitest's default is one fork per CPU but one: a single fork on a 2-core CI machine.
    // Much of the suite waits on qemu and child processes, so two run side by side.
    maxWorkers: 2,
    minWorkers: 1,
    globalSetup: ['test/helpers/bundle-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
