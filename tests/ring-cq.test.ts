/**
 * Tests for the completion side of lib/ring (cq.ts): ring.cqes, submitting
 * and waiting with and without a timeout, peeking and walking the CQ, the
 * eventfd toggle and CQ overflow,
 * for both places ring memory can live: a SharedArrayBuffer handed over with
 * IORING_SETUP_NO_MMAP ('shared') and the kernel's own pages mapped ('mmap').
 * A test that needs something the kernel refuses skips with the kernel's
 * answer in its title.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import {
  IoUring, IoUringError, prepNop, prepRead, prepTimeout, IORING_SETUP_CQE32, IORING_FEAT_MIN_TIMEOUT,
  IORING_FEAT_NODROP, IORING_REGISTER_EVENTFD, ERRNO,
} from '../lib/index.ts';
import { eventfd } from '../ffi/index.ts';
import { byUserData, eachMemory, itWith, queue, queueNops, reapAll, reapOne, runOne, tryRing } from './helpers.ts';

// errno values (asm-generic), as CQE results and IoUringError.errno.
const { EBADF, ETIME } = ERRNO;

const EFD_NONBLOCK = 0x800;

function kernelFeatures(): number {
  const r = tryRing(2);
  if (typeof r === 'string') return 0;
  const f = r.features;
  r.close();
  return f;
}
const features = kernelFeatures();

eachMemory((opts) => {
  describe('ring.cqes and cqeOffset', () => {
    /** Each ready CQE read from the words, as [userData, res, flags]. */
    const fromWords = (ring: IoUring) => Array.from({ length: ring.cqReady() }, (_, i) => {
      const c = ring.cqes;
      const w = ring.cqeOffset(i);
      return [c[w]! + c[w + 1]! * 2 ** 32, c[w + 2]! | 0, c[w + 3]!];
    });
    const fromObjects = (ring: IoUring) => Array.from({ length: ring.cqReady() }, (_, i) => {
      const cqe = ring.cqeAt(i)!;
      return [cqe.userData, cqe.res, cqe.flags];
    });

    it('read the same user_data, res and flags as the Cqe objects, across the CQ end', () => {
      using ring = new IoUring(2, opts({ cqEntries: 4 }));
      // Three rounds of two NOP-or-failed-read pairs walk the head past the CQ's end.
      for (let round = 0; round < 3; round++) {
        queue(ring, prepNop, 2 ** 40 + round); // user_data above 32 bits
        queue(ring, (s) => prepRead(s, 1 << 30, Buffer.alloc(1), 1, 0), round); // EBADF
        ring.submitAndWait(2);
        const words = fromWords(ring);
        expect(words).toEqual([[2 ** 40 + round, 0, 0], [round, -EBADF, 0]]);
        expect(words).toEqual(fromObjects(ring));
        ring.cqAdvance(2);
      }
      expect(ring.cqes.length).toBe(4 * 4);
    });

    itWith('CQE32 CQEs are 8 words apart', 2, opts({ flags: IORING_SETUP_CQE32, cqEntries: 4 }), (ring) => {
      queueNops(ring, [5, 6]);
      ring.submitAndWait(2);
      expect([0, 1].map((i) => ring.cqeOffset(i))).toEqual([0, 8]);
      expect(fromWords(ring)).toEqual([[5, 0, 0], [6, 0, 0]]);
      expect(ring.cqes.length).toBe(4 * 8);
    });
  });

  // ----------------------------------------------------------- submit and wait

  describe('submit and wait', () => {
    const timeouts = (ring: IoUring, uds: number[], ms = 1) => uds.forEach((ud) => queue(ring, (s) => prepTimeout(s, ms), ud));
    const etimes = (uds: number[]) => uds.map((userData) => ({ res: -ETIME, flags: 0, userData }));

    it('submit returns how many entries the kernel took', () => {
      using ring = new IoUring(8, opts());
      expect(ring.submit()).toBe(0);
      queueNops(ring, [1, 2, 3]);
      expect(ring.submit()).toBe(3);
      queueNops(ring, [4]);
      expect(ring.submit()).toBe(1);
      expect(reapAll(ring).map((d) => d.userData)).toEqual([1, 2, 3, 4]);
    });

    it('submitAndWait(n) returns the count and leaves n CQEs ready', () => {
      using ring = new IoUring(8, opts());
      timeouts(ring, [1, 2, 3]);
      expect(ring.submitAndWait(3)).toBe(3);
      expect(ring.cqReady()).toBe(3);
      expect(reapAll(ring).sort(byUserData)).toEqual(etimes([1, 2, 3]));
    });

    it('waitCqeNr(n) waits for n CQEs and returns the first', () => {
      using ring = new IoUring(8, opts());
      timeouts(ring, [1, 2, 3]);
      ring.submit();
      const cqe = ring.waitCqeNr(3);
      expect(cqe.res).toBe(-ETIME);
      expect(ring.cqReady()).toBe(3);
      expect(ring.peekCqe()).toBe(cqe);
      expect(reapAll(ring).sort(byUserData)).toEqual(etimes([1, 2, 3]));
    });

    it('waitCqes(n) without a timeout waits for n CQEs', () => {
      using ring = new IoUring(8, opts());
      timeouts(ring, [1, 2]);
      ring.submit();
      expect(ring.waitCqes(2)).not.toBeNull();
      expect(ring.cqReady()).toBe(2);
      expect(reapAll(ring).sort(byUserData)).toEqual(etimes([1, 2]));
    });

    it('waitCqes(n, timeout) waits for n CQEs, and on timeout hands back what there is', () => {
      using ring = new IoUring(8, opts());
      timeouts(ring, [1, 2]);
      ring.submit();
      expect(ring.waitCqes(2, 5000)).not.toBeNull();
      expect(ring.cqReady()).toBe(2);
      expect(reapAll(ring).sort(byUserData)).toEqual(etimes([1, 2]));
      // Only one of the two ever comes: the timeout passes, the one is returned.
      queueNops(ring, [3]);
      ring.submit();
      const cqe = ring.waitCqes(2, { sec: 0, nsec: 20_000_000 });
      expect(cqe?.userData).toBe(3);
      expect(ring.cqReady()).toBe(1);
      expect(reapAll(ring)).toEqual([{ res: 0, flags: 0, userData: 3 }]);
    });

    it.each([10, { sec: 0, nsec: 10_000_000 }])('waitCqeTimeout(%o) on an empty ring gives null, and the ring still works', (timeout) => {
      using ring = new IoUring(4, opts());
      expect(ring.waitCqeTimeout(timeout)).toBeNull();
      expect(ring.waitCqes(1, timeout)).toBeNull();
      expect(runOne(ring, prepNop, 5)).toEqual({ res: 0, flags: 0, userData: 5 });
    });

    it('waitCqeTimeout returns a CQE that arrives before the timeout', () => {
      using ring = new IoUring(4, opts());
      timeouts(ring, [1]);
      ring.submit();
      expect(reapOne(ring)).toEqual(etimes([1])[0]);
    });

    it('submitAndWaitTimeout submits and returns the first CQE, or null on timeout', () => {
      using ring = new IoUring(4, opts());
      queueNops(ring, [1]);
      const cqe = ring.submitAndWaitTimeout(1, 5000);
      expect(cqe?.toJSON()).toEqual({ userData: 1, res: 0, flags: 0 });
      ring.cqeSeen(cqe!);
      // A timeout that won't fire for a minute: submitted, then the wait times out.
      queue(ring, (s) => prepTimeout(s, 60_000), 2);
      expect(ring.submitAndWaitTimeout(1, { sec: 0, nsec: 20_000_000 })).toBeNull();
      expect(ring.sqReady()).toBe(0);
      expect(() => ring.submitAndWaitTimeout(1, -1)).toThrow(RangeError);
      expect(() => ring.submitAndWaitTimeout(1, { sec: 0, nsec: 1e9 })).toThrow(RangeError);
      // Past 2^53 seconds the split into two u32 words would wrap.
      expect(() => ring.submitAndWaitTimeout(1, 1e300)).toThrow(/2\^53 seconds/);
    });

    const minTimeout = (features & IORING_FEAT_MIN_TIMEOUT) ? '' : 'the kernel lacks IORING_FEAT_MIN_TIMEOUT (Linux 6.12)';
    it.skipIf(minTimeout !== '')(`submitAndWaitMinTimeout submits and waits${minTimeout ? ` (skipped: ${minTimeout})` : ''}`, () => {
      using ring = new IoUring(4, opts());
      queueNops(ring, [1, 2]);
      const cqe = ring.submitAndWaitMinTimeout(2, 5000, 1000);
      expect(cqe?.userData).toBe(1);
      expect(ring.cqReady()).toBe(2);
      reapAll(ring);
      // One of two ever comes: the wait ends at its timeout and hands back the one.
      timeouts(ring, [3]);
      expect(ring.submitAndWaitMinTimeout(2, 500, 1000)?.toJSON()).toEqual({ userData: 3, res: -ETIME, flags: 0 });
      expect(reapAll(ring)).toEqual(etimes([3]));
      expect(() => ring.submitAndWaitMinTimeout(1, 10, -1)).toThrow(RangeError);
    });

    it('submitAndGetEvents submits and returns the count; getEvents on an idle ring returns 0', () => {
      using ring = new IoUring(4, opts());
      queueNops(ring, [1, 2]);
      expect(ring.submitAndGetEvents()).toBe(2);
      expect(ring.cqReady()).toBe(2);
      expect(ring.getEvents()).toBe(0);
      expect(reapAll(ring).map((d) => d.userData)).toEqual([1, 2]);
    });
  });

  // ------------------------------------------------------------------ CQ side

  describe('CQ', () => {
    it('peekCqe is null on an empty ring and after everything is reaped', () => {
      using ring = new IoUring(4, opts());
      expect(ring.peekCqe()).toBeNull();
      queueNops(ring, [1]);
      ring.submit();
      expect(ring.peekCqe()?.userData).toBe(1);
      expect(ring.peekCqe()?.userData).toBe(1); // peeking does not consume
      ring.cqeSeen(ring.peekCqe()!);
      expect(ring.peekCqe()).toBeNull();
      expect(ring.cqReady()).toBe(0);
    });

    it('peekBatchCqe fills an array head first without consuming', () => {
      using ring = new IoUring(4, opts());
      const out = new Array(8);
      expect(ring.peekBatchCqe(out)).toBe(0);
      queueNops(ring, [1, 2, 3]);
      ring.submit();
      expect(ring.peekBatchCqe(out)).toBe(3);
      expect(out.slice(0, 3).map((c) => c.userData)).toEqual([1, 2, 3]);
      expect(ring.cqReady()).toBe(3);
      const two = new Array(8);
      expect(ring.peekBatchCqe(two, 2)).toBe(2);
      expect(two.slice(0, 2).map((c) => c.userData)).toEqual([1, 2]);
      expect(two[2]).toBeUndefined();
      expect(reapAll(ring).map((d) => d.userData)).toEqual([1, 2, 3]);
    });

    it('forEachCqe visits the ready CQEs in order without consuming; cqAdvance(n) consumes n', () => {
      using ring = new IoUring(4, opts());
      queueNops(ring, [10, 11, 12, 13]);
      ring.submit();
      const seen: [number, number][] = [];
      expect(ring.forEachCqe((cqe, i) => seen.push([i, cqe.userData]))).toBe(4);
      expect(seen).toEqual([[0, 10], [1, 11], [2, 12], [3, 13]]);
      expect(ring.cqReady()).toBe(4);
      ring.cqAdvance(3);
      expect(ring.cqReady()).toBe(1);
      expect(ring.peekCqe()?.userData).toBe(13);
      ring.cqAdvance(0);
      expect(ring.cqReady()).toBe(1);
      ring.cqAdvance(1);
      expect(ring.forEachCqe(() => { throw new Error('nothing to visit'); })).toBe(0);
      queueNops(ring, [14, 15]);
      ring.submit();
      seen.length = 0;
      expect(ring.forEachCqe((cqe, i) => seen.push([i, cqe.userData]))).toBe(2);
      expect(seen).toEqual([[0, 14], [1, 15]]);
      ring.cqAdvance(2);
      expect(ring.cqReady()).toBe(0);
    });

    it('cqeAt(i) is the i-th ready CQE from the head, null past the tail; cqeSeen consumes the head', () => {
      using ring = new IoUring(4, opts());
      expect(ring.cqeAt(0)).toBeNull();
      queueNops(ring, [1, 2, 3]);
      ring.submit();
      expect([0, 1, 2].map((i) => ring.cqeAt(i)?.userData)).toEqual([1, 2, 3]);
      expect(ring.cqeAt(3)).toBeNull();
      ring.cqeSeen(ring.cqeAt(0)!);
      expect(ring.cqReady()).toBe(2);
      expect(ring.cqeAt(0)?.userData).toBe(2);
      expect(ring.cqeAt(2)).toBeNull();
    });

    it('the CQ wraps: 5 rounds of a 4-entry SQ and 8-entry CQ keep their order', () => {
      using ring = new IoUring(4, opts());
      expect(ring.cqEntries).toBe(8);
      const got: number[] = [];
      for (let round = 0; round < 5; round++) {
        queueNops(ring, [0, 1, 2, 3].map((i) => round * 4 + i));
        ring.submitAndWait(4);
        got.push(...reapAll(ring).map((d) => d.userData));
      }
      expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i));
    });

    it('cqEventfdToggle: a registered eventfd is signalled only while enabled', () => {
      const efd = eventfd(0, EFD_NONBLOCK);
      expect(efd).toBeGreaterThanOrEqual(0);
      const count = Buffer.alloc(8);
      const readCount = (): bigint | 'EAGAIN' => {
        try {
          fs.readSync(efd, count, 0, 8, null);
          return count.readBigUInt64LE();
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return 'EAGAIN';
          throw err;
        }
      };
      try {
        using ring = new IoUring(4, opts());
        ring.registerRaw(IORING_REGISTER_EVENTFD, new Int32Array([efd]), 1);
        expect(ring.cqEventfdEnabled()).toBe(true);
        runOne(ring, prepNop, 1);
        expect(readCount()).toBe(1n);
        expect(readCount()).toBe('EAGAIN');
        ring.cqEventfdToggle(false);
        expect(ring.cqEventfdEnabled()).toBe(false);
        runOne(ring, prepNop, 2);
        expect(readCount()).toBe('EAGAIN');
        ring.cqEventfdToggle(false); // already off: nothing changes
        expect(ring.cqEventfdEnabled()).toBe(false);
        ring.cqEventfdToggle(true);
        expect(ring.cqEventfdEnabled()).toBe(true);
        runOne(ring, prepNop, 3);
        expect(readCount()).toBe(1n);
      } finally {
        fs.closeSync(efd);
      }
    });
  });

  // -------------------------------------------------------------- CQ overflow

  // RELIABILITY 10.
  it('CQ overflow: 10 000 NOPs into a 16-entry CQ, unreaped, are each delivered exactly once', () => {
    using ring = new IoUring(4, opts({ cqEntries: 16 }));
    expect([ring.sqEntries, ring.cqEntries]).toEqual([4, 16]);
    const N = 10_000;
    const seen = new Uint16Array(N);
    let got = 0;
    const reap = (max = Infinity) => {
      for (let cqe = ring.peekCqe(); cqe !== null && max-- > 0; cqe = ring.peekCqe()) {
        expect(cqe.res).toBe(0);
        seen[cqe.userData]!++;
        got++;
        ring.cqeSeen(cqe);
      }
    };
    let next = 0;
    let overflowed = false;
    while (next < N || ring.sqReady() > 0) {
      for (let sqe = next < N ? ring.getSqe() : null; sqe !== null; sqe = next < N ? ring.getSqe() : null) {
        prepNop(sqe);
        sqe.userData = next++;
      }
      try {
        ring.submit();
      } catch (err) {
        // The kernel may refuse new work while its overflow backlog is full.
        if (!(err instanceof IoUringError && err.code === 'EBUSY')) throw err;
        reap(4);
      }
      overflowed ||= ring.cqHasOverflow();
    }
    expect(overflowed).toBe(true);
    // peekCqe alone drains it: on an empty CQ with IORING_SQ_CQ_OVERFLOW set
    // it enters the kernel to flush the backlog in.
    reap();
    expect(got).toBe(N);
    expect(seen.every((n) => n === 1)).toBe(true);
    expect(ring.cqHasOverflow()).toBe(false);
    if (features & IORING_FEAT_NODROP) expect(ring.cqOverflowCount()).toBe(0);
  });
});
