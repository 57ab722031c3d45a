// Every speed claim, side by side with its rival in one script run:
// alternating runs, the ratio of medians (these machines are noisy, so only
// ratios mean much), against the goal each issue set.
//
//   nop       NOPs through the raw ring against C liburing (../shared/anchors),
//             prepared with getSqe + prepNop and with getSqes + words
//   randread  4 KiB random reads at QD 32, raw ring against C liburing
//   async     the same reads through AsyncRing against node:fs/promises and
//             against the raw ring
//   pingpong  1-byte round trips through `cat`: AsyncRing against node's streams,
//             and the two references without an event loop (a reader that
//             sleeps in read(), one that spins) against node's streams
//   pinned    the pingpong rows again with this process and cat on one CPU
//             (taskset -c 0): no halted vCPU to wake, so what is left is
//             each library's own cost per round trip
//   engine    AsyncRing's reads against the same benchmark at --engine-base
//             (default: the commit before the closure-free hot path), in a
//             git worktree: what that change bought. From a git checkout only.
//   defer     AsyncRing on a SINGLE_ISSUER | DEFER_TASKRUN ring against a
//             default one (randread and pingpong): should it be the default?
//   nopbase   the NOP rows at batch 32 and 128 against the same benchmark at
//             --nop-base (default: the commit whose run met the NOP goals
//             against C), in a git worktree: what the code since costs.
//             Not in the default set. From a git checkout only.
//   fs        tsuring/fs against node:fs/promises (bench/fs.ts): small-files,
//             copy, randread, write-small and overwrite-small; the raw ring's small-files
//             (the ceiling) against node and against tsuring/fs; against node:fs/promises with
//             UV_USE_IO_URING=1 (libuv's own io_uring, where it has one);
//             and against node:fs/promises under Bun (--bun PATH, default
//             /tmp/bun/package/bin/bun: `npm pack @oven/bun-linux-x64` and
//             untar; without it those rows are skipped with a note)
//   net       tsuring/net against node:net and node:http (bench/net.ts, the C
//             load generator): echo at 64 B and 16 KiB over 100 connections,
//             64 B over one and over 10,000 (with the server's peak RSS),
//             server CPU per request, HTTP hello; and Bun.listen
//   frames    tsuring/fs small-files against itself with stack traces off:
//             what the caller's frames in its errors cost calls that succeed
//   trace     NOPs at batch 1 with the trace turned off, against the same
//             benchmark at --base (default: the commit before the trace
//             hook existed), checked out in a git worktree: what an idle
//             trace costs. From a git checkout only.
//
//   npx tsx bench/compare.ts [--runs 3] [--seconds 3] [--only nop,randread,async,pingpong,pinned,engine,defer,fs,net,frames,trace,nopbase]
//                            [--file PATH] [--base REV] [--engine-base REV] [--nop-base REV] [--bun PATH]
//
// The C rows need ../shared/anchors (built on first use); without it they
// are skipped with a note.

import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, symlinkSync } from 'node:fs';
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
    base: { type: 'string', default: '16d44a5' },
    'engine-base': { type: 'string', default: '03aff1d' },
    'nop-base': { type: 'string', default: 'd6b4976' },
    bun: { type: 'string', default: '/tmp/bun/package/bin/bun' },
  },
});
const runs = Number(values.runs);
const seconds = values.seconds!;
const only = values.only ? new Set(values.only.split(',')) : null;
// nopbase only when asked for: it repeats the NOP rows against an old commit.
const want = (group: string): boolean => (only === null ? group !== 'nopbase' : only.has(group));

function lastNumber(out: string, key: string): number {
  const m = out.match(new RegExp(`^${key} (\\d+(?:\\.\\d+)?)$`, 'm'));
  if (!m) throw new Error(`no "${key}" line in:\n${out}`);
  return Number(m[1]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function run(cmd: string, args: string[], env?: Record<string, string>, cwd = root): string {
  return execFileSync(cmd, args, { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
}

// The TypeScript benchmarks run under tsx from a checkout, as plain
// JavaScript from an installed package's dist/.
const compiled = fileURLToPath(import.meta.url).endsWith('.js');
const script = (name: string): string[] => (compiled ? [process.execPath, join(here, `${name}.js`)] : [join(root, 'node_modules/.bin/tsx'), join(here, `${name}.ts`)]);

function anchorsDir(): string | null {
  const build = join(values.anchors!, 'build.sh');
  if (!existsSync(build)) return null;
  return execFileSync('bash', [build], { encoding: 'utf8' }).trim().split('\n').pop()!;
}

interface Side { label: string; cmd: string[]; env?: Record<string, string>; cwd?: string }
interface Case { name: string; key: string; a: Side; b: Side; floor?: number; warm?: string }
const cases: Case[] = [];
const notes: string[] = [];
const file = values.file ?? join(root, '.bench-data/randread.bin');
const needsFile = want('randread') || want('async') || want('engine') || want('defer');
if (needsFile) run(script('make-file')[0]!, [...script('make-file').slice(1), '--file', file, '--mib', '256']);

const anchors = want('nop') || want('randread') ? anchorsDir() : null;
if ((want('nop') || want('randread')) && anchors === null) notes.push(`C rows skipped: no anchors at ${values.anchors} (pass --anchors DIR)`);
if (anchors !== null && want('nop')) {
  // Both ways of preparing entries: getSqe + prepNop per entry, as the C
  // does, and getSqes + words (no object per entry). The goal is the issue's,
  // held against each.
  for (const [batch, floor] of [[1, 0.55], [32, 0.85], [128, 0.95]] as const) {
    for (const [api, label] of [['sqe', 'TS getSqe'], ['words', 'TS getSqes']] as const) {
      cases.push({
        name: `nop batch ${batch}`, key: 'nops_per_sec', floor,
        a: { label, cmd: [...script('nop'), '--batch', String(batch), '--seconds', seconds, '--api', api] },
        b: { label: 'C liburing', cmd: [join(anchors, 'nop'), String(batch), seconds] },
      });
    }
    // The ceiling: the least JavaScript over koffi can do (bench/nop.ts
    // --api bare, no bookkeeping), against C and against the library.
    const bare = { label: 'JS bare', cmd: [...script('nop'), '--batch', String(batch), '--seconds', seconds, '--api', 'bare'] };
    cases.push({ name: `nop batch ${batch}`, key: 'nops_per_sec', a: bare, b: { label: 'C liburing', cmd: [join(anchors, 'nop'), String(batch), seconds] } });
    cases.push({ name: `nop batch ${batch}`, key: 'nops_per_sec', a: { label: 'TS getSqes', cmd: [...script('nop'), '--batch', String(batch), '--seconds', seconds, '--api', 'words'] }, b: bare });
  }
}
if (anchors !== null && want('randread')) {
  cases.push({
    name: 'randread qd 32', key: 'iops', floor: 0.85, warm: file,
    a: { label: 'TS ring', cmd: [...script('randread'), '--file', file, '--qd', '32', '--seconds', seconds, '--api', 'ring'] },
    b: { label: 'C liburing', cmd: [join(anchors, 'randread'), file, '32', seconds] },
  });
}
if (want('async')) {
  const rr = (api: string): string[] => [...script('randread'), '--file', file, '--qd', '32', '--seconds', seconds, '--api', api];
  cases.push({ name: 'randread qd 32', key: 'iops', floor: 5, a: { label: 'AsyncRing', cmd: rr('async') }, b: { label: 'node:fs/promises', cmd: rr('node-fs') } });
  cases.push({ name: 'randread qd 32', key: 'iops', floor: 0.6, a: { label: 'AsyncRing', cmd: rr('async') }, b: { label: 'TS ring', cmd: rr('ring') } });
}
if (want('pingpong')) {
  const pp = (api: string): string[] => [...script('pingpong'), '--api', api, '--seconds', seconds];
  cases.push({ name: 'pingpong', key: 'round_trips_per_sec', floor: 1.5, a: { label: 'AsyncRing', cmd: pp('async') }, b: { label: 'node streams', cmd: pp('node') } });
  cases.push({ name: 'pingpong', key: 'round_trips_per_sec', a: { label: 'blocking', cmd: pp('blocking') }, b: { label: 'node streams', cmd: pp('node') } });
  cases.push({ name: 'pingpong', key: 'round_trips_per_sec', a: { label: 'spin', cmd: pp('spin') }, b: { label: 'node streams', cmd: pp('node') } });
}
if (want('pinned')) {
  // taskset is util-linux's; cat, spawned by the benchmark, inherits the mask.
  let taskset = true;
  try {
    run('taskset', ['-c', '0', 'true']);
  } catch {
    taskset = false;
    notes.push('pinned rows skipped: no taskset');
  }
  if (taskset) {
    const pp = (api: string): string[] => ['taskset', '-c', '0', ...script('pingpong'), '--api', api, '--seconds', seconds];
    cases.push({ name: 'pingpong, 1 cpu', key: 'round_trips_per_sec', a: { label: 'AsyncRing', cmd: pp('async') }, b: { label: 'node streams', cmd: pp('node') } });
    cases.push({ name: 'pingpong, 1 cpu', key: 'round_trips_per_sec', a: { label: 'blocking', cmd: pp('blocking') }, b: { label: 'node streams', cmd: pp('node') } });
  }
}
if (want('engine')) {
  const rev = values['engine-base']!;
  const args = ['--file', file, '--qd', '32', '--seconds', seconds, '--api', 'async'];
  const b = atBase(rev, `AsyncRing ${rev}`, 'randread', args);
  if (b === null) notes.push('engine row skipped: needs a git checkout');
  else cases.push({ name: 'randread qd 32', key: 'iops', warm: file, a: { label: 'AsyncRing', cmd: [...script('randread'), ...args] }, b });
}
if (want('defer')) {
  // Whether AsyncRing should default to SINGLE_ISSUER | DEFER_TASKRUN.
  const rr = (ring: string): string[] => [...script('randread'), '--file', file, '--qd', '32', '--seconds', seconds, '--api', 'async', '--ring', ring];
  const pp = (ring: string): string[] => [...script('pingpong'), '--api', 'async', '--seconds', seconds, '--ring', ring];
  cases.push({ name: 'randread qd 32', key: 'iops', a: { label: 'defer ring', cmd: rr('defer') }, b: { label: 'default ring', cmd: rr('default') } });
  cases.push({ name: 'pingpong', key: 'round_trips_per_sec', a: { label: 'defer ring', cmd: pp('defer') }, b: { label: 'default ring', cmd: pp('default') } });
}
if (want('nopbase')) {
  // The NOP rows against the same benchmark at --nop-base (default: the
  // commit whose run met the NOP goals against C), on this machine: what the
  // code since then costs, apart from how fast the machine's kernel is.
  const rev = values['nop-base']!;
  for (const batch of ['32', '128']) {
    for (const api of ['sqe', 'words']) {
      const args = ['--batch', batch, '--seconds', seconds, '--api', api];
      const b = atBase(rev, `${api} ${rev}`, 'nop', args);
      if (b === null) {
        notes.push('nopbase rows skipped: need a git checkout');
        break;
      }
      cases.push({ name: `nop batch ${batch}`, key: 'nops_per_sec', a: { label: api, cmd: [...script('nop'), ...args] }, b });
    }
  }
}
if (want('fs')) {
  // tsuring/fs against node:fs/promises (bench/fs.ts), each workload held
  // to its floor. Their files live under .bench-data, on the disk.
  const fs = (api: string, workload: string): string[] => [...script('fs'), '--api', api, '--workload', workload, '--seconds', seconds];
  for (const [workload, key, floor] of [
    ['small-files', 'files_per_sec', 15], ['copy', 'mib_per_sec', 1.0], ['randread', 'reads_per_sec', 5], ['write-small', 'files_per_sec', 3],
    ['overwrite-small', 'files_per_sec', 3],
  ] as const) {
    cases.push({ name: `fs ${workload}`, key, floor, a: { label: 'tsuring/fs', cmd: fs('tsuring', workload) }, b: { label: 'node:fs/promises', cmd: fs('node', workload) } });
  }
  // The ceiling of small-files: the raw ring's linked chains in a blocking
  // loop (bench/fs.ts --api raw) over node:fs/promises, and how much of it
  // tsuring/fs keeps.
  cases.push({ name: 'fs small-files', key: 'files_per_sec', a: { label: 'raw ring', cmd: fs('raw', 'small-files') }, b: { label: 'node:fs/promises', cmd: fs('node', 'small-files') } });
  cases.push({ name: 'fs small-files', key: 'files_per_sec', a: { label: 'tsuring/fs', cmd: fs('tsuring', 'small-files') }, b: { label: 'raw ring', cmd: fs('raw', 'small-files') } });
  // libuv's io_uring (off by default since libuv 1.45 for its file
  // operations; UV_USE_IO_URING=1 turns it back on) and Bun: no goals, the
  // ratio is what is learnt.
  const bunPath = values.bun!;
  const hasBun = existsSync(bunPath);
  if (!hasBun) notes.push(`Bun rows skipped: no Bun at ${bunPath} (npm pack @oven/bun-linux-x64, untar, pass --bun PATH)`);
  const bunScript = compiled ? join(here, 'fs.js') : join(here, 'fs.ts');
  for (const [workload, key] of [
    ['small-files', 'files_per_sec'], ['copy', 'mib_per_sec'], ['randread', 'reads_per_sec'], ['write-small', 'files_per_sec'], ['overwrite-small', 'files_per_sec'],
  ] as const) {
    cases.push({ name: `fs ${workload}`, key, a: { label: 'tsuring/fs', cmd: fs('tsuring', workload) }, b: { label: 'node+UV_IO_URING', cmd: fs('node', workload), env: { UV_USE_IO_URING: '1' } } });
    if (hasBun) cases.push({ name: `fs ${workload}`, key, a: { label: 'tsuring/fs', cmd: fs('tsuring', workload) }, b: { label: 'Bun', cmd: [bunPath, bunScript, '--api', 'bun', '--workload', workload, '--seconds', seconds] } });
  }
}
if (want('net')) {
  // tsuring/net against node:net, node:http and Bun (bench/net.ts: the C
  // load generator on CPU 0, the server on CPU 1), at the goals.
  const net = (server: string, conns: number, size: number): string[] => [
    ...script('net'), '--server', server, '--conns', String(conns), '--size', String(size), '--seconds', seconds, 
  ];
  for (const [conns, size, floor] of [[100, 64, 3], [100, 16384, 8], [1, 64, 1.0]] as const) {
    cases.push({ name: `echo ${size} B x${conns}`, key: 'rps', floor, a: { label: 'tsuring/net', cmd: net('tsuring', conns, size) }, b: { label: 'node:net', cmd: net('node', conns, size) } });
  }
  // The ceiling: the raw ring in a blocking loop (net-server.ts raw) over
  // node:net, and how much of it tsuring/net keeps. Past it, the rest is the
  // kernel's TCP work, which no layer above the ring can take away.
  cases.push({ name: 'echo 64 B x100', key: 'rps', a: { label: 'raw ring', cmd: net('raw', 100, 64) }, b: { label: 'node:net', cmd: net('node', 100, 64) } });
  cases.push({ name: 'echo 64 B x100', key: 'rps', a: { label: 'tsuring/net', cmd: net('tsuring', 100, 64) }, b: { label: 'raw ring', cmd: net('raw', 100, 64) } });
  // Server CPU per request, node's over tsuring's: the goal is a third or less.
  cases.push({ name: 'echo 64 B x100', key: 'cpu_ns_per_req', floor: 3, a: { label: 'node CPU/req', cmd: net('node', 100, 64) }, b: { label: 'tsuring CPU/req', cmd: net('tsuring', 100, 64) } });
  // 10,000 connections: served (the goal), how fast and in how much
  // memory (the server's peak RSS, tsuring's over node's), no floor.
  cases.push({ name: 'echo 64 B x10000', key: 'rps', a: { label: 'tsuring/net', cmd: net('tsuring', 10000, 64) }, b: { label: 'node:net', cmd: net('node', 10000, 64) } });
  cases.push({ name: 'echo 64 B x10000', key: 'server_peak_rss_kib', a: { label: 'tsuring RSS', cmd: net('tsuring', 10000, 64) }, b: { label: 'node RSS', cmd: net('node', 10000, 64) } });
  cases.push({ name: 'http hello x100', key: 'rps', floor: 3, a: { label: 'tsuring-http', cmd: net('tsuring-http', 100, 64) }, b: { label: 'node:http', cmd: net('node-http', 100, 64) } });
  const bun = values.bun!;
  if (existsSync(bun)) cases.push({ name: 'echo 64 B x100', key: 'rps', a: { label: 'tsuring/net', cmd: net('tsuring', 100, 64) }, b: { label: 'Bun.listen', cmd: [...net('bun', 100, 64), '--bun', bun] } });
  else notes.push(`Bun net row skipped: no Bun at ${bun} (--bun PATH)`);
}
if (want('frames')) {
  // What the caller's frames in tsuring/fs's errors cost a call that
  // succeeds: V8 builds async frames only when an error's stack is taken,
  // so the same run with stack traces off (--stack-trace-limit=0) is the
  // rival. The bound: 3%.
  const args = [...script('fs'), '--api', 'tsuring', '--workload', 'small-files', '--seconds', seconds];
  cases.push({
    name: 'fs small-files', key: 'files_per_sec', floor: 0.97,
    a: { label: 'frames', cmd: args }, b: { label: 'no stack traces', cmd: args, env: { NODE_OPTIONS: '--stack-trace-limit=0' } },
  });
}
if (want('trace')) {
  const args = ['--batch', '1', '--seconds', seconds];
  const b = atBase(values.base!, `no hook (${values.base})`, 'nop', args);
  if (b === null) notes.push('trace row skipped: needs a git checkout');
  else cases.push({ name: 'nop batch 1', key: 'nops_per_sec', floor: 0.97, a: { label: 'trace off', cmd: [...script('nop'), ...args, '--trace', 'off'] }, b });
}

// The side that runs bench/`name`.ts with `args` at commit `rev` (see
// baseCheckout), or null outside a git checkout.
function atBase(rev: string, label: string, name: string, args: string[]): Side | null {
  const base = baseCheckout(rev);
  if (base === null) return null;
  return { label, cmd: [join(root, 'node_modules/.bin/tsx'), join(base, `bench/${name}.ts`), ...args], cwd: base };
}

// A worktree of `rev` beside the checkout (made once), sharing its
// node_modules. It runs from its own directory (tsx compiles a file under
// the tsconfig.json of the directory it runs in, if that file is one the
// tsconfig includes) with this checkout's tsconfig.json: how TypeScript
// emits class fields changes the JIT's code, and that is not the difference
// being measured.
function baseCheckout(rev: string): string | null {
  if (compiled || !existsSync(join(root, '.git'))) return null;
  const dir = join(root, '.bench-data', `base-${rev}`);
  if (!existsSync(dir)) {
    execFileSync('git', ['worktree', 'add', '--detach', dir, rev], { cwd: root, stdio: 'ignore' });
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  }
  copyFileSync(join(root, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  return dir;
}

const fmt = (n: number): string => Math.round(n).toString().padStart(10);
console.log(`${runs} alternating runs of ${seconds} s each; ratio = median(first) / median(second)\n`);
for (const k of cases) {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so drift hits both alike.
    for (const side of i % 2 === 0 ? [k.a, k.b] : [k.b, k.a]) {
      if (k.warm) run(script('make-file')[0]!, [...script('make-file').slice(1), '--file', k.warm, '--warm']);
      const [cmd, ...args] = side.cmd;
      (side === k.a ? a : b).push(lastNumber(run(cmd!, args, side.env, side.cwd), k.key));
    }
  }
  const ratio = median(a) / median(b);
  const verdict = k.floor === undefined ? '' : `  goal >= ${k.floor}${ratio >= k.floor ? '' : '  MISSED'}`;
  console.log(`${k.name.padEnd(15)} ${k.a.label.padStart(11)} ${fmt(median(a))}  ${k.b.label.padStart(16)} ${fmt(median(b))}  ratio ${ratio.toFixed(2)}${verdict}`);
}
for (const n of notes) console.log(`\n${n}`);
