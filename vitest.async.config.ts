// The async layer's tests, run on demand: `npm run test:async` (see vitest.config.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/async-*.test.ts', 'tests/waker.test.ts', 'tests/soak.test.ts'],
    globalSetup: ['tests/compile.ts'],
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
