// Lesson 11: SQPOLL, a kernel thread that polls the submission queue. With
// IORING_SETUP_SQPOLL the kernel starts a thread for the ring that watches
// the SQ tail: submitting is then only a store to memory, with no
// io_uring_enter(2) at all, while that thread is awake. After sq_thread_idle
// milliseconds with nothing to do it sleeps, and sets IORING_SQ_NEED_WAKEUP
// in the SQ flags; the next submit must then enter the kernel once, with
// IORING_ENTER_SQ_WAKEUP, to wake it. ring.submit() checks the flag (after
// a full memory barrier, as liburing does) and enters only when it is set.
//
//   npx tsx examples/11-sqpoll.ts
//
// The thread costs a CPU while it spins; it pays where submissions come
// steadily. Since Linux 5.11 any user may make an SQPOLL ring; a container's
// seccomp filter or the kernel.io_uring_disabled sysctl may still refuse it,
// and then this example says so.

import { IoUring, IoUringError, IORING_SETUP_SQPOLL, IORING_SQ_NEED_WAKEUP, prepNop } from '../lib/index.ts';

const IDLE = 500; // ms the thread spins without work before it sleeps

let ring: IoUring;
try {
  ring = new IoUring(8, { flags: IORING_SETUP_SQPOLL, sqThreadIdle: IDLE });
} catch (err) {
  if (!(err instanceof IoUringError)) throw err;
  console.log(`the kernel refused an SQPOLL ring: ${err.message}`);
  process.exit(0);
}

const nap = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => Atomics.wait(nap, 0, 0, ms);
const needWakeup = () => (ring.sqFlagsWord() & IORING_SQ_NEED_WAKEUP) !== 0;
const state = () => (needWakeup() ? 'NEED_WAKEUP set: the thread sleeps' : 'NEED_WAKEUP clear: the thread is awake');

// Submits a NOP and waits for its CQE by reading the CQ in memory, with no
// system call: peekCqe() only looks at the CQ tail the kernel writes.
function nop(userData: number): void {
  const sqe = ring.getSqe()!;
  prepNop(sqe);
  sqe.userData = userData;
  const asleep = needWakeup();
  const head = ring.snapshot().sq!.head;
  ring.submit(); // a store to the SQ tail; io_uring_enter too only if NEED_WAKEUP was set
  console.log(asleep
    ? '   submit() saw NEED_WAKEUP and called io_uring_enter(IORING_ENTER_SQ_WAKEUP) to wake the thread'
    : '   submit() only stored the new SQ tail: no system call');
  let cqe = ring.peekCqe();
  const t0 = performance.now();
  while (cqe === null && performance.now() - t0 < 5000) cqe = ring.peekCqe();
  cqe ??= ring.waitCqe(); // (a safety net: not reached while the thread works)
  console.log(`   CQE: userData ${cqe.userData}, res ${cqe.res}; the kernel thread moved the SQ head from ${head} to ${ring.snapshot().sq!.head}`);
  ring.cqeSeen(cqe);
}

try {
  console.log(`an SQPOLL ring, sq_thread_idle ${IDLE} ms`);
  // A new ring's thread may be awake or asleep already (both are seen on
  // 6.18); submit() reads the flag either way.
  console.log(`1. a new ring: ${state()}`);
  nop(1);
  console.log(`2. at once a second NOP: ${state()}`);
  nop(2);

  // Do nothing until the thread gives up and sleeps.
  const t0 = performance.now();
  while (!needWakeup() && performance.now() - t0 < 10 * IDLE) sleep(10);
  console.log(`3. after about ${Math.round((performance.now() - t0) / 10) * 10} ms with nothing to do: ${state()}`);
  nop(3);
} finally {
  ring.close();
}
