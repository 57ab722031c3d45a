// Runs the TypeScript benchmarks side by side with their C liburing anchors
// (../shared/anchors, built on first use), alternating, and prints the
// ratio of medians: these machines are noisy, so only ratios mean much.
//
//   npx tsx bench/compare.ts [--runs 3] [--seconds 3] [--only nop|randread] [--file PATH]

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '3' },
    only: { type: 'string' },
    file: { type: 'string' },
    anchors: { type: 'string', default: resolve(root, '../shared/anchors') },
  },
});
const runs = Number(values.runs);
const seconds = values.seconds!;

function lastNumber(out: string, key: string): number {
  const m = out.match(new RegExp(`^${key} (\\d+(?:\\.\\d+)?)$`, 'm'));
  if (!m) throw new Error(`no "${key}" line in:\n${out}`);
  return Number(m[1]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function buildAnchors(): string {
  const script = join(values.anchors!, 'build.sh');
  if (!existsSync(script)) throw new Error(`no C anchors at ${values.anchors} (pass --anchors)`);
  return execFileSync('bash', [script], { encoding: 'utf8' }).trim().split('\n').pop()!;
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
}

const tsx = join(root, 'node_modules/.bin/tsx');
interface Case { name: string; key: string; c: string[]; ts: string[]; floor?: number }
const anchors = buildAnchors();
const cases: Case[] = [];
if (!values.only || values.only === 'nop') {
  for (const [batch, floor] of [[1, 0.55], [32, 0.85], [128, 0.95]] as const) {
    cases.push({
      name: `nop batch ${batch}`, key: 'nops_per_sec', floor,
      c: [join(anchors, 'nop'), String(batch), seconds],
      ts: [tsx, join(here, 'nop.ts'), '--batch', String(batch), '--seconds', seconds],
    });
  }
}
if (!values.only || values.only === 'randread') {
  const file = values.file ?? join(root, '.bench-data/randread.bin');
  run(tsx, [join(here, 'make-file.ts'), '--file', file, '--mib', '256']);
  cases.push({
    name: 'randread qd 32', key: 'iops', floor: 0.85,
    c: [join(anchors, 'randread'), file, '32', seconds],
    ts: [tsx, join(here, 'randread.ts'), '--file', file, '--qd', '32', '--seconds', seconds, '--api', 'ring'],
  });
}

const rows: string[] = [];
for (const k of cases) {
  const c: number[] = [];
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so drift hits both alike.
    const order = i % 2 === 0 ? (['c', 'ts'] as const) : (['ts', 'c'] as const);
    for (const who of order) {
      const [cmd, ...args] = who === 'c' ? k.c : k.ts;
      if (who === 'c' && k.key === 'iops') run(tsx, [join(here, 'make-file.ts'), '--file', args[0]!, '--warm']);
      const v = lastNumber(run(cmd!, args), k.key);
      (who === 'c' ? c : t).push(v);
    }
  }
  const ratio = median(t) / median(c);
  const line = `${k.name.padEnd(16)} C ${Math.round(median(c)).toString().padStart(10)}  TS ${Math.round(median(t)).toString().padStart(10)}  ratio ${ratio.toFixed(2)}${k.floor ? `  (goal >= ${k.floor})` : ''}`;
  console.log(line);
  rows.push(line);
}
