// writeFile over a file that exists, when the kernel cuts the write short
// or refuses it (a file size limit: EFBIG). tsuring/fs writes over such a
// file and cuts it to the length written, where node:fs/promises opens it
// with O_TRUNC: after a write that fails part way, both must leave the file
// holding the bytes written and nothing of what it held before, and fail
// with the same error.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compiled } from './helpers.ts';

const LIMIT = 50;
const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsuring-fsize-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(api: string, bytes: number, limit: number): unknown {
  const file = join(dir, api);
  writeFileSync(file, Buffer.alloc(200, 'o'));
  // stdout is a pipe, which the limit doesn't touch.
  const out = execFileSync('prlimit', [`--fsize=${limit}`, process.execPath, compiled('tests/fixtures/fs-fsize-child.ts'), api, file, String(bytes)], {
    encoding: 'utf8', stdio: 'pipe', timeout: 20_000,
  });
  return JSON.parse(out);
}

describe.skipIf(!hasPrlimit)('writeFile over a file, under a file size limit (needs prlimit)', () => {
  test.each([
    ['a write cut short, then EFBIG', 100, LIMIT],
    ['EFBIG from the first byte', 100, 0],
    ['within the limit (the file shrinks from 200 bytes)', 40, LIMIT],
  ])('%s: as node:fs/promises', (_, bytes, limit) => {
    const node = run('node', bytes, limit);
    const ring = run('tsuring', bytes, limit);
    expect(ring).toEqual(node);
    expect((node as { holds: string }).holds).toBe('n'.repeat(Math.min(bytes, limit)));
  });
});
