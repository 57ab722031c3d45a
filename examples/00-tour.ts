// The tour (`npm start`): io_uring working on this machine, from Node, with
// no compiler anywhere. Makes a ring, says how it was set up, runs a few
// operations, and measures NOP round trips.
//
//   npm start          (or: npx tsx examples/00-tour.ts)

import { release } from 'node:os';
import { closeSync, openSync } from 'node:fs';
import * as tsuring from '../lib/index.ts';
import { IoUring, prepNop, prepRead, prepTimeout } from '../lib/index.ts';

// The names of the bits set in `value` among the constants starting with `prefix`.
function names(prefix: string, value: number): string {
  const set = Object.entries(tsuring)
    .filter(([k, v]) => k.startsWith(prefix) && typeof v === 'number' && v !== 0 && (v & (v - 1)) === 0 && (value & v) !== 0)
    .map(([k]) => k.slice(prefix.length));
  return set.length ? set.join(' ') : '(none)';
}

console.log(`tsuring on Linux ${release()}, Node ${process.version}\n`);

using ring = new IoUring(64);
console.log(`ring fd ${ring.fd}: ${ring.sqEntries} SQ entries, ${ring.cqEntries} CQ entries, memory '${ring.memory}'`);
console.log(`  setup flags: ${names('IORING_SETUP_', ring.flags)}`);
console.log(`  features:    ${names('IORING_FEAT_', ring.features)}`);
if (ring.droppedFlags.length) console.log(`  refused by this kernel: ${ring.droppedFlags.join(' ')}`);

// Three different operations in one submit.
const buf = Buffer.alloc(24);
const fd = openSync(new URL('../package.json', import.meta.url), 'r');
let sqe = ring.getSqe()!;
prepNop(sqe);
sqe.userData = 1;
sqe = ring.getSqe()!;
prepRead(sqe, fd, buf, buf.length, 0);
sqe.userData = 2;
sqe = ring.getSqe()!;
prepTimeout(sqe, 5); // 5 ms
sqe.userData = 3;
console.log(`\nsubmitted ${ring.submitAndWait(3)} entries (NOP, READ, TIMEOUT); completions:`);
const what = ['', 'NOP    ', 'READ   ', 'TIMEOUT'];
for (let i = 0; i < 3; i++) {
  const cqe = ring.waitCqe();
  const note = cqe.userData === 2 ? ` -> ${JSON.stringify(buf.toString('utf8', 0, cqe.res))}` : cqe.userData === 3 ? ' (-ETIME: the timer fired)' : '';
  console.log(`  userData ${cqe.userData} ${what[cqe.userData]} res ${cqe.res}${note}`);
  ring.cqeSeen(cqe);
}
closeSync(fd);

// NOP round trips, 32 at a time, for half a second.
let done = 0;
const t0 = performance.now();
while (performance.now() - t0 < 500) {
  for (let i = 0; i < 32; i++) prepNop(ring.getSqe()!);
  ring.submitAndWait(32);
  const n = ring.cqReady();
  ring.cqAdvance(n);
  done += n;
}
const rate = done / ((performance.now() - t0) / 1000);
console.log(`\n${(rate / 1e6).toFixed(1)} million NOPs a second, 32 per io_uring_enter (bench/compare.ts holds this against C liburing)`);
