// A short run of the fuzzer (fuzz/fuzz.ts) with fixed seeds, in the long
// vitest run (`npm run test:long`, vitest.long.config.ts) beside the soak:
// each run calls the encoders, IoUring methods and AsyncRing methods with
// hostile arguments in a child process and checks the safety
// contract (refusals leave the SQE as getSqe handed it out, no canary byte
// written, close() settles everything, no fd left open, no crash or hang).
// The bounded long run is in .ci/run; a failure here prints the call and
// the `npm run fuzz` line that replays it.

import { describe, expect, it } from 'vitest';
import { fuzz } from '../fuzz/fuzz.ts';

// Seeds and target sets that pass. Add one when a fix lands; `only` takes
// substrings of target names (`prepRead`, `ring.cqAdvance`, `async.read`).
const RUNS: readonly { seed: number; iterations: number; only?: string[] }[] = [
  { seed: 1, iterations: 3 },
  { seed: 11, iterations: 3, only: ['prepRead', 'prepWrite', 'prepNop', 'ring.cqAdvance', 'ring.getSqes', 'async.read', 'async.write'] },
];

describe('fuzz', () => {
  for (const run of RUNS) {
    it(`seed ${run.seed}, ${run.iterations} iterations${run.only ? `, only ${run.only.join(',')}` : ''}`, async () => {
      const r = await fuzz({ ...run, quiet: true });
      const lines = r.failures.map((f) => `[${f.kind}] ${f.target} at iteration ${f.it}: ${f.desc}\n  ${f.msg}\n  replay: npm run fuzz -- --seed ${run.seed} --start ${f.it} --iterations 1${run.only ? ` --only ${run.only.join(',')}` : ''}`);
      expect(lines).toEqual([]);
      expect(r.iterations).toBe(run.iterations);
    }, 60_000);
  }
});
