// Lesson 1: the smallest ring. Make a ring, take an SQE, prepare a NOP,
// submit it, wait for its CQE, and give the CQE back.
//
//   npx tsx examples/01-nop.ts
//
// Every io_uring program has this shape. The SQE (submission queue entry)
// says what to do; `userData` is any number you choose, and the kernel hands
// it back in the CQE (completion queue entry) so you can tell completions
// apart. `res` is what the syscall would have returned, or -errno.

import { IoUring, prepNop } from '../lib/index.ts';

using ring = new IoUring(8); // 8 SQ entries; the CQ gets twice as many

const sqe = ring.getSqe()!; // null only when the SQ is full
prepNop(sqe);
sqe.userData = 42;

const submitted = ring.submit(); // one io_uring_enter(2)
const cqe = ring.waitCqe();
console.log(`submitted ${submitted}; completion: userData ${cqe.userData}, res ${cqe.res}`);
ring.cqeSeen(cqe); // the CQ slot goes back to the kernel
