// tsuring/fs against node:fs/promises, the same code on either module.
// Prints `<metric> N` as its last line.
//
//   npx tsx bench/fs.ts --api tsuring|node --workload small-files|copy|randread|write-small --seconds S [--dir D]
//   bun bench/fs.ts --api bun ...
//
// --api node is node:fs/promises under Node (UV_USE_IO_URING=1 in the
// environment lets libuv run its file operations on io_uring, where it still
// can); --api bun is node:fs/promises under Bun, which runs this file as it
// is (Bun reads TypeScript), and must be the runtime.
//
// small-files: readFile of each of 10,000 4 KiB files, 64 in flight (files_per_sec).
// write-small: writeFile of 10,000 small files, 64 in flight (files_per_sec).
// randread: FileHandle.read of random 4 KiB blocks of a 256 MiB file, 32 in flight (reads_per_sec).
// copy: copyFile of a 1 GiB file (mib_per_sec).
// Files live under --dir (default .bench-data, on the disk: make-file.ts
// refuses tmpfs), made once and warmed by a first pass that is not timed.
// Run it alternately per --api and compare medians (bench/compare.ts).

import { mkdirSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as nodeFs from 'node:fs/promises';
import { ensureFile } from './make-file.ts';

const { values } = parseArgs({
  options: {
    api: { type: 'string', default: 'tsuring' },
    workload: { type: 'string', default: 'small-files' },
    seconds: { type: 'string', default: '3' },
    dir: { type: 'string', default: '.bench-data' },
  },
});
if (values.api !== 'node' && values.api !== 'tsuring' && values.api !== 'bun') throw new Error('--api is tsuring, node or bun');
const bun = (process.versions as { bun?: string }).bun;
if ((values.api === 'bun') !== (bun !== undefined)) throw new Error('--api bun is node:fs/promises under Bun (bun bench/fs.ts --api bun), and only there');
// tsuring/fs only when measured: Bun never loads it (nor koffi).
const fs = (values.api === 'tsuring' ? await import('../lib/fs/index.ts') : nodeFs) as unknown as typeof nodeFs;
const seconds = Number(values.seconds);
const dir = values.dir!;
mkdirSync(dir, { recursive: true });

// Keeps `inflight` calls of `one(i)` going over `count` items, round after
// round, until `seconds` have passed; how many calls completed per second.
async function saturate(count: number, inflight: number, one: (i: number) => Promise<unknown>): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (performance.now() < end) {
      await one(next++ % count);
      done++;
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  return done / ((performance.now() - start) / 1000);
}

async function smallFiles(): Promise<string> {
  const d = join(dir, 'small-files');
  const N = 10_000;
  if (!existsSync(join(d, String(N - 1)))) {
    mkdirSync(d, { recursive: true });
    const data = Buffer.alloc(4096, 'x');
    for (let i = 0; i < N; i++) writeFileSync(join(d, String(i)), data);
  }
  const names = Array.from({ length: N }, (_, i) => join(d, String(i)));
  for (const n of names) await fs.readFile(n); // warm
  return `files_per_sec ${Math.round(await saturate(N, 64, (i) => fs.readFile(names[i]!)))}`;
}

async function writeSmall(): Promise<string> {
  const d = join(dir, `write-small-${values.api}`);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  const N = 10_000;
  const names = Array.from({ length: N }, (_, i) => join(d, String(i)));
  const data = Buffer.alloc(1024, 'y');
  const r = await saturate(N, 64, (i) => fs.writeFile(names[i]!, data));
  rmSync(d, { recursive: true, force: true });
  return `files_per_sec ${Math.round(r)}`;
}

async function randread(): Promise<string> {
  const file = join(dir, 'randread.bin');
  ensureFile(file, 256);
  const fh = await fs.open(file, 'r');
  const blocks = (256 * 1024 * 1024) / 4096;
  let seed = 1;
  const bufs = Array.from({ length: 32 }, () => Buffer.alloc(4096));
  let slot = 0;
  const r = await saturate(blocks, 32, () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return fh.read(bufs[slot++ % 32]!, 0, 4096, ((seed >>> 0) % blocks) * 4096);
  });
  await fh.close();
  return `reads_per_sec ${Math.round(r)}`;
}

async function copy(): Promise<string> {
  const file = join(dir, 'copy.bin');
  ensureFile(file, 1024);
  const dest = join(dir, `copy-${values.api}.bin`);
  await fs.copyFile(file, dest); // warm
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  let mib = 0;
  do {
    await fs.copyFile(file, dest);
    mib += 1024;
  } while (performance.now() < end);
  rmSync(dest, { force: true });
  return `mib_per_sec ${Math.round(mib / ((performance.now() - start) / 1000))}`;
}

const workloads: Record<string, () => Promise<string>> = { 'small-files': smallFiles, 'write-small': writeSmall, randread, copy };
const run = workloads[values.workload!];
if (run === undefined) throw new Error(`--workload is one of ${Object.keys(workloads).join(', ')}`);
console.log(await run());
