/**
 * Tests for lib/ring/register.ts, io_uring_register on the ring itself:
 * enabling an IORING_SETUP_R_DISABLED ring, and registering the ring fd,
 * for both places ring memory can live: a SharedArrayBuffer handed over with
 * IORING_SETUP_NO_MMAP ('shared') and the kernel's own pages mapped ('mmap').
 * A test that needs something the kernel refuses skips with the kernel's
 * answer in its title.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import {
  IoUring, IoUringError, prepNop, IORING_SETUP_R_DISABLED, IORING_REGISTER_EVENTFD, IORING_UNREGISTER_EVENTFD, ERRNO,
} from '../lib/index.ts';
import { eventfd } from '../ffi/index.ts';
import { eachMemory, expectIoUringError, itWith, queueNops, reapOne, runOne } from './helpers.ts';

// errno values (asm-generic), as CQE results and IoUringError.errno.
const { EINVAL, EBADFD } = ERRNO;

const EFD_NONBLOCK = 0x800;

eachMemory((opts) => {
  describe('enableRings and the registered ring fd', () => {
    itWith('IORING_SETUP_R_DISABLED: submit throws EBADFD until enableRings()', 4, opts({ flags: IORING_SETUP_R_DISABLED }), (ring) => {
      queueNops(ring, [1]);
      let caught: unknown;
      try {
        ring.submit();
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(IoUringError);
      expect((caught as IoUringError).errno).toBe(-EBADFD);
      ring.enableRings();
      expect(ring.submit()).toBe(1);
      expect(reapOne(ring)).toEqual({ res: 0, flags: 0, userData: 1 });
      expect(() => ring.enableRings()).toThrow(expect.objectContaining({ errno: -EBADFD })); // already enabled
    });

    // util.getSystemErrorName calls 77 "Unknown system error -77": the
    // library names errnos from its own Linux table, and says the usual cause.
    itWith('IORING_SETUP_R_DISABLED: the error\'s code is EBADFD', 4, opts({ flags: IORING_SETUP_R_DISABLED }), (ring) => {
      queueNops(ring, [1]);
      expect(() => ring.submit()).toThrow(expect.objectContaining({ code: 'EBADFD', errno: -EBADFD, message: expect.stringMatching(/enableRings/) }));
    });

    it('a new ring registers its fd by default, unless asked not to', () => {
      using dflt = new IoUring(4, opts());
      expect(dflt.registeredRingIndex).toBeGreaterThanOrEqual(0);
      expect(runOne(dflt, prepNop, 1).res).toBe(0);
      using plain = new IoUring(4, opts({ registerRingFd: false }));
      expect(plain.registeredRingIndex).toBe(-1);
      expect(runOne(plain, prepNop, 1).res).toBe(0);
    });

    it('registerRingFd: NOPs still work; a second registration throws; unregisterRingFd works once', () => {
      using ring = new IoUring(4, opts({ registerRingFd: false }));
      expect(ring.registerRingFd()).toBeGreaterThanOrEqual(0);
      expect(runOne(ring, prepNop, 1)).toEqual({ res: 0, flags: 0, userData: 1 });
      expect(ring.waitCqeTimeout(1)).toBeNull(); // EXT_ARG enter through the registered index
      expectIoUringError(() => ring.registerRingFd(), 'EBUSY');
      ring.unregisterRingFd();
      expect(runOne(ring, prepNop, 2)).toEqual({ res: 0, flags: 0, userData: 2 });
      expectIoUringError(() => ring.unregisterRingFd(), 'EINVAL');
      expect(ring.registerRingFd()).toBeGreaterThanOrEqual(0); // and again
      expect(runOne(ring, prepNop, 3).userData).toBe(3);
      // io_uring_register goes through the registered index too (IORING_FEAT_REG_REG_RING).
      const efd = eventfd(0, EFD_NONBLOCK);
      try {
        expect(ring.registerRaw(IORING_REGISTER_EVENTFD, new Int32Array([efd]), 1)).toBe(0);
        expectIoUringError(() => ring.registerRaw(IORING_REGISTER_EVENTFD, new Int32Array([efd]), 1), 'EBUSY');
        expect(ring.registerRaw(IORING_UNREGISTER_EVENTFD, null, 0)).toBe(0);
      } finally {
        fs.closeSync(efd);
      }
    });
  });
});
