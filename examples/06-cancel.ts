// Lesson 6: cancelling requests in flight. An ASYNC_CANCEL is an entry of its
// own: it names what to cancel (a user_data, an fd, or ANY request), and
// its res says what it found:
//   0         found and cancelled: the target completes with -ECANCELED;
//   n         with IORING_ASYNC_CANCEL_ALL (or _ANY), how many it cancelled;
//   -ENOENT   nothing matched (the target had already completed, say);
//   -EALREADY found, but already running in a kernel worker: the worker is
//             interrupted, and the target completes when it notices.
// Either way the target posts exactly one CQE of its own.
//
//   npx tsx examples/06-cancel.ts
//
// The requests to cancel are reads of a FIFO that nobody writes to: they
// wait for data forever.

import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AT_FDCWD, IoUring, IORING_ASYNC_CANCEL_ALL, IORING_ASYNC_CANCEL_ANY, IOSQE_ASYNC, errnoName, prepCancel, prepCancel64,
  prepCancelFd, prepNop, prepOpenat, prepRead, prepTimeout, type Sqe,
} from '../lib/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'tsuring-06-'));
const names: Record<number, string> = {};

function queue(ring: IoUring, name: string, userData: number, prep: (sqe: Sqe) => void, flags = 0): void {
  const sqe = ring.getSqe()!;
  prep(sqe);
  sqe.userData = userData;
  sqe.flags |= flags;
  names[userData] = name;
}

// Prints every CQE that arrives before `quiet` ms pass with none: a bound on
// how long we look, since the point is partly what does NOT complete.
function reap(ring: IoUring, quiet = 50): number[] {
  const seen: number[] = [];
  for (let cqe = ring.waitCqeTimeout(quiet); cqe !== null; cqe = ring.waitCqeTimeout(quiet)) {
    const { userData, res } = cqe;
    ring.cqeSeen(cqe);
    const why = res === -512 ? ' (ERESTARTSYS: the kernel\'s own "interrupted" code, posted as is)' : res < 0 ? ` (-${errnoName(res)})` : '';
    console.log(`  ${names[userData]!.padEnd(22)} res ${res}${why}`);
    seen.push(userData);
  }
  if (seen.length === 0) console.log('  (no completion: the requests are still waiting)');
  return seen;
}

try {
  using ring = new IoUring(16);
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const fd = openSync(fifo, 'r+'); // a writer (us) exists, so reads wait instead of seeing end of file
  const read = (sqe: Sqe) => prepRead(sqe, fd, Buffer.alloc(16), 16, 0);

  console.log('1. by user_data: a READ under user_data 1, then a cancel of 1');
  queue(ring, 'READ (user_data 1)', 1, read);
  ring.submit();
  reap(ring);
  queue(ring, 'ASYNC_CANCEL of 1', 100, (s) => prepCancel(s, 1));
  ring.submit();
  reap(ring);

  console.log('2. by fd: two READs of the FIFO, one cancel of every request on its fd');
  queue(ring, 'READ (user_data 2)', 2, read);
  queue(ring, 'READ (user_data 3)', 3, read);
  queue(ring, 'ASYNC_CANCEL fd, ALL', 101, (s) => prepCancelFd(s, fd, IORING_ASYNC_CANCEL_ALL));
  ring.submit();
  reap(ring);

  console.log('3. ANY: a READ and an hour-long TIMEOUT, one cancel of whatever is pending');
  queue(ring, 'READ (user_data 4)', 4, read);
  queue(ring, 'TIMEOUT (user_data 5)', 5, (s) => prepTimeout(s, 3_600_000));
  ring.submit();
  queue(ring, 'ASYNC_CANCEL ANY', 102, (s) => prepCancel64(s, 0, IORING_ASYNC_CANCEL_ANY));
  ring.submit();
  reap(ring);

  console.log('4. too late: a NOP under user_data 6 completes, then a cancel of 6');
  queue(ring, 'NOP (user_data 6)', 6, prepNop);
  ring.submit();
  reap(ring);
  queue(ring, 'ASYNC_CANCEL of 6', 103, (s) => prepCancel(s, 6));
  ring.submit();
  reap(ring);

  // Opening a FIFO for reading blocks until a writer opens it. IOSQE_ASYNC
  // sends the OPENAT straight to an io-wq worker thread, where it blocks.
  console.log('5. already running: an OPENAT of a FIFO with no writer, blocked in a kernel worker');
  const lonely = join(dir, 'no-writer');
  execFileSync('mkfifo', [lonely]);
  queue(ring, 'OPENAT (user_data 7)', 7, (s) => prepOpenat(s, AT_FDCWD, lonely, constants.O_RDONLY), IOSQE_ASYNC);
  ring.submit();
  reap(ring); // by now the worker sleeps in open(2)
  queue(ring, 'ASYNC_CANCEL of 7', 104, (s) => prepCancel(s, 7));
  ring.submit();
  if (!reap(ring, 500).includes(7)) {
    // Not interrupted after all: give the open its writer.
    closeSync(openSync(lonely, constants.O_WRONLY | constants.O_NONBLOCK));
    reap(ring);
  }
  closeSync(fd);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
