// tsuring/fs against node:fs/promises, the same code on either module.
// Prints `<metric> N` as its last line.
//
//   npx tsx bench/fs.ts --api tsuring|node --workload small-files|copy|randread|write-small|overwrite-small --seconds S [--dir D]
//   bun bench/fs.ts --api bun ...
//   npx tsx bench/fs.ts --api raw --workload small-files --seconds S
//
// --api node is node:fs/promises under Node (UV_USE_IO_URING=1 in the
// environment lets libuv run its file operations on io_uring, where it still
// can); --api bun is node:fs/promises under Bun, which runs this file as it
// is (Bun reads TypeScript), and must be the runtime. --api raw (small-files
// only) is the ceiling: the raw ring in a blocking loop, each file one linked
// openat(direct) -> read -> close chain, paths in C memory made once, data
// read into a fixed area and never copied out: the kernel's work and next to
// nothing else, what no layer above the ring can beat.
//
// small-files: readFile of each of 10,000 4 KiB files, 64 in flight (files_per_sec).
// write-small: writeFile of 10,000 small files, 64 in flight (files_per_sec);
//   the directory is made afresh, so the first pass creates them.
// overwrite-small: the same, the files made first (not timed): every
//   writeFile replaces a file that exists.
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
if (!['node', 'tsuring', 'bun', 'raw'].includes(values.api!)) throw new Error('--api is tsuring, node, bun or raw');
if (values.api === 'raw' && values.workload !== 'small-files') throw new Error('--api raw runs --workload small-files only');
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
  if (values.api === 'raw') return `files_per_sec ${Math.round(await rawSmallFiles(names))}`;
  return `files_per_sec ${Math.round(await saturate(N, 64, (i) => fs.readFile(names[i]!)))}`;
}

// The ceiling of small-files: INFLIGHT chains of openat into a direct
// descriptor -> read of up to 64 KiB -> close, on the raw ring, in a loop
// that submits and waits; a chain's close completing frees its slot.
async function rawSmallFiles(names: string[]): Promise<number> {
  const INFLIGHT = 64;
  const PATH = 256;
  const DATA = 64 * 1024;
  const lib = await import('../lib/index.ts');
  const { rw } = await import('../lib/prep/rw.ts');
  const { registerFilesSparse } = await import('../lib/register/files.ts');
  const { IORING_OP_OPENAT, IORING_OP_READ, IORING_OP_CLOSE, IOSQE_IO_LINK, IOSQE_IO_HARDLINK, IOSQE_FIXED_FILE, AT_FDCWD } = lib;
  const ring = new lib.IoUring(1024);
  registerFilesSparse(ring, INFLIGHT);
  // The memory the kernel is given stays referenced from `mem` for the
  // whole run: the loop below uses only its addresses, and memory no one
  // references is freed under the kernel.
  const mem = { paths: Buffer.alloc(names.length * PATH), data: lib.allocAligned(INFLIGHT * DATA) };
  names.forEach((n, i) => mem.paths.write(`${n}\0`, i * PATH));
  const paths = lib.bufferAddress(mem.paths);
  const data = lib.bufferAddress(mem.data);
  const CLOSE = 1 << 20; // user_data of a chain's close: CLOSE + its slot
  let next = 0;
  let done = 0;
  let bad = 0;
  const start = (slot: number): void => {
    const file = next++ % names.length;
    let sqe = ring.getSqe()!;
    rw(IORING_OP_OPENAT, sqe, AT_FDCWD, paths + file * PATH, 0, 0); // O_RDONLY
    sqe.u32[sqe.w + 11] = slot + 1; // file_index
    sqe.flags |= IOSQE_IO_LINK;
    lib.sqeSetData64(sqe, 0);
    sqe = ring.getSqe()!;
    rw(IORING_OP_READ, sqe, slot, data + slot * DATA, DATA, -1);
    sqe.flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
    lib.sqeSetData64(sqe, 0);
    sqe = ring.getSqe()!;
    rw(IORING_OP_CLOSE, sqe, 0, 0, 0, 0);
    sqe.u32[sqe.w + 11] = slot + 1;
    lib.sqeSetData64(sqe, CLOSE + slot);
  };
  const free: number[] = [];
  const seen = (cqe: { userData: number; res: number }): void => {
    if (cqe.res < 0) bad++;
    if (cqe.userData >= CLOSE) {
      free.push(cqe.userData - CLOSE);
      done++;
    }
  };
  for (let i = 0; i < INFLIGHT; i++) start(i);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    ring.submitAndWait(1);
    ring.cqAdvance(ring.forEachCqe(seen));
    while (free.length > 0) start(free.pop()!);
  }
  const rate = done / ((performance.now() - t0) / 1000);
  // What is still in flight completes before the ring and `mem` go.
  ring.submitAndWait(0);
  while (done < next) {
    ring.submitAndWait(1);
    ring.cqAdvance(ring.forEachCqe(seen));
  }
  ring.close();
  if (bad > 0 || mem.data.length === 0) throw new Error(`${bad} operations failed`);
  return rate;
}

async function writeSmall(existing = false): Promise<string> {
  const d = join(dir, `write-small-${values.api}`);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  const N = 10_000;
  const names = Array.from({ length: N }, (_, i) => join(d, String(i)));
  const data = Buffer.alloc(1024, 'y');
  if (existing) for (const n of names) writeFileSync(n, 'x');
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

const workloads: Record<string, () => Promise<string>> = {
  'small-files': smallFiles, 'write-small': () => writeSmall(), 'overwrite-small': () => writeSmall(true), randread, copy,
};
const run = workloads[values.workload!];
if (run === undefined) throw new Error(`--workload is one of ${Object.keys(workloads).join(', ')}`);
console.log(await run());
