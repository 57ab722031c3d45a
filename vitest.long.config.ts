// The long runs, out of `npm test`: the soak (`npm run soak`; TSURING_SOAK_SECONDS,
// default 60) and the fuzzer's fixed seeds. .ci/run runs this after `npm test`.
import { defineConfig } from 'vitest/config';
import { longRuns } from './vitest.config.ts';

export default defineConfig({
  test: {
    include: longRuns,
    globalSetup: ['tests/compile.ts'],
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
    maxWorkers: 1,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
