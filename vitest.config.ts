import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // AsyncRing is unfinished: under its tests a heap corruption ("free():
    // invalid next size") still shows in about one run in six, so they run
    // only on demand (npm run test:async) until it is found. See README,
    // "AsyncRing (in progress)".
    exclude: ['tests/async-ring.test.ts', 'node_modules/**'],
    // Forks, not threads: each test file gets its own process, so a ring
    // test that goes wrong can't take the others down, and --expose-gc lets
    // the memory-lifetime tests force collections.
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
