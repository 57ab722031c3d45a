// Lesson 13: futexes through the ring (Linux 6.7). A futex is a 32-bit word
// in memory that threads sleep on and wake each other through. FUTEX_WAIT
// as an io_uring entry sleeps in the kernel without blocking any thread: it
// completes when someone wakes the word. FUTEX_WAKE wakes up to n sleepers
// and completes with how many it woke.
//
//   npx tsx examples/13-futex.ts
//
// Here one ring waits and a second ring wakes it; the two could as well be
// in different threads, or in different processes sharing the memory, or
// one of them C code calling futex(2). Not V8 though: Atomics.wait and
// Atomics.notify keep a waiter list of their own, inside V8, and never meet
// a kernel futex waiter.
//
// The kernel checks that the word still holds the expected value and goes
// to sleep as one step, so a wake that comes between our check and the
// sleep can't be lost: a FUTEX_WAIT on a word that has changed completes at
// once with -EAGAIN.

import {
  FUTEX2_PRIVATE, FUTEX2_SIZE_U32, FUTEX_BITSET_MATCH_ANY, IoUring, IORING_OP_FUTEX_WAIT, errnoName, prepFutexWait, prepFutexWake,
  requireOpcode,
} from '../lib/index.ts';

try {
  requireOpcode(IORING_OP_FUTEX_WAIT);
} catch (err) {
  console.log(`skipped: ${(err as Error).message}`);
  process.exit(0);
}

// A 32-bit word, private to this process (FUTEX2_PRIVATE); shared memory so
// that threads could use it too.
const word = new Int32Array(new SharedArrayBuffer(4));
const FLAGS = FUTEX2_SIZE_U32 | FUTEX2_PRIVATE;
const show = (res: number) => (res < 0 ? `${res} (-${errnoName(res)})` : `${res}`);

using waiter = new IoUring(4);
using waker = new IoUring(4);

// 1. Sleep on the word while it holds 0.
let sqe = waiter.getSqe()!;
prepFutexWait(sqe, word, 0, FUTEX_BITSET_MATCH_ANY, FLAGS); // word, expected value, wake mask, size and flags
sqe.userData = 1;
waiter.submit();
console.log(`1. FUTEX_WAIT on the word (holding ${word[0]}) submitted on the first ring`);
console.log(`   50 ms later: ${waiter.waitCqeTimeout(50) === null ? 'no completion: it sleeps in the kernel, and this thread goes on' : 'completed?!'}`);

// 2. V8's notify knows nothing of it.
console.log(`2. Atomics.notify on the word woke ${Atomics.notify(word, 0)} waiters (V8 keeps its own list)`);
console.log(`   50 ms later: ${waiter.waitCqeTimeout(50) === null ? 'still asleep' : 'completed?!'}`);

// 3. Change the word, then wake through the second ring.
Atomics.store(word, 0, 1);
sqe = waker.getSqe()!;
prepFutexWake(sqe, word, 1, FUTEX_BITSET_MATCH_ANY, FLAGS); // wake at most 1
waker.submitAndWait(1);
let cqe = waker.waitCqe();
console.log(`3. stored 1 in the word, then FUTEX_WAKE on the second ring: res ${show(cqe.res)} (waiters woken)`);
waker.cqeSeen(cqe);
cqe = waiter.waitCqe();
console.log(`   the first ring's FUTEX_WAIT completed: res ${show(cqe.res)}`);
waiter.cqeSeen(cqe);

// 4. Wait for 0 again, but the word holds 1 now.
sqe = waiter.getSqe()!;
prepFutexWait(sqe, word, 0, FUTEX_BITSET_MATCH_ANY, FLAGS);
waiter.submitAndWait(1);
cqe = waiter.waitCqe();
console.log(`4. FUTEX_WAIT for 0 while the word holds ${word[0]}: res ${show(cqe.res)} at once`);
waiter.cqeSeen(cqe);
