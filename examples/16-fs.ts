// Lesson 16: tsuring/fs, node:fs/promises on the ring. Change one line,
//
//   import * as fs from 'node:fs/promises';
//   import * as fs from 'tsuring/fs'; // '../lib/fs/index.ts' in this repository
//
// and the calls io_uring has an operation for (open, read, write, stat,
// mkdir, rename, unlink, ...) go to the kernel as OPENAT, READ, WRITE, STATX,
// MKDIRAT, ... on one AsyncRing per thread, made at the first call and never
// keeping the process alive; the rest (readdir, rm, mkdtemp, ...) are
// node:fs/promises' own functions, handed on as they are.
//
//   npx tsx examples/16-fs.ts
//
// What stays: the signatures, the results, the errors word for word. What
// changes: Stats are tsuring/fs's own class (the same fields and methods);
// copyFile copies by splicing through a pipe on the ring; and writeFile and
// copyFile write over a file that exists and then cut it to length, as Bun
// does, where Node empties it first (the file ends the same). README.md's
// "tsuring/fs" section has the whole list.

import * as nodeFs from 'node:fs/promises';
import { Stats as NodeStats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as fs from '../lib/fs/index.ts';

const dir = await fs.mkdtemp(join(tmpdir(), 'tsuring-16-'));
try {
  // 1. A whole file out and back: writeFile opens, writes and closes, and
  // readFile opens, reads and closes, each as one linked chain of SQEs
  // submitted together (lib/fs/fast.ts).
  const file = join(dir, 'hello.txt');
  await fs.writeFile(file, 'hello from the ring\n', { mode: 0o640 });
  const text = await fs.readFile(file, 'utf8');
  console.log(`1. writeFile then readFile: ${JSON.stringify(text)} (${Buffer.byteLength(text)} bytes)`);

  // 2. A FileHandle. A read with a position reads there (a READ with that
  // offset) and leaves the file position alone; one without a position
  // reads at the file position (offset -1) and moves it.
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(8);
    const at6 = await fh.read(buf, 0, 4, 6);
    console.log(`2. read(buf, 0, 4, 6): ${at6.bytesRead} bytes, ${JSON.stringify(buf.toString('utf8', 0, at6.bytesRead))}`);
    const at11 = await fh.read({ buffer: buf, length: 3, position: 11n }); // a bigint position, as Node 22 reads it
    console.log(`   read({ length: 3, position: 11n }): ${at11.bytesRead} bytes, ${JSON.stringify(buf.toString('utf8', 0, at11.bytesRead))}`);
    const first = await fh.read(buf, 0, 5, null);
    const next = await fh.read(buf, 5, 1, null);
    console.log(`   read at the file position, twice: ${JSON.stringify(buf.toString('utf8', 0, first.bytesRead + next.bytesRead))}`);
    const { bytesRead } = await fh.read(buf, 0, 8, 20);
    console.log(`   read at the end of the file: ${bytesRead} bytes`);
  } finally {
    await fh.close();
  }
  console.log(`   after close(): fd ${fh.fd}`);

  // 3. stat is a STATX. The Stats hold the same values as node:fs/promises'
  // (the kernel's statx, as libuv's), in a class of tsuring/fs's own.
  const st = await fs.stat(file);
  const ns = await nodeFs.stat(file);
  const same = (['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'size', 'blocks', 'mtimeMs'] as const).every((k) => st[k] === ns[k]);
  console.log(`3. stat: size ${st.size}, isFile() ${st.isFile()}, isDirectory() ${st.isDirectory()}, mode 0o${(st.mode & 0o777).toString(8)}`);
  console.log(`   the same fields as node:fs/promises' stat: ${same}; mtime ${st.mtime.getTime() === ns.mtime.getTime() ? 'equal' : 'DIFFERENT'}`);
  console.log(`   instanceof node:fs Stats: ${st instanceof NodeStats} (tsuring/fs's own class: ${st instanceof fs.Stats})`);

  // 4. A failed call rejects with the error Node would throw: the CQE's
  // -ENOENT as code, errno, Node's syscall name and the path, and the same
  // message.
  const missing = join(dir, 'missing.txt');
  const err = (await fs.readFile(missing).catch((e: unknown) => e)) as fs.FsError;
  const nodeErr = (await nodeFs.readFile(missing).catch((e: unknown) => e)) as fs.FsError;
  console.log(`4. readFile of a missing file: ${err.message}`);
  console.log(`   code ${err.code}, errno ${err.errno}, syscall ${err.syscall}, path ${relative(dir, err.path ?? '')}`);
  const alike = (['message', 'code', 'errno', 'syscall', 'path'] as const).every((k) => err[k] === nodeErr[k]);
  console.log(`   the same as node:fs/promises' error: ${alike}`);

  // 5. mkdir with `recursive` makes the missing parents, by MKDIRATs in
  // Node's order (the path; on ENOENT its parent first, then the path
  // again), and resolves with the first directory it made; again, with
  // nothing to make, with undefined. readdir is node:fs/promises' own.
  const made = await fs.mkdir(join(dir, 'a/b/c'), { recursive: true });
  const again = await fs.mkdir(join(dir, 'a/b/c'), { recursive: true });
  await fs.writeFile(join(dir, 'a/b/c/deep.txt'), 'deep');
  console.log(`5. mkdir a/b/c recursive: made from ${relative(dir, made ?? '')}; again: ${again}`);
  console.log(`   readdir: ${(await fs.readdir(dir)).sort().join(', ')}; a/b/c holds ${(await fs.readdir(join(dir, 'a/b/c'))).join(', ')}`);
} finally {
  // 6. rm is node:fs/promises' own too; stat then rejects ENOENT.
  await fs.rm(dir, { recursive: true, force: true });
  const gone = await fs.stat(dir).then(() => false, (e: fs.FsError) => e.code === 'ENOENT');
  console.log(`6. rm -r the temp dir: ${gone ? 'gone' : 'STILL THERE'}`);
}
