// Lesson 3: writing a file durably. A WRITE and an FSYNC go in one submit,
// the FSYNC linked to the WRITE with IOSQE_IO_LINK so that the kernel starts
// it only once the write has succeeded.
//
//   npx tsx examples/03-write-fsync.ts
//
// Entries of one submit are otherwise independent: the kernel may start them
// in any order, or all at once, so an unlinked fsync might run before the
// write it was meant to cover. A link also stops at the first failure: the
// entries after a failed one complete with -ECANCELED instead of running.

import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IoUring, IORING_FSYNC_DATASYNC, IOSQE_IO_LINK, errnoName, prepFsync, prepWrite } from '../lib/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'tsuring-03-'));
const file = join(dir, 'journal.txt');
const line = Buffer.from('one line, on disk before we say so\n');

// Prints the CQEs of a linked pair; links complete in order.
function reap(ring: IoUring, names: string[]): void {
  for (let i = 0; i < names.length; i++) {
    const cqe = ring.waitCqe();
    const { userData, res } = cqe;
    ring.cqeSeen(cqe);
    const what = res < 0 ? `-${errnoName(res)}` : names[userData] === 'WRITE' ? `${res} bytes written` : 'done';
    console.log(`  ${names[userData]!.padEnd(5)} res ${res} (${what})`);
  }
}

// Queues a WRITE of `line` at offset 0 and an FSYNC linked after it.
function writeThenSync(ring: IoUring, fd: number): void {
  let sqe = ring.getSqe()!;
  prepWrite(sqe, fd, line, line.length, 0); // fd, buffer, bytes, file offset
  sqe.userData = 0;
  sqe.flags |= IOSQE_IO_LINK; // the next entry starts only if this one succeeds
  sqe = ring.getSqe()!;
  prepFsync(sqe, fd, IORING_FSYNC_DATASYNC); // fdatasync(2); 0 would be fsync(2)
  sqe.userData = 1;
}

try {
  using ring = new IoUring(8);

  // 1. The write, then the fsync: one submit, one io_uring_enter.
  let fd = openSync(file, 'w');
  writeThenSync(ring, fd);
  console.log(`WRITE linked to FSYNC: ${ring.submitAndWait(2)} entries in one submit`);
  reap(ring, ['WRITE', 'FSYNC']);
  closeSync(fd);
  console.log(`the file holds ${JSON.stringify(readFileSync(file, 'utf8'))}`);

  // 2. The same chain on a file opened read-only: the write fails with
  // -EBADF, and the fsync linked to it is cancelled, never run.
  fd = openSync(file, 'r');
  writeThenSync(ring, fd);
  ring.submitAndWait(2);
  console.log('\nthe same chain on a read-only fd:');
  reap(ring, ['WRITE', 'FSYNC']);
  closeSync(fd);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
