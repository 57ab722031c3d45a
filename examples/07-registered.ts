// Lesson 7: registered files and registered buffers. Registering hands the
// kernel a table once, so that each operation skips work it would otherwise
// do every time:
//   - registered ("fixed") files: an entry with IOSQE_FIXED_FILE names a
//     slot of the ring's file table in its fd field, and the kernel skips
//     looking the fd up (and taking a reference to the file) per operation;
//   - registered buffers: READ_FIXED and WRITE_FIXED name a slot of the
//     buffer table in buf_index, and the kernel skips pinning the pages of
//     the buffer per operation: they were pinned once, at registration.
//
//   npx tsx examples/07-registered.ts
//
// The buffer of a *_FIXED operation must lie inside the registered buffer
// it names; the kernel refuses anything else with -EFAULT.

import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  IoUring, IOSQE_FIXED_FILE, errnoName, prepReadFixed, prepWriteFixed, registerBuffers, registerFiles, unregisterFiles, type Sqe,
} from '../lib/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'tsuring-07-'));

// Runs one entry and returns its res.
function run(ring: IoUring, prep: (sqe: Sqe) => void): number {
  const sqe = ring.getSqe()!;
  prep(sqe);
  ring.submitAndWait(1);
  const cqe = ring.waitCqe();
  const res = cqe.res;
  ring.cqeSeen(cqe);
  return res;
}
const show = (res: number) => (res < 0 ? `${res} (-${errnoName(res)})` : `${res}`);

try {
  using ring = new IoUring(8);
  const file = join(dir, 'data.txt');
  writeFileSync(file, 'registered files skip the fd lookup\n');

  // The file table: slot 0 holds the file. The kernel keeps its own
  // reference, so our fd can be closed at once; slot 0 still names the file.
  const fd = openSync(file, 'r+');
  registerFiles(ring, [fd]);
  closeSync(fd);
  console.log(`registered file ${fd} as slot 0, then closed fd ${fd}`);

  // The buffer table: slot 0 is 4 KiB, pinned in memory from now on (the
  // ring keeps the Buffer referenced while it is registered).
  const pinned = Buffer.alloc(4096);
  registerBuffers(ring, [pinned]);
  console.log(`registered a ${pinned.length}-byte buffer as buffer 0`);

  // READ_FIXED from file slot 0 into the first 64 bytes of buffer 0: fd is 0
  // and means "slot 0" because of IOSQE_FIXED_FILE.
  const into = pinned.subarray(0, 64);
  let res = run(ring, (s) => {
    prepReadFixed(s, 0, into, into.length, 0, 0); // fd slot 0, buffer, bytes, file offset, buffer 0
    s.flags |= IOSQE_FIXED_FILE;
  });
  console.log(`READ_FIXED  (file slot 0, buffer 0): res ${show(res)} -> ${JSON.stringify(into.toString('utf8', 0, res))}`);

  // WRITE_FIXED from further into buffer 0, at the end of the file.
  const end = res;
  const more = pinned.subarray(1024, 1024 + pinned.write('and fixed buffers skip the page pins\n', 1024));
  res = run(ring, (s) => {
    prepWriteFixed(s, 0, more, more.length, end, 0);
    s.flags |= IOSQE_FIXED_FILE;
  });
  console.log(`WRITE_FIXED (file slot 0, buffer 0): res ${show(res)}; the file now reads ${JSON.stringify(readFileSync(file, 'utf8'))}`);

  // A buffer that is not inside buffer 0: refused.
  const elsewhere = Buffer.alloc(64);
  res = run(ring, (s) => {
    prepReadFixed(s, 0, elsewhere, elsewhere.length, 0, 0);
    s.flags |= IOSQE_FIXED_FILE;
  });
  console.log(`READ_FIXED into memory outside buffer 0: res ${show(res)}`);

  // Once the file table is gone, slot 0 names nothing.
  unregisterFiles(ring);
  res = run(ring, (s) => {
    prepReadFixed(s, 0, into, into.length, 0, 0);
    s.flags |= IOSQE_FIXED_FILE;
  });
  console.log(`READ_FIXED from file slot 0 after unregisterFiles: res ${show(res)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
