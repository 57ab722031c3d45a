/**
 * The tsuring command line, compiled as the package installs it (node on
 * bin/tsuring.js, from the build tests/compile.ts makes for the run), and
 * from the checkout as `npm run tsuring --` runs it (tsx on bin/tsuring.ts).
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPCODES, capabilities, type CapabilitiesReport } from '../lib/index.ts';
import { compiled } from './helpers.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

type Ran = { status: number | null; stdout: string; stderr: string };
function spawn(command: string, args: string[]): Ran {
  const r = spawnSync(command, args, { encoding: 'utf8', cwd: root, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const cli = (...args: string[]) => spawn(process.execPath, [compiled('bin/tsuring.ts'), ...args]);
const fromCheckout = (...args: string[]) => spawn(join(root, 'node_modules/.bin/tsx'), [join(root, 'bin/tsuring.ts'), ...args]);

describe('tsuring (compiled, as installed)', () => {
  it('with no command prints the usage and exits 2; --help exits 0', () => {
    const none = cli();
    expect(none.status).toBe(2);
    expect(none.stdout).toMatch(/usage: tsuring <command>/);
    for (const c of ['probe', 'trace', 'bench']) expect(none.stdout).toContain(`  ${c}`);
    expect(cli('--help').status).toBe(0);
  });

  it.each(['probe', 'trace', 'bench'])('%s --help says how to use it', (command) => {
    const r = cli(command, '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^usage: tsuring ${command}`));
  });

  it('an unknown command or option is an error with the reason', () => {
    const r = cli('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
    const bad = cli('probe', '--nope');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^tsuring: Unknown option '--nope'/);
    expect(bad.stderr).toContain('usage: tsuring probe');
  });

  it('probe --json is the capability report', () => {
    const r = cli('probe', '--json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as CapabilitiesReport;
    const here = capabilities();
    expect(report.available).toBe(here.available);
    expect(report.kernel).toEqual(here.kernel);
    expect(report.opcodes.entries.map((e) => [e.name, e.supported])).toEqual(here.opcodes.entries.map((e) => [e.name, e.supported]));
  });

  it('probe prints every opcode with its release; --short a few lines', () => {
    const r = cli('probe');
    expect(r.status).toBe(0);
    for (const o of OPCODES) expect(r.stdout).toMatch(new RegExp(`^\\s+${o.op}\\s+${o.name}\\s+${o.since.replace('.', '\\.')}\\s+(yes|no)`, 'm'));
    const short = cli('probe', '--short');
    expect(short.stdout.trim().split('\n').length).toBeLessThan(10);
    expect(short.stdout).toMatch(/^opcodes: \d+ of \d+ supported/m);
  });

  it('trace runs a lesson with every SQE and CQE printed, text or JSON', () => {
    const r = cli('trace', '01');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('submitted 1; completion: userData 42, res 0\n');
    expect(r.stderr).toMatch(/SQE -> IORING_OP_NOP .*user_data=42/);
    expect(r.stderr).toMatch(/CQE <- IORING_OP_NOP user_data=42 res=0/);
    const j = cli('trace', 'nop', '--json');
    const first = JSON.parse(j.stderr.split('\n').find((l) => l.startsWith('{'))!) as { kind: string; entry: { op: string } };
    expect(first).toMatchObject({ kind: 'sqe', entry: { op: 'IORING_OP_NOP' } });
  });

  it('trace --list names the lessons; a name that matches none is an error', () => {
    const list = cli('trace', '--list');
    expect(list.stdout.split('\n')).toEqual(expect.arrayContaining(['00-tour', '01-nop', '04-link-cp', '14-async-tour']));
    const r = cli('trace', 'no-such-lesson');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no single example matches 'no-such-lesson'");
  });
});

describe('tsuring (from the checkout: tsx on bin/tsuring.ts)', () => {
  it('probe --short, and trace of a lesson run as TypeScript', () => {
    const probe = fromCheckout('probe', '--short');
    expect(probe.status).toBe(0);
    expect(probe.stdout).toMatch(/^io_uring on Linux/);
    const trace = fromCheckout('trace', '01');
    expect(trace.status).toBe(0);
    expect(trace.stdout).toBe('submitted 1; completion: userData 42, res 0\n');
    expect(trace.stderr).toMatch(/CQE <- IORING_OP_NOP user_data=42 res=0/);
  });
});
