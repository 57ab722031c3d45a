// The tour (`npm start`): what io_uring can do on this machine, then three
// operations in one submit shown as the kernel sees them (each SQE decoded
// as it goes in, each CQE as it comes back), the same through the promise
// layer, and NOP throughput. No compiler anywhere.
//
//   npm start          (or: npx tsx examples/00-tour.ts)
//   npx tsx bin/tsuring.ts probe      the full capability report
//   npx tsx examples/01-nop.ts        the first lesson; 02 to 14 follow

import { closeSync, openSync } from 'node:fs';
import { inspect } from 'node:util';
import {
  AsyncRing, IoUring, capabilities, formatCapabilities, prepNop, prepRead, prepTimeout, type TraceEvent,
} from '../lib/index.ts';

const report = capabilities();
console.log(formatCapabilities(report, { short: true }));
if (!report.available) process.exit(1);

using ring = new IoUring(64);
console.log(`\na ring: fd ${ring.fd}, ${ring.sqEntries} SQ entries, ${ring.cqEntries} CQ entries, memory '${ring.memory}'`);
if (ring.droppedFlags.length) console.log(`  refused by this kernel: ${ring.droppedFlags.join(' ')}`);

// The trace prints every entry decoded: the fields each opcode uses, by the
// names the kernel's header gives them.
const show = (e: TraceEvent): void => {
  const { opcode, op, ...fields } = e.entry as unknown as Record<string, unknown>;
  void opcode;
  const text = inspect(fields, { breakLength: Infinity, colors: false });
  console.log(`  ${e.kind === 'sqe' ? 'SQE ->' : 'CQE <-'} ${String(op ?? '').replace('IORING_OP_', '').padEnd(7)} ${text}`);
};
ring.trace(show);

// Three different operations in one submit: a NOP, a READ of this
// package's package.json, a 5 ms TIMEOUT. user_data says which is which.
const buf = Buffer.alloc(24);
const fd = openSync(new URL('../package.json', import.meta.url), 'r');
let sqe = ring.getSqe()!;
prepNop(sqe);
sqe.userData = 1;
sqe = ring.getSqe()!;
prepRead(sqe, fd, buf, buf.length, 0);
sqe.userData = 2;
sqe = ring.getSqe()!;
prepTimeout(sqe, 5);
sqe.userData = 3;
console.log('\nthree entries in one io_uring_enter:');
const submitted = ring.submitAndWait(3);
console.log(`submitted ${submitted}; the completions, each handed back to the kernel:`);
for (let i = 0; i < 3; i++) ring.cqeSeen(ring.waitCqe());
console.log(`the READ's bytes: ${JSON.stringify(buf.toString('utf8'))}; the TIMEOUT's -62 is ETIME: the timer fired`);
ring.trace(null);
closeSync(fd);

// The same ring kind under promises, driven by Node's event loop.
{
  await using io = new AsyncRing();
  const fd2 = openSync(new URL('../package.json', import.meta.url), 'r');
  const [n] = await Promise.all([io.read(fd2, Buffer.alloc(64), 0), io.nop(), io.timeout(2)]);
  closeSync(fd2);
  console.log(`\nAsyncRing: a read of ${n} bytes, a NOP and a 2 ms timeout, awaited together (one submit)`);
}

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
