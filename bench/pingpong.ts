// 1-byte round trips through a `cat` child over two pipes: every reply
// arrives after the submit has returned, so every round trip needs a wake of
// the event loop. AsyncRing (--api async) against Node's own streams on the
// same kind of pipes (--api node). Prints `round_trips_per_sec N`.
//
// Two references that use no event loop at all: --api blocking is a
// writeSync/readSync loop whose read sleeps in the kernel until cat replies,
// the fastest any reader that sleeps can be; --api spin reads a non-blocking
// pipe in a loop until the reply is there, what only a reader that burns its
// CPU gets. Neither is something to use.
//
//   npx tsx bench/pingpong.ts --api async|async-serial|async-multishot|node|blocking|spin --seconds 3

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import * as ffi from '../ffi/index.ts';
import { AsyncRing, IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_SINGLE_ISSUER } from '../lib/index.ts';

const { values } = parseArgs({
  options: {
    api: { type: 'string', default: 'async' },
    seconds: { type: 'string', default: '3' },
    ring: { type: 'string', default: 'default' },
  },
});
// --ring defer: a SINGLE_ISSUER | DEFER_TASKRUN ring under the AsyncRing.
const ringOptions = values.ring === 'defer' ? { flags: IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN } : {};
const seconds = Number(values.seconds);
const O_CLOEXEC = 0o2000000;

// Two pipes: we write to `toCat`, cat echoes to `fromCat`.
function pipes(): { toCat: number; fromCat: number; child: ReturnType<typeof spawn> } {
  const a = ffi.pipe(O_CLOEXEC) as [number, number];
  const b = ffi.pipe(O_CLOEXEC) as [number, number];
  const child = spawn('cat', [], { stdio: [a[0], b[1], 'inherit'] });
  ffi.close(a[0]);
  ffi.close(b[1]);
  return { toCat: a[1], fromCat: b[0], child };
}

async function timed(roundTrip: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 500; i++) await roundTrip();
  let n = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) await roundTrip();
    n += 100;
  }
  return n / ((performance.now() - t0) / 1000);
}

// Times `roundTrip(io, toCat, fromCat)` on an AsyncRing over fresh pipes to cat.
async function viaRing(roundTrip: (io: AsyncRing, toCat: number, fromCat: number) => () => Promise<void>): Promise<number> {
  const { toCat, fromCat, child } = pipes();
  const io = new AsyncRing({ entries: 8, ...ringOptions });
  try {
    return await timed(roundTrip(io, toCat, fromCat));
  } finally {
    await io.close();
    ffi.close(toCat);
    ffi.close(fromCat);
    child.kill();
  }
}

const out = Buffer.from('x');
const inb = Buffer.alloc(1);

// The write and the read of a round trip go to the kernel in one
// io_uring_enter: the read waits in the kernel for cat's reply.
const viaAsyncRing = () => viaRing((io, toCat, fromCat) => async () => {
  const [, got] = await Promise.all([io.write(toCat, out, -1), io.read(fromCat, inb, -1)]);
  if (got !== 1) throw new Error('cat went away');
});

// One write, then its reply, each awaited on its own: two submits a round trip.
const viaAsyncRingSerial = () => viaRing((io, toCat, fromCat) => async () => {
  await io.write(toCat, out, -1);
  if ((await io.read(fromCat, inb, -1)) !== 1) throw new Error('cat went away');
});

// The replies through a multishot read that stays armed: a write a round
// trip. (The iterator is left to close() to end.)
const viaAsyncRingMultishot = () => viaRing((io, toCat, fromCat) => {
  const replies = io.readMultishot(fromCat, { bufferSize: 64, buffers: 8 });
  return async () => {
    const w = io.write(toCat, out, -1);
    const r = await replies.next();
    await w;
    if (r.done) throw new Error('cat went away');
    r.value.release();
  };
});

async function viaNode(): Promise<number> {
  const { toCat, fromCat, child } = pipes();
  const w = new Socket({ fd: toCat, readable: false, writable: true });
  const r = new Socket({ fd: fromCat, readable: true, writable: false });
  try {
    return await timed(async () => {
      const got = once(r, 'data');
      w.write(out);
      await got;
    });
  } finally {
    w.destroy();
    r.destroy();
    child.kill();
  }
}

// The references: no event loop, every round trip in one synchronous call.
async function viaSyscalls(spin: boolean): Promise<number> {
  const { toCat, fromCat: blockingEnd, child } = pipes();
  // A second open of the pipe's read end gets a file description of its own,
  // so O_NONBLOCK is ours alone and cat's end stays as it was.
  const fromCat = spin ? openSync(`/proc/self/fd/${blockingEnd}`, constants.O_RDONLY | constants.O_NONBLOCK) : blockingEnd;
  const reply = spin
    ? (): number => {
        for (;;) {
          try {
            return readSync(fromCat, inb);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
          }
        }
      }
    : (): number => readSync(fromCat, inb);
  try {
    return await timed(async () => {
      writeSync(toCat, out);
      if (reply() !== 1) throw new Error('cat went away');
    });
  } finally {
    if (fromCat !== blockingEnd) closeSync(fromCat);
    ffi.close(toCat);
    ffi.close(blockingEnd);
    child.kill();
  }
}

const apis: Record<string, () => Promise<number>> = {
  async: viaAsyncRing, 'async-serial': viaAsyncRingSerial, 'async-multishot': viaAsyncRingMultishot, node: viaNode,
  blocking: () => viaSyscalls(false), spin: () => viaSyscalls(true),
};
const run = apis[values.api!];
if (!run) throw new Error(`--api must be one of ${Object.keys(apis).join(', ')}`);
console.log(`round_trips_per_sec ${Math.round(await run())}`);
