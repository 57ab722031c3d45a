/**
 * Tests for io_uring_setup in lib/ring (setup.ts, options.ts): where the ring's
 * memory lives and each setup option and flag,
 * for both places ring memory can live: a SharedArrayBuffer handed over with
 * IORING_SETUP_NO_MMAP ('shared') and the kernel's own pages mapped ('mmap').
 * A test that needs something the kernel refuses skips with the kernel's
 * answer in its title.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  IoUring, allocAligned, prepNop, prepRead, prepTimeout, IORING_SETUP_CQSIZE, IORING_SETUP_CLAMP, IORING_SETUP_SQE128,
  IORING_SETUP_CQE32, IORING_SETUP_SQPOLL, IORING_SETUP_SINGLE_ISSUER, IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_COOP_TASKRUN, IORING_SETUP_TASKRUN_FLAG, IORING_SETUP_IOPOLL, IORING_SETUP_NO_SQARRAY,
  IORING_SETUP_NO_MMAP, IORING_SQ_NEED_WAKEUP, IORING_SQ_TASKRUN, IORING_NOP_CQE32, ERRNO,
} from '../lib/index.ts';
import { eachMemory, itWith, queue, queueNops, reapAll, reapOne, ringUnavailable, runOne, scratchFiles } from './helpers.ts';

// errno values (asm-generic), as CQE results and IoUringError.errno.
const { EINVAL, ETIME, EOPNOTSUPP } = ERRNO;

// Files live on the project's own disk (O_DIRECT needs a real filesystem, not tmpfs).
const { dir: scratch, withFile } = scratchFiles('ring-test-');

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Polls `cond` every few ms for up to `ms`; whether it came true (a bound, not a timing assertion). */
function eventually(cond: () => boolean, ms = 5000): boolean {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) return false;
    sleep(2);
  }
  return true;
}

// Whether this filesystem takes O_DIRECT ('' when it does).
function oDirectUnavailable(): string {
  const file = path.join(scratch, 'odirect-probe');
  fs.writeFileSync(file, Buffer.alloc(4096));
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_DIRECT));
    return '';
  } catch (err) {
    return `O_DIRECT open: ${(err as NodeJS.ErrnoException).code}`;
  }
}

eachMemory((opts, memory) => {
  it(`is where the ring lives (memory '${memory}', NO_MMAP ${memory === 'shared' ? 'set' : 'clear'})`, () => {
    using ring = new IoUring(4, opts());
    expect(ring.memory).toBe(memory);
    expect((ring.flags & IORING_SETUP_NO_MMAP) !== 0).toBe(memory === 'shared');
  });

  // ------------------------------------------------------------ setup options

  describe('setup options', () => {
    itWith('cqEntries: the CQ is the request rounded up, with IORING_SETUP_CQSIZE', 8, opts({ cqEntries: 100 }), (ring) => {
      expect([ring.sqEntries, ring.cqEntries]).toEqual([8, 128]);
      expect(ring.flags & IORING_SETUP_CQSIZE).toBe(IORING_SETUP_CQSIZE);
      expect(runOne(ring, prepNop, 3).userData).toBe(3);
    });

    it('cqEntries below the SQ size, or entries above 32768 without CLAMP, are refused', () => {
      expect(() => new IoUring(8, opts({ cqEntries: 4 }))).toThrow();
      expect(() => new IoUring(100_000, opts())).toThrow(RangeError);
    });

    itWith('IORING_SETUP_CLAMP: 100000 entries clamp to 32768', 100_000, opts({ flags: IORING_SETUP_CLAMP }), (ring) => {
      expect(ring.sqEntries).toBe(32768);
      expect(ring.cqEntries).toBe(65536);
      expect(runOne(ring, prepNop, 1).res).toBe(0);
    });

    itWith('IORING_SETUP_CLAMP: cqEntries 100000 clamps to 65536', 8, opts({ flags: IORING_SETUP_CLAMP, cqEntries: 100_000 }), (ring) => {
      expect([ring.sqEntries, ring.cqEntries]).toEqual([8, 65536]);
      expect(runOne(ring, prepNop, 1).res).toBe(0);
    });

    itWith('IORING_SETUP_SQE128: 128-byte entries, and a NOP works', 4, opts({ flags: IORING_SETUP_SQE128 }), (ring) => {
      const a = ring.getSqe()!;
      const b = ring.getSqe()!;
      expect([a.size, b.w * 4 - a.w * 4]).toEqual([128, 128]);
      expect(a.cmd.length).toBe(80);
      prepNop(a);
      a.userData = 1;
      prepNop(b);
      b.userData = 2;
      expect(ring.submitAndWait(2)).toBe(2);
      expect(reapAll(ring)).toEqual([{ res: 0, flags: 0, userData: 1 }, { res: 0, flags: 0, userData: 2 }]);
    });

    itWith('IORING_SETUP_CQE32: 32-byte CQEs with big_cqe readable', 4, opts({ flags: IORING_SETUP_CQE32 }), (ring) => {
      queueNops(ring, [1]);
      ring.submit();
      const cqe = ring.waitCqe();
      expect([cqe.size, cqe.res, cqe.userData, cqe.bigCqe(0), cqe.bigCqe(1)]).toEqual([32, 0, 1, 0n, 0n]);
      expect(() => cqe.bigCqe(2)).toThrow(RangeError);
      ring.cqeSeen(cqe);
      // IORING_NOP_CQE32 (Linux 6.16) echoes off and addr into big_cqe.
      queue(ring, (s) => { prepNop(s); s.rwFlags = IORING_NOP_CQE32; s.off = 0x1234; s.addr = 0x5678; }, 2);
      ring.submit();
      const big = ring.waitCqe();
      if (big.res === -EINVAL) {
        expect(big.bigCqe(0)).toBe(0n); // a kernel before 6.16: no echo to check
      } else {
        expect([big.res, big.userData, big.bigCqe(0), big.bigCqe(1)]).toEqual([0, 2, 0x1234n, 0x5678n]);
      }
      ring.cqeSeen(big);
    });

    it('bigCqe on a 16-byte CQE throws RangeError', () => {
      using ring = new IoUring(2, opts());
      queueNops(ring, [1]);
      ring.submit();
      const cqe = ring.waitCqe();
      expect(cqe.size).toBe(16);
      expect(() => cqe.bigCqe(0)).toThrow(RangeError);
    });

    itWith('IORING_SETUP_SQPOLL: NOPs complete, and the asleep SQ thread is woken by submit', 4, opts({ flags: IORING_SETUP_SQPOLL, sqThreadIdle: 10 }), (ring) => {
      queueNops(ring, [1]);
      expect(ring.submit()).toBe(1);
      expect(reapOne(ring)).toEqual({ res: 0, flags: 0, userData: 1 });
      // Idle past sq_thread_idle (10 ms): the thread sleeps and says so.
      expect(eventually(() => (ring.sqFlagsWord() & IORING_SQ_NEED_WAKEUP) !== 0)).toBe(true);
      queueNops(ring, [2]);
      expect(ring.submit()).toBe(1);
      expect(reapOne(ring)).toEqual({ res: 0, flags: 0, userData: 2 }); // no wakeup: nothing within 5 s
    });

    itWith('IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN: a timeout\'s CQE appears only on a waiting call', 4,
      opts({ flags: IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN }), (ring) => {
        for (const via of ['getEvents', 'waitCqe'] as const) {
          queue(ring, (s) => prepTimeout(s, 1), 1);
          ring.submit();
          sleep(50); // the timer fires; its completion waits as task work
          expect(ring.peekCqe()).toBeNull();
          expect(ring.cqReady()).toBe(0);
          if (via === 'getEvents') {
            ring.getEvents();
            expect(ring.cqReady()).toBe(1);
          }
          const cqe = ring.waitCqe();
          expect([cqe.res, cqe.userData]).toEqual([-ETIME, 1]);
          ring.cqeSeen(cqe);
        }
      });

    itWith('IORING_SETUP_COOP_TASKRUN | TASKRUN_FLAG: timeouts and NOPs complete, and no task work is left flagged', 4,
      opts({ flags: IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG }), (ring) => {
        expect(ring.flags & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG)).toBe(IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG);
        queue(ring, (s) => prepTimeout(s, 1), 1);
        ring.submit();
        expect(reapOne(ring)).toEqual({ res: -ETIME, flags: 0, userData: 1 });
        expect(ring.sqFlagsWord() & IORING_SQ_TASKRUN).toBe(0);
        expect(runOne(ring, prepNop, 2)).toEqual({ res: 0, flags: 0, userData: 2 });
      });

    const noDirect = oDirectUnavailable();
    itWith(`IORING_SETUP_IOPOLL: a NOP completes; an O_DIRECT read completes or is refused with -EOPNOTSUPP / -EINVAL${noDirect ? ` (no O_DIRECT file: ${noDirect})` : ''}`,
      4, opts({ flags: IORING_SETUP_IOPOLL }), (ring) => {
        expect(runOne(ring, prepNop, 1)).toEqual({ res: 0, flags: 0, userData: 1 });
        if (noDirect) return;
        withFile((fd) => {
          const buf = allocAligned(4096);
          queue(ring, (s) => prepRead(s, fd, buf, 4096, 0), 2);
          ring.submit();
          const done = reapOne(ring);
          // A disk without poll queues (virtio-blk here) can't be polled:
          // the kernel answers -EOPNOTSUPP.
          if (done.res < 0) expect([-EOPNOTSUPP, -EINVAL]).toContain(done.res);
          else expect([done.res, buf[0], buf[4095]]).toEqual([4096, 0x5a, 0x5a]);
        }, Buffer.alloc(8192, 0x5a), fs.constants.O_RDONLY | fs.constants.O_DIRECT);
      });

    itWith('IORING_SETUP_NO_SQARRAY, asked for: set, and the SQ goes round in order', 4, opts({ flags: IORING_SETUP_NO_SQARRAY }), (ring) => {
      expect(ring.flags & IORING_SETUP_NO_SQARRAY).toBe(IORING_SETUP_NO_SQARRAY);
      const got: number[] = [];
      for (let round = 0; round < 3; round++) {
        queueNops(ring, [0, 1, 2, 3].map((i) => round * 4 + i));
        ring.submitAndWait(4);
        got.push(...reapAll(ring).map((d) => d.userData));
      }
      expect(got).toEqual(Array.from({ length: 12 }, (_, i) => i));
    });
  });
});

describe("memory 'auto'", () => {
  const why = ringUnavailable(4, { memory: 'shared' });
  it.skipIf(why !== '')(`is 'shared' where the kernel takes NO_MMAP, with nothing dropped${why ? ` (skipped: ${why})` : ''}`, () => {
    using ring = new IoUring(4, { memory: 'auto' });
    expect(ring.memory).toBe('shared');
    expect(ring.droppedFlags).toEqual([]);
    expect(ring.flags & (IORING_SETUP_NO_MMAP | IORING_SETUP_NO_SQARRAY)).toBe(IORING_SETUP_NO_MMAP | IORING_SETUP_NO_SQARRAY);
    using dflt = new IoUring(4);
    expect(dflt.memory).toBe('shared');
    expect(runOne(ring, prepNop, 1).res).toBe(0);
  });

  it('an unknown memory mode is a TypeError', () => {
    expect(() => new IoUring(4, { memory: 'heap' as 'auto' })).toThrow(TypeError);
  });
});
