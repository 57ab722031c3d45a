// NOP throughput through the raw ring: the same loop as the C anchor
// (../shared/anchors/nop.c): BATCH NOPs, submit_and_wait(BATCH), walk the
// CQEs, advance. Prints `nops_per_sec N`, and `gc_count N`: the garbage
// collections seen while it ran (the hot path should allocate nothing).
//
// --api sqe (the default) prepares each NOP as liburing does: getSqe, prepNop,
// sqeSetData64, and walks the CQEs with forEachCqe. --api words takes the
// batch with getSqes, writes each entry's 16 words into ring.sqes, and reads
// each CQE's res from ring.cqes: the path without an object per entry.
//
//   npx tsx bench/nop.ts --batch 32 --seconds 5 [--api sqe|words] [--trace never|off|on]

import { parseArgs } from 'node:util';
import { PerformanceObserver } from 'node:perf_hooks';
import { IORING_OP_NOP, IoUring, prepNop, sqeSetData64, type Cqe } from '../lib/index.ts';

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

if (values.api !== 'sqe' && values.api !== 'words') throw new RangeError('--api must be sqe or words');
const round = values.api === 'words' ? roundWords : roundSqe;

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
