// Lesson 4: copying a file with linked pairs, as liburing's examples/link-cp.c
// does. The file is cut into chunks; each chunk is a READ into a buffer of
// its own linked (IOSQE_IO_LINK) to a WRITE of that buffer, and several
// chunks are in flight at once: the kernel runs each pair in order and the
// pairs side by side, with no trip back to JavaScript between read and write.
//
//   npx tsx examples/04-link-cp.ts [SOURCE DEST]
//
// With no arguments it copies a file of random bytes it makes (and removes).
// The WRITE is prepared before its READ has run, so it asks for the whole
// chunk; if the READ comes up short (the file changed under us) the link
// breaks, the WRITE completes with -ECANCELED, and the pair is queued again,
// as link-cp.c does.

import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERRNO, IoUring, IOSQE_IO_LINK, errnoName, prepRead, prepWrite } from '../lib/index.ts';

const QD = 4; // chunks in flight
const BS = 64 * 1024; // bytes per chunk

const tmp = process.argv[2] === undefined ? mkdtempSync(join(tmpdir(), 'tsuring-04-')) : null;
const src = process.argv[2] ?? join(tmp!, 'source');
const dst = process.argv[3] ?? join(tmp!, 'copy');
if (tmp !== null) writeFileSync(src, randomBytes(16 * BS + 1000)); // the last chunk is a short one

// One chunk in flight: its buffer, where it goes, and its two results.
interface Pair {
  buf: Buffer;
  off: number;
  len: number;
  read: number;
  write: number;
  seen: number;
}

const inFd = openSync(src, 'r');
const outFd = openSync(dst, 'w');
try {
  const size = fstatSync(inFd).size;
  using ring = new IoUring(2 * QD);
  const pairs: Pair[] = Array.from({ length: QD }, () => ({ buf: Buffer.alloc(BS), off: 0, len: 0, read: 0, write: 0, seen: 0 }));
  const free = pairs.map((_, i) => i);
  const again: { off: number; len: number }[] = []; // chunks to queue again
  let next = 0; // the first byte not yet queued
  let inFlight = 0;
  let chunks = 0;
  let requeued = 0;

  // user_data says which pair and which half: 2i for the READ, 2i+1 for the WRITE.
  const queue = (i: number, off: number, len: number) => {
    const p = pairs[i]!;
    Object.assign(p, { off, len, seen: 0 });
    let sqe = ring.getSqe()!;
    prepRead(sqe, inFd, p.buf, len, off);
    sqe.userData = 2 * i;
    sqe.flags |= IOSQE_IO_LINK; // the WRITE below starts only once this READ filled the buffer
    sqe = ring.getSqe()!;
    prepWrite(sqe, outFd, p.buf, len, off);
    sqe.userData = 2 * i + 1;
    inFlight++;
  };

  for (;;) {
    // Keep QD pairs in flight.
    while (free.length > 0 && (again.length > 0 || next < size)) {
      let job = again.shift();
      if (job === undefined) {
        job = { off: next, len: Math.min(BS, size - next) };
        next += job.len;
      }
      queue(free.pop()!, job.off, job.len);
    }
    if (inFlight === 0) break;
    ring.submitAndWait(1); // send what is queued, wait for at least one completion
    for (let cqe = ring.peekCqe(); cqe !== null; cqe = ring.peekCqe()) {
      const i = cqe.userData >> 1;
      const p = pairs[i]!;
      if (cqe.userData & 1) p.write = cqe.res;
      else p.read = cqe.res;
      ring.cqeSeen(cqe);
      if (++p.seen < 2) continue;
      // Both halves are in: the pair is done, or queued again.
      inFlight--;
      free.push(i);
      if (p.write === p.len) {
        chunks++;
      } else if (p.write === -ERRNO.ECANCELED && p.read > 0) {
        requeued++;
        again.push({ off: p.off, len: p.len });
      } else {
        throw new Error(`chunk at ${p.off}: READ ${p.read < 0 ? errnoName(p.read) : p.read}, WRITE ${p.write < 0 ? errnoName(p.write) : p.write}`);
      }
    }
  }

  const same = readFileSync(src).equals(readFileSync(dst));
  console.log(`copied ${size} bytes in ${chunks} chunk${chunks === 1 ? '' : 's'} of up to ${BS / 1024} KiB, ${QD} pairs in flight, ${requeued} queued again`);
  console.log(same ? 'the copy is identical to the source' : 'the copy DIFFERS from the source');
  process.exitCode = same ? 0 : 1;
} finally {
  closeSync(inFd);
  closeSync(outFd);
  if (tmp !== null) rmSync(tmp, { recursive: true, force: true });
}
