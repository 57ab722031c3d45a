// Lesson 5: timeouts. io_uring has three kinds, and each is an entry of its
// own that completes like any other:
//   1. a TIMEOUT: completes with -ETIME when its time is up;
//   2. a TIMEOUT with a count: completes with 0 as soon as that many other
//      completions have been posted, or with -ETIME at its deadline;
//   3. a LINK_TIMEOUT, linked after another entry: if that entry is still
//      running when the time is up, the kernel cancels it (-ECANCELED) and
//      the link timeout completes with -ETIME.
//
//   npx tsx examples/05-timeouts.ts
//
// The third one is how to bound any single operation: here a read of a FIFO
// that never gets data, which would otherwise wait forever.

import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IoUring, IOSQE_IO_LINK, errnoName, prepLinkTimeout, prepNop, prepRead, prepTimeout, type Sqe } from '../lib/index.ts';

const HOUR = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), 'tsuring-05-'));

function queue(ring: IoUring, prep: (sqe: Sqe) => void, userData: number, flags = 0): void {
  const sqe = ring.getSqe()!;
  prep(sqe);
  sqe.userData = userData;
  sqe.flags |= flags;
}

// Waits for `n` CQEs and prints them; `names` by user_data.
function reap(ring: IoUring, n: number, names: Record<number, string>): void {
  for (let i = 0; i < n; i++) {
    const cqe = ring.waitCqe();
    const { userData, res } = cqe;
    ring.cqeSeen(cqe);
    console.log(`  ${names[userData]!.padEnd(12)} res ${res}${res < 0 ? ` (-${errnoName(res)})` : ''}`);
  }
}

try {
  using ring = new IoUring(8);

  // 1. A plain TIMEOUT of 20 ms. Waiting for it blocks this thread; the
  // kernel holds the timer, not us.
  queue(ring, (s) => prepTimeout(s, 20), 1);
  const t0 = performance.now();
  ring.submit();
  console.log('1. a TIMEOUT of 20 ms:');
  reap(ring, 1, { 1: 'TIMEOUT' });
  console.log(`  (fired after ${Math.round(performance.now() - t0)} ms)`);

  // 2. A TIMEOUT of an hour that counts to 2: the two NOPs' completions
  // complete it long before the hour is up, with res 0, not -ETIME.
  queue(ring, (s) => prepTimeout(s, HOUR, 2), 1); // count 2
  queue(ring, prepNop, 2);
  queue(ring, prepNop, 3);
  ring.submit();
  console.log('2. a TIMEOUT of an hour with a count of 2, and two NOPs:');
  reap(ring, 3, { 1: 'TIMEOUT', 2: 'NOP', 3: 'NOP' });

  // 3. A READ of a FIFO nobody writes to, linked to a LINK_TIMEOUT of 20 ms.
  // Opened read-write, the FIFO has a writer (us), so the open does not
  // block and the read waits for data that never comes.
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const fd = openSync(fifo, 'r+');
  const buf = Buffer.alloc(64);
  queue(ring, (s) => prepRead(s, fd, buf, buf.length, 0), 1, IOSQE_IO_LINK); // the link timeout guards this entry
  queue(ring, (s) => prepLinkTimeout(s, 20), 2);
  ring.submit();
  console.log('3. a READ of an empty FIFO, linked to a LINK_TIMEOUT of 20 ms:');
  reap(ring, 2, { 1: 'READ', 2: 'LINK_TIMEOUT' });
  closeSync(fd);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
