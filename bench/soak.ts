// The soak of tests/soak.test.ts (RELIABILITY 28) for longer than CI's
// minute, or several times over: the same test, run by vitest with its
// duration and seed from the command line. Exits with the first failing
// run's status; each run prints its seed.
//
//   npx tsx bench/soak.ts [--seconds 600] [--seed N] [--runs 1]

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '600' },
    seed: { type: 'string' },
    runs: { type: 'string', default: '1' },
  },
});
const root = fileURLToPath(new URL('..', import.meta.url));
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));

for (let run = 1; run <= Number(values.runs); run++) {
  const env: NodeJS.ProcessEnv = { ...process.env, TSURING_SOAK_SECONDS: values.seconds };
  if (values.seed !== undefined) env.TSURING_SOAK_SEED = values.seed;
  console.log(`soak run ${run}/${values.runs}: ${values.seconds} s`);
  const r = spawnSync(process.execPath, [vitest, 'run', 'tests/soak.test.ts'], { cwd: root, env, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
