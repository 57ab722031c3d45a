// NOP throughput through the raw ring: the same loop as the C anchor
// (../shared/anchors/nop.c): BATCH NOPs, submit_and_wait(BATCH), walk the
// CQEs, advance. Prints `nops_per_sec N`, and `gc_count N`: the garbage
// collections seen while it ran (the hot path should allocate nothing).
//
// --api sqe (the default) prepares each NOP as liburing does: getSqe, prepNop,
// sqeSetData64, and walks the CQEs with forEachCqe. --api words takes the
// batch with getSqes, writes each entry's 16 words into ring.sqes, and reads
// each CQE's res from ring.cqes: the path without an object per entry.
// --api bare is not a way to use the library: it reaches past it to the ring
// words and calls io_uring_enter through ffi itself, with none of the
// library's bookkeeping (no memory kept, no checks). It is the least any
// JavaScript over koffi can do per batch: the ceiling the other two are
// measured against, beside C.
//
//   npx tsx bench/nop.ts --batch 32 --seconds 5 [--api sqe|words|bare] [--trace never|off|on]

import { parseArgs } from 'node:util';
import { PerformanceObserver } from 'node:perf_hooks';
import {
  IORING_ENTER_GETEVENTS, IORING_OP_NOP, IORING_SETUP_CQE32, IORING_SETUP_IOPOLL, IORING_SETUP_SQE128, IORING_SETUP_SQPOLL,
  IORING_SETUP_SQ_REWIND, IoUring, prepNop, sqeSetData64, type Cqe } from '../lib/index.ts';
import { ioUringEnter } from '../ffi/index.ts';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '3' },
    entries: { type: 'string', default: '256' },
    // never: no trace; off: a trace turned on and then off before the run;
    // on: every entry traced to a listener that counts them.
    trace: { type: 'string', default: 'never' },
    api: { type: 'string', default: 'sqe' },
  },
});
const batch = Number(values.batch);
const seconds = Number(values.seconds);
if (!(batch >= 1 && batch <= Number(values.entries))) throw new RangeError('--batch must be between 1 and --entries');

let gcCount = 0;
const obs = new PerformanceObserver((list) => { gcCount += list.getEntries().length; });

const ring = new IoUring(Number(values.entries), { memory: (process.env.TSURING_MEMORY as 'shared' | 'mmap' | undefined) ?? 'auto' });
let traced = 0;
if (values.trace === 'on' || values.trace === 'off') ring.trace(() => traced++);
if (values.trace === 'off') ring.trace(null);
else if (values.trace !== 'on' && values.trace !== 'never') throw new RangeError('--trace must be never, off or on');
let bad = 0;
function check(cqe: Cqe): void {
  if (cqe.res !== 0) bad++;
}

function roundSqe(): number {
  for (let i = 0; i < batch; i++) {
    const sqe = ring.getSqe()!;
    prepNop(sqe);
    sqeSetData64(sqe, i); // io_uring_sqe_set_data64, as the C does sqe->user_data = i
  }
  ring.submitAndWait(batch);
  const n = ring.forEachCqe(check);
  ring.cqAdvance(n);
  return n;
}

function roundWords(): number {
  const first = ring.getSqes(batch);
  const u = ring.sqes;
  for (let i = 0; i < batch; i++) {
    const w = ring.sqeOffset(first + i);
    u[w] = 0; // opcode IORING_OP_NOP; flags, ioprio 0
    u[w + 1] = -1; // fd
    u[w + 2] = 0; // off
    u[w + 3] = 0;
    u[w + 4] = 0; // addr
    u[w + 5] = 0;
    u[w + 6] = 0; // len
    u[w + 7] = 0; // nop_flags
    u[w + 8] = i; // user_data
    u[w + 9] = 0;
    u[w + 10] = 0; // buf_index, personality
    u[w + 11] = 0; // file_index
    u[w + 12] = 0; // addr3
    u[w + 13] = 0;
    u[w + 14] = 0; // __pad2
    u[w + 15] = 0;
  }
  ring.submitAndWait(batch);
  const n = ring.cqReady();
  const c = ring.cqes;
  for (let i = 0; i < n; i++) if ((c[ring.cqeOffset(i) + 2]! | 0) !== 0) bad++; // res
  ring.cqAdvance(n);
  return n;
}

// The ring's own words and indices, for --api bare (protected fields, read
// once; the library never exposes them like this).
const raw = ring as unknown as {
  ringU32: Uint32Array; sqeU32: Uint32Array; cqU32: Uint32Array; cqeBase: number;
  sqTail: number; sqMask: number; cqHead: number; cqTail: number; cqMask: number; enterFd: number; enterFlags: number;
};
let bareTail = 0;
function roundBare(): number {
  const sqe = raw.sqeU32;
  const mask = raw.sqMask;
  for (let i = 0; i < batch; i++) {
    const w = ((bareTail + i) & mask) << 4;
    sqe[w] = 0; sqe[w + 1] = -1; sqe[w + 2] = 0; sqe[w + 3] = 0; sqe[w + 4] = 0; sqe[w + 5] = 0; sqe[w + 6] = 0; sqe[w + 7] = 0;
    sqe[w + 8] = i; sqe[w + 9] = 0; sqe[w + 10] = 0; sqe[w + 11] = 0; sqe[w + 12] = 0; sqe[w + 13] = 0; sqe[w + 14] = 0; sqe[w + 15] = 0;
  }
  bareTail = (bareTail + batch) >>> 0;
  raw.ringU32[raw.sqTail] = bareTail;
  const r = ioUringEnter(raw.enterFd, batch, batch, IORING_ENTER_GETEVENTS | raw.enterFlags, 0, 0);
  if (r < 0) throw new Error(`io_uring_enter: ${r}`);
  const cq = raw.cqU32;
  const head = cq[raw.cqHead]!;
  const tail = Atomics.load(cq, raw.cqTail);
  for (let j = head; j !== tail; j = (j + 1) >>> 0) if ((cq[raw.cqeBase + ((j & raw.cqMask) << 2) + 2]! | 0) !== 0) bad++;
  Atomics.store(cq, raw.cqHead, tail);
  return (tail - head) >>> 0;
}

if (values.api !== 'sqe' && values.api !== 'words' && values.api !== 'bare') throw new RangeError('--api must be sqe, words or bare');
if (values.api === 'bare') {
  if (ring.flags & (IORING_SETUP_SQPOLL | IORING_SETUP_IOPOLL | IORING_SETUP_SQE128 | IORING_SETUP_CQE32 | IORING_SETUP_SQ_REWIND)) throw new Error('--api bare needs a plain ring');
  bareTail = raw.ringU32[raw.sqTail]!;
}
const round = values.api === 'bare' ? roundBare : values.api === 'words' ? roundWords : roundSqe;

// Warm up the JIT before counting.
for (let i = 0; i < 20000; i++) round();
obs.observe({ entryTypes: ['gc'] });
let done = 0;
const t0 = performance.now();
const end = t0 + seconds * 1000;
while (performance.now() < end) {
  for (let r = 0; r < 100; r++) done += round();
}
const elapsed = (performance.now() - t0) / 1000;
await new Promise((r) => setImmediate(r)); // let the observer deliver
obs.disconnect();
ring.close();
if (bad) throw new Error(`${bad} NOPs failed`);
if (values.trace === 'on') console.log(`traced ${traced}`);
console.log(`gc_count ${gcCount}`);
console.log(`nops_per_sec ${Math.round(done / elapsed)}`);
