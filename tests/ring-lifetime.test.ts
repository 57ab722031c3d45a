/**
 * Tests for how a ring ends (lib/ring/lifetime.ts): close(), `using`, and
 * every call on a closed ring,
 * for both places ring memory can live: a SharedArrayBuffer handed over with
 * IORING_SETUP_NO_MMAP ('shared') and the kernel's own pages mapped ('mmap').
 * A test that needs something the kernel refuses skips with the kernel's
 * answer in its title.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { IoUring, IoUringError, prepNop, prepRead, IORING_REGISTER_EVENTFD, IOSQE_IO_DRAIN, ERRNO } from '../lib/index.ts';
import * as ffi from '../ffi/index.ts';
import { eachMemory, expectIoUringError, forceGc, queue, queueNops, runOne } from './helpers.ts';

// errno values (asm-generic), as CQE results and IoUringError.errno.
const { EBADF } = ERRNO;

eachMemory((opts) => {
  // ------------------------------------------------------------------ close

  describe('close', () => {
    // In drain mode every new entry waits until each request allocated on
    // the ring is deferred too (Linux 6.16+): a read armed on a pipe that
    // never gets data held close()'s own cancel and drain NOP back, close()
    // gave up after its bound, and kept the read's buffer for good.
    it('drains past an IOSQE_IO_DRAIN entry waiting on a read that never completes, and lets the read\'s buffer go', async () => {
      const ring = new IoUring(8, opts());
      const p = ffi.pipe();
      if (typeof p === 'number') throw new Error(`pipe2: ${p}`);
      const ref = ((buf: Uint8Array) => {
        queue(ring, (s) => prepRead(s, p[0], buf, 16, -1), 1);
        return new WeakRef(buf);
      })(new Uint8Array(16));
      queue(ring, prepNop, 2, IOSQE_IO_DRAIN);
      expect(ring.submit()).toBe(2);
      ring.close(1000);
      // deref() keeps its target alive to the end of the job: collect only after a turn.
      let gone = false;
      for (let i = 0; i < 20 && !gone; i++) {
        await new Promise((r) => setTimeout(r, 10));
        forceGc();
        gone = ref.deref() === undefined;
      }
      ffi.close(p[0]);
      ffi.close(p[1]);
      expect(gone).toBe(true);
    });

    it('closes the fd; a second close does nothing', () => {
      const ring = new IoUring(4, opts());
      runOne(ring, prepNop);
      const link = `/proc/self/fd/${ring.fd}`;
      expect(fs.readlinkSync(link)).toBe('anon_inode:[io_uring]');
      expect(ring.isClosed).toBe(false);
      ring.close();
      expect(ring.isClosed).toBe(true);
      let now: string;
      try {
        now = fs.readlinkSync(link);
      } catch {
        now = 'closed';
      }
      expect(now).not.toBe('anon_inode:[io_uring]');
      expect(() => ring.close()).not.toThrow();
      expect(ring.isClosed).toBe(true);
    });

    it('using closes the ring at the end of the block', () => {
      let outer!: IoUring;
      {
        using r = new IoUring(4, opts());
        outer = r;
        expect(runOne(r, prepNop, 1).res).toBe(0);
        expect(r.isClosed).toBe(false);
      }
      expect(outer.isClosed).toBe(true);
      expectIoUringError(() => outer.submit(), 'EBADF', EBADF);
    });

    const closedRing = (): IoUring => {
      const r = new IoUring(4, opts());
      runOne(r, prepNop);
      queueNops(r, [1]);
      r.submit(); // one CQE left unreaped
      r.close();
      return r;
    };
    type Call = [string, (r: IoUring) => unknown];
    const throwing: Call[] = [
      ['getSqe', (r) => r.getSqe()],
      ['submit', (r) => r.submit()],
      ['submitAndWait', (r) => r.submitAndWait(1)],
      ['submitAndGetEvents', (r) => r.submitAndGetEvents()],
      ['submitAndWaitTimeout', (r) => r.submitAndWaitTimeout(1, 1)],
      ['submitAndWaitMinTimeout', (r) => r.submitAndWaitMinTimeout(1, 1, 1)],
      ['sqringWait', (r) => r.sqringWait()],
      ['peekCqe', (r) => r.peekCqe()],
      ['waitCqe', (r) => r.waitCqe()],
      ['waitCqeNr', (r) => r.waitCqeNr(1)],
      ['waitCqes', (r) => r.waitCqes(1)],
      ['waitCqes with a timeout', (r) => r.waitCqes(1, 1)],
      ['waitCqeTimeout', (r) => r.waitCqeTimeout(1)],
      ['peekBatchCqe', (r) => r.peekBatchCqe(new Array(4))],
      ['forEachCqe', (r) => r.forEachCqe(() => {})],
      ['getEvents', (r) => r.getEvents()],
      ['cqEventfdToggle', (r) => r.cqEventfdToggle(false)],
      ['registerRaw', (r) => r.registerRaw(IORING_REGISTER_EVENTFD, new Int32Array([0]), 1)],
      ['registerRingFd', (r) => r.registerRingFd()],
      ['unregisterRingFd', (r) => r.unregisterRingFd()],
      ['enableRings', (r) => r.enableRings()],
      ['share', (r) => r.share()],
      // Index and flag readers too: on a closed ring they would answer from
      // stale or replacement memory (an mmap ring's sqSpaceLeft went negative).
      ['sqReady', (r) => r.sqReady()],
      ['sqSpaceLeft', (r) => r.sqSpaceLeft()],
      ['cqReady', (r) => r.cqReady()],
      ['cqeAt', (r) => r.cqeAt(0)],
      ['cqAdvance', (r) => r.cqAdvance(1)],
      ['cqeSeen', (r) => r.cqeSeen(null!)],
      ['cqHasOverflow', (r) => r.cqHasOverflow()],
      ['cqOverflowCount', (r) => r.cqOverflowCount()],
      ['sqDroppedCount', (r) => r.sqDroppedCount()],
      ['sqFlagsWord', (r) => r.sqFlagsWord()],
      ['cqEventfdEnabled', (r) => r.cqEventfdEnabled()],
    ];
    it.each(throwing)('after close, %s throws IoUringError EBADF', (_, call) => {
      expectIoUringError(() => call(closedRing()), 'EBADF', EBADF);
    });
  });
});
