/**
 * vitest's global setup: compiles the library, the CLI, the examples and
 * tests/fixtures to plain JavaScript once per run, for the tests that start
 * processes and worker_threads. Under node, a compiled script starts in about
 * a third of the time tsx takes to load the same TypeScript, and the suite
 * starts some hundred of them. The build goes into node_modules (so compiled
 * code finds koffi there), in a folder of this run's own, named to the tests
 * by TSURING_TEST_BUILD, and is removed at the end.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export default function setup(): () => void {
  const cache = join(root, 'node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const out = mkdtempSync(join(cache, 'tsuring-tests-'));
  // tsc writes its output even where the types are wrong (npm test type-checks
  // first); only output that is missing stops the run.
  const tsc = spawnSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'tests/tsconfig.compiled.json'), '--outDir', out], { encoding: 'utf8' });
  if (!existsSync(join(out, 'lib/index.js'))) {
    rmSync(out, { recursive: true, force: true });
    throw new Error(`compiling the tests' scripts failed:\n${tsc.stdout}${tsc.stderr}`);
  }
  process.env.TSURING_TEST_BUILD = out;
  return () => rmSync(out, { recursive: true, force: true });
}
