import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// The long runs are out of `npm test`: the soak (tests/soak.test.ts, 60 s of
// random operations; `npm run soak`) and the fuzzer's fixed seeds
// (tests/fuzz.test.ts); vitest.long.config.ts runs both, and .ci/run runs it
// after `npm test`.
export const longRuns = ['tests/soak.test.ts', 'tests/fuzz.test.ts'];

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...longRuns],
    // Forks, not threads: each test file gets its own process, so a ring
    // test that goes wrong can't take the others down, and --expose-gc lets
    // the memory-lifetime tests force collections.
    globalSetup: ['tests/compile.ts'],
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
    // One file per core. vitest's default leaves a core to itself (one
    // worker on a two-core machine), and most files spend their time waiting
    // on the kernel or on a child process, not on that core.
    maxWorkers: availableParallelism(),
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
