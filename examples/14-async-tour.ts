// Lesson 14: the AsyncRing tour. AsyncRing drives a ring from Node's event
// loop: every operation is a promise, the entries prepared in one turn of
// the loop go to the kernel in one io_uring_enter, and completions wake the
// loop (libuv watches the ring fd), so nothing spins and nothing blocks.
//
//   npx tsx examples/14-async-tour.ts
//
// Shown in turn: await on a write and a read; eight reads batched with
// Promise.all; an AbortSignal that cancels a read in the kernel; a linked
// timeout (the `timeout` option); chain() for IOSQE_IO_LINK chains; and an
// async iterator over a multishot operation.

import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsyncRing, IoUringError, errnoName, prepFsync, prepRead, prepWrite } from '../lib/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'tsuring-14-'));
const io = new AsyncRing();
try {
  // 1. One operation, awaited: the promise resolves with the CQE's res.
  const fd = openSync(join(dir, 'data'), 'w+');
  const text = Buffer.from('io_uring from the event loop, a promise per operation');
  const wrote = await io.write(fd, text, 0); // fd, buffer, file offset
  const back = Buffer.alloc(text.length);
  const read = await io.read(fd, back, 0);
  console.log(`1. write: ${wrote} bytes; read: ${read} bytes, ${back.equals(text) ? 'the same bytes' : 'DIFFERENT bytes'}`);

  // 2. Eight reads started in the same turn: prepared at once, submitted
  // together when this code yields (the first await), completed in any order.
  const parts = Array.from({ length: 8 }, () => Buffer.alloc(4));
  const reads = parts.map((p, i) => io.read(fd, p, i * 4));
  const prepared = io.ring.snapshot().sq!.prepared;
  const counts = await Promise.all(reads);
  console.log(`2. ${prepared} READs prepared before the first await, one submit for all; results ${counts.join(' ')}: ${JSON.stringify(Buffer.concat(parts).toString())}`);
  closeSync(fd);

  // A FIFO that never gets data: a read of it waits until something stops it.
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const idle = openSync(fifo, 'r+');

  // 3. An AbortSignal: aborting sends an ASYNC_CANCEL, and the promise
  // rejects once the kernel has let go of the buffer.
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 20);
  try {
    await io.read(idle, Buffer.alloc(16), -1, { signal: ac.signal });
  } catch (err) {
    console.log(`3. read with an AbortSignal, aborted after 20 ms: rejected with ${(err as Error).name}`);
  }

  // 4. A linked timeout: the read is followed by a LINK_TIMEOUT of 20 ms;
  // when it fires the kernel cancels the read, which rejects with ETIME.
  try {
    await io.read(idle, Buffer.alloc(16), -1, { timeout: 20 });
  } catch (err) {
    const e = err as IoUringError;
    console.log(`4. read with { timeout: 20 }: rejected with ${e.code} from ${e.syscall}`);
  }
  closeSync(idle);

  // 5. chain(): entries linked with IOSQE_IO_LINK, each starting once the one
  // before it succeeded. It resolves with every res; after a failure the rest
  // are -ECANCELED, never run.
  const log = openSync(join(dir, 'log'), 'w+');
  const line = Buffer.from('chained\n');
  const out = Buffer.alloc(line.length);
  const res = await io.chain([
    (s) => prepWrite(s, log, line, line.length, 0),
    (s) => prepFsync(s, log, 0),
    (s) => prepRead(s, log, out, out.length, 0),
  ]);
  console.log(`5. chain WRITE -> FSYNC -> READ: [${res.join(', ')}], read back ${JSON.stringify(out.toString())}`);
  closeSync(log);
  const ro = openSync(join(dir, 'log'), 'r');
  const failed = await io.chain([(s) => prepWrite(s, ro, line, line.length, 0), (s) => prepFsync(s, ro, 0)]);
  console.log(`   the same WRITE -> FSYNC on a read-only fd: [${failed.map((r) => `-${errnoName(r)}`).join(', ')}]`);
  closeSync(ro);

  // 6. A multishot operation as an async iterator: one TIMEOUT with
  // IORING_TIMEOUT_MULTISHOT posts a CQE every 10 ms; `count` 3 ends it.
  // Leaving the loop early (break) would cancel it in the kernel.
  const ticks: number[] = [];
  try {
    for await (const tick of io.timeoutMultishot(10, { count: 3 })) ticks.push(tick);
    console.log(`6. for await over timeoutMultishot(10 ms, count 3): ticks ${ticks.join(', ')}`);
  } catch (err) {
    if (!(err instanceof IoUringError && err.code === 'EINVAL')) throw err;
    console.log('6. skipped: IORING_TIMEOUT_MULTISHOT needs Linux 6.4'); // older kernels refuse the flag
  }
} finally {
  await io.close(); // nothing in flight any more; the process exits by itself
  rmSync(dir, { recursive: true, force: true });
}
