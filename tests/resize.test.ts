// IORING_REGISTER_RESIZE_RINGS and registered wait arguments
// (IORING_REGISTER_MEM_REGION + IORING_ENTER_EXT_ARG_REG): the two
// registrations that change how the ring itself is laid out or waited on.

import { describe, expect, it } from 'vitest';
import {
  IoUring, IoUringError, prepNop, prepTimeout,
  IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_R_DISABLED, IORING_SETUP_SINGLE_ISSUER, IORING_REGISTER_RESIZE_RINGS,
} from '../lib/index.ts';
import { queue, reapAll, ringUnavailable } from './helpers.ts';

const DEFER = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;

// Resizing is Linux 6.13: find out once whether this kernel does it.
function resizeMissing(): string {
  const why = ringUnavailable(4, { flags: DEFER });
  if (why) return why;
  const r = new IoUring(4, { flags: DEFER });
  try {
    r.resizeRings(8);
    return '';
  } catch (err) {
    return `IORING_REGISTER_RESIZE_RINGS (${IORING_REGISTER_RESIZE_RINGS}, Linux 6.13): ${(err as Error).message}`;
  } finally {
    r.close();
  }
}
const noResize = resizeMissing();

describe.each(['shared', 'mmap'] as const)('resizeRings, %s memory', (memory) => {
  it.skipIf(noResize !== '')(`keeps what is in flight, unreaped and merely prepared${noResize ? ` (skipped: ${noResize})` : ''}`, () => {
    using ring = new IoUring(8, { memory, flags: DEFER });
    queue(ring, (s) => prepTimeout(s, 20), 100); // in flight across the resize
    for (let i = 0; i < 3; i++) queue(ring, prepNop, i);
    ring.submitAndWait(3); // three CQEs left unreaped
    queue(ring, prepNop, 7); // prepared, not yet submitted
    ring.resizeRings(64, { cqEntries: 256 });
    expect([ring.sqEntries, ring.cqEntries, ring.cqReady()]).toEqual([64, 256, 3]);
    ring.submit();
    const seen: number[] = [];
    while (seen.length < 5) {
      const cqe = ring.waitCqe();
      seen.push(cqe.userData);
      ring.cqeSeen(cqe);
    }
    expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 7, 100]);
    // And the new rings go round: more entries than the old SQ held.
    for (let i = 0; i < 40; i++) queue(ring, prepNop, 1000 + i);
    ring.submitAndWait(40);
    expect(reapAll(ring).map((d) => d.userData)).toEqual(Array.from({ length: 40 }, (_, i) => 1000 + i));
  });

  it.skipIf(noResize !== '')(`ring.sqes and ring.cqes are the new rings' after a resize${noResize ? ` (skipped: ${noResize})` : ''}`, () => {
    using ring = new IoUring(4, { memory, flags: DEFER, cqEntries: 8 });
    const [oldSqes, oldCqes] = [ring.sqes, ring.cqes];
    ring.resizeRings(32, { cqEntries: 64 });
    expect([ring.sqes.length, ring.cqes.length]).toEqual([32 * 16, 64 * 4]);
    expect([ring.sqes === oldSqes, ring.cqes === oldCqes]).toEqual([false, false]);
    // 20 NOPs written as words: more than the old SQ held.
    const first = ring.getSqes(20);
    for (let i = 0; i < 20; i++) {
      const w = ring.sqeOffset(first + i);
      ring.sqes.fill(0, w, w + 16);
      ring.sqes[w + 1] = -1; // fd
      ring.sqes[w + 8] = 500 + i; // user_data
    }
    ring.submitAndWait(20);
    const uds = Array.from({ length: ring.cqReady() }, (_, i) => ring.cqes[ring.cqeOffset(i)]);
    expect(uds).toEqual(Array.from({ length: 20 }, (_, i) => 500 + i));
    ring.cqAdvance(20);
  });

  it.skipIf(noResize !== '')(`can shrink, and refuses a CQ smaller than the SQ${noResize ? ` (skipped: ${noResize})` : ''}`, () => {
    using ring = new IoUring(64, { memory, flags: DEFER });
    ring.resizeRings(4);
    expect([ring.sqEntries, ring.cqEntries]).toEqual([4, 8]);
    expect(() => ring.resizeRings(16, { cqEntries: 8 })).toThrow(RangeError);
    queue(ring, prepNop, 1);
    ring.submitAndWait(1);
    expect(reapAll(ring)).toEqual([{ res: 0, flags: 0, userData: 1 }]);
  });
});

describe('resizeRings refusals', () => {
  it('a ring without DEFER_TASKRUN: IoUringError EINVAL, and the ring goes on working', () => {
    using ring = new IoUring(8);
    expect(() => ring.resizeRings(16)).toThrow(expect.objectContaining({ name: 'IoUringError', code: 'EINVAL', syscall: 'io_uring_register' }));
    queue(ring, prepNop, 1);
    ring.submitAndWait(1);
    expect(reapAll(ring)).toEqual([{ res: 0, flags: 0, userData: 1 }]);
    expect(ring.sqEntries).toBe(8);
  });
});

describe('registered wait arguments', () => {
  const flags = IORING_SETUP_R_DISABLED | DEFER;
  const why = ringUnavailable(4, { flags });

  it.skipIf(why !== '')('a slot with a timeout: null when it passes, the CQE when one comes', () => {
    using ring = new IoUring(8, { flags });
    ring.registerWaitRegion(4);
    ring.enableRings();
    ring.setRegWait(2, 5);
    expect(ring.submitAndWaitReg(1, 2)).toBeNull();
    queue(ring, prepNop, 9);
    const cqe = ring.submitAndWaitReg(1, 2);
    expect([cqe?.userData, cqe?.res]).toEqual([9, 0]);
    ring.cqeSeen(cqe!);
  });

  it.skipIf(why !== '')('a slot without a timeout waits for the completion', () => {
    using ring = new IoUring(8, { flags });
    ring.registerWaitRegion(1);
    ring.enableRings();
    ring.setRegWait(0);
    queue(ring, (s) => prepTimeout(s, 5), 3);
    const cqe = ring.submitAndWaitReg(1, 0);
    expect([cqe?.userData, cqe?.res]).toEqual([3, -62]);
  });

  it('the kernel takes a region only while the ring is disabled; slots are checked', () => {
    using ring = new IoUring(8);
    expect(() => ring.registerWaitRegion(2)).toThrow(IoUringError);
    expect(() => ring.setRegWait(0, 1)).toThrow(TypeError);
    expect(() => ring.submitAndWaitReg(1, 0)).toThrow(TypeError);
    using off = new IoUring(8, { flags: IORING_SETUP_R_DISABLED });
    off.registerWaitRegion(2);
    expect(() => off.registerWaitRegion(2)).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    expect(() => off.setRegWait(2, 1)).toThrow(RangeError);
    expect(() => off.registerWaitRegion(0)).toThrow(RangeError);
  });
});
