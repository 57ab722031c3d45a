// Lesson 2: reading a file. Several reads at different offsets go in one
// submit; they complete in any order, and userData says which is which.
//
//   npx tsx examples/02-read-file.ts [FILE]
//
// The ring keeps each buffer referenced until its CQE has been consumed: the
// kernel writes into it in the meantime, so it must not be garbage-collected.

import { openSync, closeSync, fstatSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { IoUring, prepRead } from '../lib/index.ts';

// Without an argument: this lesson's own file, wherever it was installed.
const file = process.argv[2] ?? fileURLToPath(import.meta.url);
const fd = openSync(file, 'r');
const size = fstatSync(fd).size;
const chunk = 16;
const parts = Math.min(4, Math.ceil(size / chunk));

using ring = new IoUring(8);
const bufs: Buffer[] = [];
for (let i = 0; i < parts; i++) {
  bufs.push(Buffer.alloc(chunk));
  const sqe = ring.getSqe()!;
  prepRead(sqe, fd, bufs[i]!, chunk, i * chunk); // fd, buffer, bytes, file offset
  sqe.userData = i;
}
ring.submitAndWait(parts); // submit all, wait for all

const text: string[] = [];
for (let i = 0; i < parts; i++) {
  const cqe = ring.waitCqe();
  if (cqe.res < 0) throw new Error(`read ${cqe.userData} failed: ${cqe.res}`);
  text[cqe.userData] = bufs[cqe.userData]!.toString('utf8', 0, cqe.res);
  ring.cqeSeen(cqe);
}
closeSync(fd);
console.log(`first ${text.join('').length} bytes of ${file}:`);
console.log(JSON.stringify(text.join('')));
