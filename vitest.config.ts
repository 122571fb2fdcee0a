import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Native work is multi-threaded already; parallel files fight for 2 cores.
    fileParallelism: false,
    // verbose: skipped GPU and browser tests are listed with the reason in their names
    reporters: ['verbose'],
  },
});
