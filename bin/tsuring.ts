#!/usr/bin/env node
// The tsuring command line: what io_uring can do here, a traced run of a
// lesson, and the benchmarks as a table of ratios.
//
//   npm run tsuring -- <command> [options]     (in a checkout)
//   npx tsuring <command> [options]            (installed)

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { capabilities, formatCapabilities } from '../lib/debug/capabilities.ts';

const here = dirname(fileURLToPath(import.meta.url));
// From a checkout this file runs under tsx as .ts; installed, as dist/bin/*.js.
const compiled = fileURLToPath(import.meta.url).endsWith('.js');
const root = resolve(here, '..');
const ext = compiled ? '.js' : '.ts';

const HELP: Record<string, string> = {
  main: `usage: tsuring <command> [options]

commands:
  probe            what io_uring can do on this machine (opcodes, flags, limits)
  trace <example>  run a lesson from examples/ with every SQE and CQE printed
  bench            the benchmarks side by side, as a table of ratios

Run 'tsuring <command> --help' for a command's options.`,
  probe: `usage: tsuring probe [--json] [--short]

Prints the capability report: the kernel release, whether io_uring is
available (and if not, why), features, every opcode with whether this kernel
supports it and the Linux release that added it, the setup, register, enter
and SQE flags it accepts, RLIMIT_MEMLOCK and RLIMIT_NOFILE, and SQPOLL.

  --json    the report as JSON
  --short   a few lines instead of the tables`,
  trace: `usage: tsuring trace <example> [--json] [-- example args...]

Runs examples/<example> (a number like 04, or a name like link-cp) with
TSURING_TRACE set, so every SQE submitted and every CQE reaped is printed
to stderr, decoded, with a timestamp in milliseconds.

  --json    one JSON object per line instead of text
  --list    list the examples`,
  bench: `usage: tsuring bench [--runs N] [--seconds S] [--only GROUPS]

Runs each benchmark beside its rival (C liburing, node:fs/promises, node
streams), alternating, and prints the ratio of medians with the goal.
GROUPS is a comma-separated subset of
nop,randread,async,pingpong,pinned,engine,defer,fs,net,frames,trace,nopbase.
C rows need the anchors from a checkout (../shared/anchors).

  --runs N      alternating runs per side (default 3)
  --seconds S   seconds per run (default 3)
  --only G      only these groups
  --file PATH   the data file for the read benchmarks (not on tmpfs)`,
};

function fail(message: string): never {
  process.stderr.write(`tsuring: ${message}\n`);
  process.exit(2);
}

// Runs a TypeScript script of the checkout (under tsx) or its compiled twin.
function runScript(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const argv = compiled ? [file, ...args] : ['--import', 'tsx', file, ...args];
  const r = spawnSync(process.execPath, argv, { stdio: 'inherit', env, cwd: root });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function examples(): string[] {
  const dir = join(root, 'examples');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /^\d\d-.*\.(ts|js)$/.test(f) && f.endsWith(ext)).sort();
}

function probe(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, short: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) return void console.log(HELP.probe), 0;
  const report = capabilities();
  console.log(values.json ? JSON.stringify(report, null, 2) : formatCapabilities(report, { short: values.short ?? false }));
  return report.available ? 0 : 1;
}

function trace(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { json: { type: 'boolean' }, list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return void console.log(HELP.trace), 0;
  const all = examples();
  if (values.list) return void console.log(all.map((f) => f.slice(0, -ext.length)).join('\n')), 0;
  const [which, ...rest] = positionals;
  if (which === undefined) fail(`trace needs an example: one of\n  ${all.join('\n  ')}`);
  const matches = all.filter((f) => f === which || f.startsWith(`${which}-`) || f.slice(3, -ext.length) === which || f.slice(0, -ext.length) === which);
  if (matches.length !== 1) fail(`no single example matches '${which}': one of\n  ${all.join('\n  ')}`);
  return runScript(join(root, 'examples', matches[0]!), rest, { ...process.env, TSURING_TRACE: values.json ? 'json' : '1' });
}

function bench(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' }, seconds: { type: 'string' }, only: { type: 'string' }, file: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void console.log(HELP.bench), 0;
  const args = Object.entries(values).filter(([k, v]) => k !== 'help' && v !== undefined).flatMap(([k, v]) => [`--${k}`, String(v)]);
  const script = join(root, 'bench', `compare${ext}`);
  if (!existsSync(script)) fail('the benchmarks ship with the repository, not the package: run this from a checkout');
  return runScript(script, args);
}

const [command, ...rest] = process.argv.slice(2);
const commands: Record<string, (argv: string[]) => number> = { probe, trace, bench };
if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
  console.log(HELP.main);
  process.exit(command === undefined ? 2 : 0);
}
const fn = commands[command];
if (fn === undefined) fail(`unknown command '${command}'\n\n${HELP.main}`);
try {
  process.exitCode = fn(rest);
} catch (err) {
  // parseArgs' refusals (an unknown option, a missing value) are usage errors.
  if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS_')) fail(`${(err as Error).message}\n\n${HELP[command]}`);
  throw err;
}
