// 4 KiB random reads from a page-cached file, QD at a time, the same loop as
// the C anchor (../shared/anchors/randread.c): QD reads, submit_and_wait(QD),
// reap all. Warms the file first and refuses tmpfs. Prints `iops N`.
//
//   npx tsx bench/randread.ts --file F --qd 32 --seconds 5 --api ring|async|node-fs [--ring default|defer]
//
// --api ring is the C anchor's loop on the raw ring; async and node-fs keep
// QD reads in flight through AsyncRing and through node:fs/promises
// FileHandle.read, each read awaited by one of QD workers.

import { closeSync, fstatSync, openSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { open } from 'node:fs/promises';
import { IoUring, IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_SINGLE_ISSUER, allocAligned, prepRead, sqeSetData64, type Cqe } from '../lib/index.ts';
import { AsyncRing } from '../lib/async/async-ring.ts';
import { ensureFile } from './make-file.ts';

const { values } = parseArgs({
  options: {
    file: { type: 'string', default: '.bench-data/randread.bin' },
    qd: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '3' },
    api: { type: 'string', default: 'ring' },
    // --ring defer: the AsyncRing on a SINGLE_ISSUER | DEFER_TASKRUN ring.
    ring: { type: 'string', default: 'default' },
    mib: { type: 'string', default: '256' },
  },
});
const qd = Number(values.qd);
const seconds = Number(values.seconds);
const file = values.file!;
ensureFile(file, Number(values.mib)); // creates if missing, refuses tmpfs, warms

const fd = openSync(file, 'r');
const blocks = Math.floor(fstatSync(fd).size / 4096);
// xorshift32: cheap, allocation-free randomness for the offsets.
let seed = 1;
function nextBlock(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % blocks;
}

async function ring(): Promise<number> {
  const r = new IoUring(256, { memory: (process.env.TSURING_MEMORY as 'shared' | 'mmap' | undefined) ?? 'auto' });
  // Page-aligned, as the C anchor's aligned_alloc: a 4 KiB read then
  // touches one page, not two.
  const slab = allocAligned(qd * 4096);
  const bufs = Array.from({ length: qd }, (_, i) => slab.subarray(i * 4096, (i + 1) * 4096));
  let bad = 0;
  const check = (cqe: Cqe): void => {
    if (cqe.res !== 4096) bad++;
  };
  const round = (): number => {
    for (let i = 0; i < qd; i++) {
      const sqe = r.getSqe()!;
      prepRead(sqe, fd, bufs[i]!, 4096, nextBlock() * 4096);
      sqeSetData64(sqe, i);
    }
    r.submitAndWait(qd);
    const n = r.forEachCqe(check);
    r.cqAdvance(n);
    return n;
  };
  for (let i = 0; i < 200; i++) round();
  let done = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    for (let k = 0; k < 100; k++) done += round();
  }
  const iops = done / ((performance.now() - t0) / 1000);
  r.close();
  if (bad) throw new Error(`${bad} reads came back short or failed`);
  return iops;
}

// qd workers, each awaiting one read at a time: qd reads always in flight.
async function workers(read: (buf: Buffer, offset: number) => Promise<number>): Promise<number> {
  const slab = allocAligned(qd * 4096);
  let done = 0;
  let bad = 0;
  let running = true;
  const worker = async (i: number): Promise<void> => {
    const buf = slab.subarray(i * 4096, (i + 1) * 4096);
    while (running) {
      if ((await read(buf, nextBlock() * 4096)) !== 4096) bad++;
      done++;
    }
  };
  const warmup = Date.now() + 300;
  const all = Array.from({ length: qd }, (_, i) => worker(i));
  while (Date.now() < warmup) await new Promise((r) => setTimeout(r, 50));
  const d0 = done;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const iops = (done - d0) / ((performance.now() - t0) / 1000);
  running = false;
  await Promise.all(all);
  if (bad) throw new Error(`${bad} reads came back short or failed`);
  return iops;
}

async function asyncRing(): Promise<number> {
  const io = new AsyncRing({ entries: 256, ...(values.ring === 'defer' ? { flags: IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN } : {}) });
  try {
    return await workers((buf, off) => io.read(fd, buf, off));
  } finally {
    await io.close();
  }
}

async function nodeFs(): Promise<number> {
  const fh = await open(file, 'r');
  try {
    return await workers(async (buf, off) => (await fh.read(buf, 0, 4096, off)).bytesRead);
  } finally {
    await fh.close();
  }
}

const apis: Record<string, () => Promise<number>> = { ring, async: asyncRing, 'node-fs': nodeFs };
const run = apis[values.api!];
if (!run) throw new Error(`--api must be one of ${Object.keys(apis).join(', ')}`);
const iops = await run();
closeSync(fd);
console.log(`iops ${Math.round(iops)}`);
