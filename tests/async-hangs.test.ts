/**
 * AsyncRing operations that the kernel holds back or never lets go of, and
 * what stops them (lib/async/cancel.ts, close.ts):
 *
 *  - an IOSQE_IO_DRAIN entry behind one that never completes holds back
 *    every later entry, an ASYNC_CANCEL included: close() and an abort reach
 *    the kernel through IORING_REGISTER_SYNC_CANCEL, which bypasses the SQ;
 *  - a zero-copy send submitted while the ring is in drain mode (after an
 *    IOSQE_IO_DRAIN entry) waits in the kernel's drain queue forever on Linux
 *    6.16+, with everything after it, and no cancel reaches it: close() gives
 *    up on it after a bounded wait, rejects it with ECANCELED and keeps its
 *    memory for the life of the process;
 *  - a multishot timeout of 0 or 1 µs re-arms faster than any cancel can find
 *    it: leaving the loop, an abort and close() still return;
 *  - run() and chain() refuse an encoder that sets IOSQE_CQE_SKIP_SUCCESS
 *    (success would post no CQE, and the promise would never settle).
 *
 * Every wait is bounded, so a hang fails the test instead of stalling the run.
 * Everything runs for each waker and for a SINGLE_ISSUER | DEFER_TASKRUN ring.
 */
import { describe, expect, it } from 'vitest';
import { readSync, writeSync } from 'node:fs';
import * as ffi from '../ffi/index.ts';
import {
  AsyncRing, IoUringError, IORING_OP_SEND_ZC, IORING_OP_TIMEOUT, IOSQE_ASYNC, IOSQE_CQE_SKIP_SUCCESS, IOSQE_IO_DRAIN, prepNop, prepWrite,
  type AsyncRingOptions,
} from '../lib/index.ts';
import { catchWarnings, opcodesMissing } from './helpers.ts';
import { collected, outcome, rejection, spyCqes, testResources, ticks, variants } from './async-helpers.ts';
import { MSG_BASE } from '../lib/async/user-data.ts';

const { rings, track } = testResources();

/** `p`, or a rejection after `ms`: a hang fails instead of stalling. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** A blocking pipe, [read end, write end], closed after the test. */
function newPipe(): [number, number] {
  const p = ffi.pipe();
  if (typeof p === 'number') throw new Error(`pipe2: ${p}`);
  return [track(p[0]), track(p[1])];
}

/** What a pipe holds now, read without blocking (O_NONBLOCK is not set: only call when known non-empty, or use `empty`). */
function readNow(fd: number): string {
  const b = Buffer.alloc(64);
  return b.subarray(0, readSync(fd, b, 0, 64, null)).toString('latin1');
}

describe.each(variants.map((v) => [v.name, v] as const))('%s', (_, { options, skip }) => {
  const open = (extra: AsyncRingOptions = {}): AsyncRing => {
    const io = new AsyncRing({ ...options, ...extra });
    rings.push(io);
    return io;
  };
  const test = (title: string, fn: () => Promise<void>, ops: number[] = []) => {
    const why = skip || opcodesMissing(...ops);
    it.skipIf(why !== '')(why ? `${title} (skipped: ${why})` : title, fn);
  };

  describe('IOSQE_IO_DRAIN behind an operation that never completes', () => {
    test('close() settles: its cancels reach the kernel past the drained entry', async () => {
      const io = open();
      const [r] = newPipe();
      const read = outcome(io.read(r, new Uint8Array(16)));
      const drained = outcome(io.nop({ flags: IOSQE_IO_DRAIN }));
      await ticks(3);
      expect(io.pending).toBe(2);
      // Under 4 s: IoUring.close()'s own drain, once behind the doorbell's
      // poll of the ring fd, waited out its 5 s bound.
      await within(io.close(), 4000, 'close()');
      expect(await read).toBe('IoUringError');
      expect(['ok 0', 'IoUringError']).toContain(await drained);
    });

    test('close() settles with drains stacked: stuck read, drain, stuck read, drain, read', async () => {
      const io = open();
      const ops = [
        outcome(io.read(newPipe()[0], new Uint8Array(16))),
        outcome(io.nop({ flags: IOSQE_IO_DRAIN })),
        outcome(io.read(newPipe()[0], new Uint8Array(16))),
        outcome(io.nop({ flags: IOSQE_IO_DRAIN })),
        outcome(io.read(newPipe()[0], new Uint8Array(16))),
      ];
      await ticks(3);
      await within(io.close(), 5000, 'close()');
      const got = await Promise.all(ops);
      expect(got.filter((o) => o.startsWith('ok ') && o !== 'ok 0')).toEqual([]);
      expect(io.pending).toBe(0);
    });

    test('an abort of the stuck operation reaches it; the drained entry then runs', async () => {
      const io = open();
      const [r] = newPipe();
      const ac = new AbortController();
      const read = rejection(io.read(r, new Uint8Array(16), -1, { signal: ac.signal }));
      const drained = io.nop({ flags: IOSQE_IO_DRAIN });
      await ticks(3);
      ac.abort();
      expect((await within(read, 5000, 'the aborted read')).name).toBe('AbortError');
      expect(await within(drained, 5000, 'the drained nop')).toBe(0);
      expect(await io.nop()).toBe(0);
      expect(io.pending).toBe(0);
    });

    test('an abort of an operation queued behind the drain cancels it once the kernel starts it', async () => {
      const io = open();
      const [r1, w1] = newPipe();
      const [r2, w2] = newPipe();
      const first = io.read(r1, new Uint8Array(16));
      const drained = io.nop({ flags: IOSQE_IO_DRAIN });
      const ac = new AbortController();
      const later = rejection(io.read(r2, new Uint8Array(16), -1, { signal: ac.signal }));
      await ticks(3);
      ac.abort();
      await ticks(3);
      expect(io.pending).toBe(3); // the kernel holds the later read in its drain queue, where no cancel looks
      writeSync(w1, 'one');
      expect(await within(first, 5000, 'the first read')).toBe(3);
      expect(await within(drained, 5000, 'the drained nop')).toBe(0);
      expect((await within(later, 5000, 'the aborted later read')).name).toBe('AbortError');
      writeSync(w2, 'two');
      expect(readNow(r2)).toBe('two'); // the aborted read took nothing
      expect(io.pending).toBe(0);
    });
  });

  // In drain mode (Linux 6.16+) the kernel defers every new entry until each
  // request in flight is deferred too; the doorbell's own poll of the ring
  // fd is always in flight, and completes only on a CQE. Every operation
  // after a drained one then waited on it, and the poll on them.
  test('after a drained operation, later operations still run and settle (the doorbell takes its poll out of their way)', async () => {
    const io = open();
    const [fr, fw] = newPipe();
    for (let round = 0; round < 20; round++) {
      writeSync(fw, 'drained');
      expect(await within(io.read(fr, new Uint8Array(8), -1, { flags: IOSQE_IO_DRAIN | IOSQE_ASYNC }), 5000, 'the drained read')).toBe(7);
      const [r, w] = newPipe();
      const read = io.read(r, new Uint8Array(8), -1, { flags: IOSQE_ASYNC });
      await ticks(2);
      writeSync(w, 'x');
      expect(await within(read, 5000, `the read after the drain (round ${round})`)).toBe(1);
      expect(await within(io.nop(), 5000, 'a nop')).toBe(0);
    }
  });

  describe('a zero-copy send while the ring is in drain mode', () => {
    // Since Linux 6.16 a drained entry leaves the kernel's drain queue only
    // once every request allocated on the ring is in that queue, and SEND_ZC
    // allocates its notification request before it is queued: it never
    // leaves, nor does anything submitted after it, ASYNC_CANCEL included
    // (the CLOSE_GRACE_MS note in lib/async/close.ts). Found by
    // `npm run fuzz -- --seed 1 --start 235 --iterations 1`.
    test('close() settles: the send and what waits behind it reject with ECANCELED, and the send\'s buffer stays held', async () => {
      const io = open();
      const [r, w] = newPipe();
      // The drained entry completes; the ring stays in drain mode until an
      // entry finds nothing else in flight, and the send comes first.
      expect(await within(io.nop({ flags: IOSQE_IO_DRAIN }), 5000, 'the drained nop')).toBe(0);
      // The buffer is reachable from the ring alone: a WeakRef says whether it goes.
      const { send, ref } = ((buf: Uint8Array) => ({ send: rejection(io.sendZc(w, buf)), ref: new WeakRef(buf) }))(new Uint8Array(4096));
      const after = outcome(io.read(r, new Uint8Array(16)));
      await ticks(3);
      const { warnings, stop } = catchWarnings();
      try {
        await within(io.close(), 10_000, 'close()');
        await ticks(2); // warnings are emitted on the next tick
      } finally {
        stop();
      }
      const err = await within(send, 1000, 'the send');
      expect(err).toBeInstanceOf(IoUringError);
      if (err.code === 'ENOTSOCK') {
        // A kernel before 6.16 (sequence-based drain) ran the send: a pipe is no socket.
        expect(await after).toBe('IoUringError');
        return;
      }
      expect(err.code).toBe('ECANCELED');
      expect(err.message).toMatch(/drain queue.*kept for the life of the process/);
      expect(await within(after, 1000, 'the read behind it')).toBe('IoUringError');
      expect(io.pending).toBe(0);
      expect(warnings.map((x) => x.message).join('\n')).toMatch(/sendZc, read: most likely held in its drain queue/);
      // The kernel may still hold the send (closing the ring fd fails it
      // later, in the kernel's own worker): its buffer is never let go.
      expect(await collected(ref)).toBe(false);
    }, [IORING_OP_SEND_ZC]);
  });

  describe('a multishot timeout that re-arms faster than a cancel can find it', () => {
    for (const [label, interval] of [['0', 0], ['1 µs', { sec: 0, nsec: 1000 }]] as const) {
      test(`timeoutMultishot(${label}): leaving the loop returns`, async () => {
        const io = open();
        let n = 0;
        const loop = (async () => {
          for await (const _ of io.timeoutMultishot(interval)) if (++n === 50) break;
        })();
        await within(loop, 10_000, 'the loop');
        expect(n).toBe(50);
        expect(io.pending).toBe(0);
        expect(await within(io.nop(), 5000, 'a nop after')).toBe(0);
        await within(io.close(), 5000, 'close()');
      }, [IORING_OP_TIMEOUT]);

      test(`timeoutMultishot(${label}): an abort ends the loop with AbortError`, async () => {
        const io = open();
        const ac = new AbortController();
        let n = 0;
        const loop = (async () => {
          for await (const _ of io.timeoutMultishot(interval, { signal: ac.signal })) n++;
        })();
        const timer = setTimeout(() => ac.abort(), 20);
        const err = await within(rejection(loop), 10_000, 'the aborted loop');
        clearTimeout(timer);
        expect(err.name).toBe('AbortError');
        expect(n).toBeGreaterThan(0);
        expect(io.pending).toBe(0);
        await within(io.close(), 5000, 'close()');
      }, [IORING_OP_TIMEOUT]);

      test(`timeoutMultishot(${label}): close() ends the loop and settles`, async () => {
        const io = open();
        const loop = (async () => {
          for await (const _ of io.timeoutMultishot(interval)) { /* every tick */ }
        })();
        // The loop's rejection is watched from the start: it settles while close() is still
        // draining, and a rejection nobody holds a handler for by then is an unhandled one.
        const ended = rejection(loop);
        const closed = new Promise<void>((resolve, reject) => setTimeout(() => io.close().then(resolve, reject), 20));
        await within(closed, 10_000, 'close()');
        const err = await within(ended, 5000, 'the loop');
        expect(err).toBeInstanceOf(IoUringError);
        expect(err.code).toBe('ECANCELED');
      }, [IORING_OP_TIMEOUT]);
    }
  });

  describe('IOSQE_CQE_SKIP_SUCCESS set by an encoder', () => {
    test('run() refuses it with a RangeError, and the entry never reaches the kernel', async () => {
      const io = open();
      const seen = spyCqes(io);
      const err = await within(rejection(io.run((sqe) => {
        prepNop(sqe);
        sqe.flags |= IOSQE_CQE_SKIP_SUCCESS;
      })), 5000, 'run()');
      expect(err).toBeInstanceOf(RangeError);
      expect(err.message).toMatch(/IOSQE_CQE_SKIP_SUCCESS/);
      expect(io.pending).toBe(0);
      expect(await io.nop()).toBe(0);
      // The nop's CQE alone (a doorbell waker's own two aside): nothing of the refused entry.
      expect(seen.filter((c) => c.ud < MSG_BASE).length).toBe(1);
      await within(io.close(), 5000, 'close()');
    });

    test('chain() refuses it, and no entry of the chain runs', async () => {
      const io = open();
      const [r, w] = newPipe();
      const byte = new Uint8Array([0x41]);
      const err = await within(rejection(io.chain([
        (sqe) => prepWrite(sqe, w, byte, 1, -1),
        (sqe) => {
          prepNop(sqe);
          sqe.flags |= IOSQE_CQE_SKIP_SUCCESS;
        },
      ])), 5000, 'chain()');
      expect(err).toBeInstanceOf(RangeError);
      expect(io.pending).toBe(0);
      expect(await io.nop()).toBe(0);
      // The write before it in the chain was never submitted: the pipe is empty.
      writeSync(w, 'B');
      expect(readNow(r)).toBe('B');
      await within(io.close(), 5000, 'close()');
    });
  });
});

// Two SQ and CQ slots are held back for the doorbell's entries: a ring of 1
// or 2 entries took every operation and started none (nop() never settled).
describe('a ring too small to start anything', () => {
  it.each([1, 2])('entries %i is refused at construction', (entries) => {
    expect(() => new AsyncRing({ entries })).toThrow(/an AsyncRing needs at least 3 SQ and CQ entries/);
  });
  it.each([3, 4])('entries %i runs operations', async (entries) => {
    const io = new AsyncRing({ entries });
    try {
      expect(await Promise.all([io.nop(), io.nop(), io.nop()])).toEqual([0, 0, 0]);
    } finally {
      await io.close();
    }
  });
});
