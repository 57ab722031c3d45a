// NOP throughput through the raw ring: the same loop as the C anchor
// (../shared/anchors/nop.c): BATCH NOPs, submit_and_wait(BATCH), walk the
// CQEs, advance. Prints `nops_per_sec N`, and `gc_count N`: the garbage
// collections seen while it ran (the hot path should allocate nothing).
//
//   npx tsx bench/nop.ts --batch 32 --seconds 5 [--trace never|off|on]

import { parseArgs } from 'node:util';
import { PerformanceObserver } from 'node:perf_hooks';
import { IoUring, prepNop, sqeSetData64, type Cqe } from '../lib/index.ts';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '3' },
    entries: { type: 'string', default: '256' },
    // never: no trace; off: a trace turned on and then off before the run;
    // on: every entry traced to a listener that counts them.
    trace: { type: 'string', default: 'never' },
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

function round(): number {
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
