// Every example is a lesson, and a lesson that doesn't run teaches nothing:
// run each one as a user would and check what it prints.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const tsx = new URL('../node_modules/.bin/tsx', import.meta.url).pathname;
function run(example: string, ...args: string[]): string {
  return execFileSync(tsx, [new URL(`../examples/${example}`, import.meta.url).pathname, ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('examples', () => {
  it('00-tour sets up a ring and completes a NOP, a READ and a TIMEOUT', () => {
    const out = run('00-tour.ts');
    expect(out).toMatch(/SQ entries/);
    expect(out).toMatch(/userData 1 NOP\s+res 0/);
    expect(out).toMatch(/userData 2 READ\s+res 24 -> "\{\\n  \\"name\\": \\"tsuring\\"/);
    expect(out).toMatch(/userData 3 TIMEOUT res -62/);
    expect(out).toMatch(/million NOPs a second/);
  });

  it('01-nop completes one NOP with its user_data', () => {
    expect(run('01-nop.ts')).toBe('submitted 1; completion: userData 42, res 0\n');
  });

  it('02-read-file reads the first 64 bytes of a file in four reads', () => {
    const file = new URL('../LICENSE', import.meta.url).pathname;
    const out = run('02-read-file.ts', file);
    expect(out).toContain(`first 64 bytes of ${file}`);
    expect(out).toContain(JSON.stringify(readFileSync(file).subarray(0, 64).toString('utf8')));
  });
});
