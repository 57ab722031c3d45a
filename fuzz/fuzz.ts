// npm run fuzz -- --seed N --seconds S [--iterations N] [--start I] [--only a,b] [--skip prefix,prefix] [--ignore kind,kind] [--verbose]
//
// Calls every exported encoder, IoUring method, register function, AsyncRing
// method, and tsuring/fs function and FileHandle method (beside
// node:fs/promises in a twin directory: fuzz/fs.ts) with hostile arguments (wrong types, views that lie,
// Proxies, detached and resizable buffers, huge / negative / NaN / BigInt
// numbers, closed and foreign fds, aborted signals) mixed with valid ones,
// and checks the safety contract: refusals are TypeError / RangeError /
// IoUringError and leave the SQE untouched, no byte outside a buffer is
// written (canaries), close() settles everything, no fd stays open, and the
// process survives. Iterations run in a child process; a crash or a hang is
// reported with its seed and iteration and the next child goes on from the
// one after. Every iteration replays alone: --seed N --start I --iterations 1.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';

export interface FuzzFailure {
  it: number;
  kind: string;
  target: string;
  desc: string;
  msg: string;
}

export interface FuzzResult {
  seed: number;
  iterations: number;
  failures: FuzzFailure[];
}

const HANG_MS = 15_000; // no word from the child for this long: it hangs

function replay(seed: number, it: number, only: string[], skip: string[]): string {
  return `npm run fuzz -- --seed ${seed} --start ${it} --iterations 1${only.length ? ` --only ${only.join(',')}` : ''}${skip.length ? ` --skip ${skip.join(',')}` : ''}`;
}

/** Runs the fuzzer; resolves with what it found (also printed as it goes unless quiet). */
export async function fuzz(o: { seed: number; seconds?: number; iterations?: number; start?: number; only?: string[]; skip?: string[]; ignore?: string[]; verbose?: boolean; quiet?: boolean }): Promise<FuzzResult> {
  const seed = o.seed;
  const only = o.only ?? [];
  const skip = o.skip ?? [];
  const start = o.start ?? 0;
  const end = o.iterations !== undefined ? start + o.iterations : Number.MAX_SAFE_INTEGER;
  const deadline = o.seconds !== undefined ? Date.now() + o.seconds * 1000 : o.iterations !== undefined ? Number.MAX_SAFE_INTEGER : Date.now() + 10_000;
  const log = (s: string): void => { if (!o.quiet) console.log(s); };
  const tmp = mkdtempSync(join(tmpdir(), 'tsuring-fuzz-'));
  const failures: FuzzFailure[] = [];
  const root = resolve(import.meta.dirname, '..');
  let next = start;
  let ran = 0;
  log(`fuzz: seed ${seed}, iterations ${start}..${end === Number.MAX_SAFE_INTEGER ? '' : end}${o.seconds !== undefined ? `, ${o.seconds} s` : ''}${only.length ? `, only ${only.join(',')}` : ''}`);
  const shown = new Set<string>();
  const ignore = new Set(o.ignore ?? []);
  const record = (f: FuzzFailure): void => {
    if (ignore.has(f.kind)) return;
    failures.push(f);
    // The first of each kind and target in full; the rest are counted below.
    const key = `${f.kind} ${f.target}`;
    if (shown.has(key) && !o.verbose) return;
    shown.add(key);
    log(`FAIL [${f.kind}] ${f.target} at seed ${seed} iteration ${f.it}\n  call: ${f.desc}\n  ${f.msg}\n  replay: ${replay(seed, f.it, only, skip)}`);
  };
  try {
    while (next < end && Date.now() < deadline) {
      const cfg = JSON.stringify({ seed, start: next, end, deadline, only, skip, verbose: o.verbose ?? false, tmp });
      // ulimit -f: a write or fallocate at a huge offset fails with EFBIG
      // instead of filling the disk (the child ignores SIGXFSZ).
      const child = spawn('bash', ['-c', 'ulimit -f 131072; exec "$0" --expose-gc --import tsx fuzz/child.ts "$1"', process.execPath, cfg], {
        cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
      });
      let current = next;
      let at = '';
      let done = false;
      let lastWord = Date.now();
      let hung = false;
      const watchdog = setInterval(() => {
        if (Date.now() - lastWord > HANG_MS) { hung = true; child.kill('SIGKILL'); }
      }, 1000);
      const lines = createInterface({ input: child.stdio[3] as NodeJS.ReadableStream });
      const linesClosed = new Promise((res) => lines.once('close', res));
      lines.on('line', (line) => {
        lastWord = Date.now();
        let m: Record<string, unknown>;
        try { m = JSON.parse(line); } catch { return; }
        if (m.t === 'start') { current = m.it as number; at = ''; ran++; }
        else if (m.t === 'at') at = m.what as string;
        else if (m.t === 'fail') record({ it: m.it as number, kind: m.kind as string, target: m.target as string, desc: m.desc as string, msg: m.msg as string });
        else if (m.t === 'targets' && current === start) log(`fuzz: ${m.raw} raw targets, ${m.async} AsyncRing targets, ${m.fs} tsuring/fs targets, ${m.net} tsuring/net targets`);
        else if (m.t === 'done') { done = true; next = m.next as number; }
      });
      const [code, sig] = await new Promise<[number | null, NodeJS.Signals | null]>((res) => child.on('exit', (c, s) => res([c, s])));
      await linesClosed;
      clearInterval(watchdog);
      if (!done) {
        const target = at.replace(/\(.*$/s, '');
        if (hung) record({ it: current, kind: 'hang', target, desc: at, msg: `no progress for ${HANG_MS / 1000} s; killed` });
        else record({ it: current, kind: 'crash', target, desc: at, msg: `child died: ${sig ?? `exit code ${code}`}` });
        next = current + 1;
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const kinds = new Map<string, number>();
  for (const f of failures) kinds.set(`${f.kind} ${f.target}`, (kinds.get(`${f.kind} ${f.target}`) ?? 0) + 1);
  log(`fuzz: seed ${seed}: ${ran} iterations, ${failures.length} failing`);
  for (const [k, n] of [...kinds].sort((a, b) => b[1] - a[1])) log(`  ${n} x ${k}`);
  return { seed, iterations: ran, failures };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('fuzz/fuzz.ts')) {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      seconds: { type: 'string' },
      iterations: { type: 'string' },
      start: { type: 'string', default: '0' },
      only: { type: 'string', multiple: true },
      skip: { type: 'string', multiple: true },
      ignore: { type: 'string', multiple: true },
      verbose: { type: 'boolean', default: false },
    },
  });
  const num = (s: string | undefined, what: string): number | undefined => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) { console.error(`--${what} must be a non-negative integer`); process.exit(2); }
    return n;
  };
  const r = await fuzz({
    seed: num(values.seed, 'seed')!,
    seconds: num(values.seconds, 'seconds'),
    iterations: num(values.iterations, 'iterations'),
    start: num(values.start, 'start'),
    only: (values.only ?? []).flatMap((s) => s.split(',')).filter((s) => s !== ''),
    skip: (values.skip ?? []).flatMap((s) => s.split(',')).filter((s) => s !== ''),
    ignore: (values.ignore ?? []).flatMap((s) => s.split(',')).filter((s) => s !== ''),
    verbose: values.verbose,
  });
  process.exit(r.failures.length > 0 ? 1 : 0);
}
