/**
 * Tests for the submission side of lib/ring (sq.ts): getSqe, getSqes and the
 * word path through ring.sqes, what an entry keeps until its CQE,
 * for both places ring memory can live: a SharedArrayBuffer handed over with
 * IORING_SETUP_NO_MMAP ('shared') and the kernel's own pages mapped ('mmap').
 * A test that needs something the kernel refuses skips with the kernel's
 * answer in its title.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import {
  IoUring, layout, bufferAddress, prepNop, prepRead, prepTimeout, IORING_OP_NOP, IORING_OP_READ, IORING_OP_TIMEOUT,
  IORING_SETUP_SQE128, IORING_TIMEOUT_ABS, IOSQE_IO_DRAIN, ERRNO,
} from '../lib/index.ts';
import { addressOf, view } from '../ffi/index.ts';
import { eachMemory, itWith, queue, queueNops, reapAll, reapOne, runOne, scratchFiles } from './helpers.ts';

// errno values (asm-generic), as CQE results and IoUringError.errno.
const { ETIME } = ERRNO;

// Files live on the project's own disk (O_DIRECT needs a real filesystem, not tmpfs).
const { withFile } = scratchFiles('ring-test-');

eachMemory((opts) => {
  // ------------------------------------------------------------------ SQ side

  describe('SQ', () => {
    it('getSqe hands out sqEntries entries then null; sqReady / sqSpaceLeft follow; room again after submit and reap', () => {
      using ring = new IoUring(4, opts());
      expect(ring.sqEntries).toBe(4);
      const taken = new Set<number>();
      for (let i = 0; i < 4; i++) {
        expect([ring.sqReady(), ring.sqSpaceLeft()]).toEqual([i, 4 - i]);
        taken.add(queue(ring, prepNop, i).index);
      }
      expect(taken.size).toBe(4);
      expect([ring.sqReady(), ring.sqSpaceLeft()]).toEqual([4, 0]);
      expect(ring.getSqe()).toBeNull();
      expect(ring.getSqe()).toBeNull();
      expect(ring.submit()).toBe(4);
      expect([ring.sqReady(), ring.sqSpaceLeft()]).toEqual([0, 4]);
      expect(reapAll(ring).map((d) => d.userData)).toEqual([0, 1, 2, 3]);
      // Round the ring once more: the same slots, handed out again.
      queueNops(ring, [4, 5, 6, 7]);
      expect(ring.getSqe()).toBeNull();
      expect(ring.submitAndWait(4)).toBe(4);
      expect(reapAll(ring).map((d) => d.userData)).toEqual([4, 5, 6, 7]);
    });

    it('an entry taken and never prepared is handed back at submit, not sent', () => {
      using ring = new IoUring(4, opts());
      const sqe = ring.getSqe()!;
      sqe.userData = 42;
      expect(ring.submit()).toBe(0);
      expect(ring.sqReady()).toBe(0);
      expect(ring.cqReady()).toBe(0);
      // The slot is free again: four more can be taken.
      for (let i = 0; i < 4; i++) expect(ring.getSqe()).not.toBeNull();
    });

    it('an unprepared entry before a prepared one is left out, the later entries moving down', () => {
      using ring = new IoUring(4, opts());
      const refused = ring.getSqe()!;
      expect(() => prepRead(refused, 0, Buffer.alloc(4), 8)).toThrow(RangeError);
      refused.userData = 7;
      const buf = Buffer.alloc(4);
      const zero = fs.openSync('/dev/zero', 'r');
      const read = ring.getSqe()!;
      prepRead(read, zero, buf, 4, 0);
      read.userData = 9;
      queueNops(ring, [8]);
      expect(ring.submitAndWait(2)).toBe(2);
      expect(reapAll(ring)).toEqual([{ userData: 9, res: 4, flags: 0 }, { userData: 8, res: 0, flags: 0 }]);
      fs.closeSync(zero);
      expect(ring['keeps'].inFlight(7)).toBe(0);
      // Nothing that skips its CQE reached the kernel, so a drain still works
      // (once it has seen IOSQE_CQE_SKIP_SUCCESS, it refuses drains: EOPNOTSUPP).
      expect(runOne(ring, (s) => { prepNop(s); s.flags = IOSQE_IO_DRAIN; }, 10)).toEqual({ res: 0, flags: 0, userData: 10 });
      // The slots given back are taken again (the first entry after a drain
      // may complete after later ones: the kernel's drain bookkeeping).
      queueNops(ring, [11, 12, 13, 14]);
      expect(ring.submitAndWait(4)).toBe(4);
      expect(reapAll(ring).map((d) => d.userData).sort()).toEqual([11, 12, 13, 14]);
    });

    // A reused slot keeps its old rw_flags unless getSqe clears them: an
    // encoder that refuses in a reused slot must not send the old entry.
    it('an entry whose encoder threw in a reused slot is not sent', () => {
      using ring = new IoUring(1, opts());
      expect(runOne(ring, (s) => prepTimeout(s, { sec: 0, nsec: 0 }, 0, IORING_TIMEOUT_ABS)).res).toBe(-ETIME);
      const sqe = ring.getSqe()!;
      expect(() => prepRead(sqe, 0, Buffer.alloc(4), 8)).toThrow(RangeError);
      sqe.userData = 2;
      expect(ring.submit()).toBe(0);
      expect(ring.cqReady()).toBe(0);
      expect(runOne(ring, prepNop, 3)).toEqual({ res: 0, flags: 0, userData: 3 });
    });
  });

  // The word path: getSqes reserves a run of positions, the caller writes
  // struct io_uring_sqe's words into ring.sqes itself.
  describe('getSqes and ring.sqes', () => {
    const W = (field: keyof typeof layout.io_uring_sqe) => layout.io_uring_sqe[field] / 4;
    /** Writes a whole NOP entry by words at SQ position `pos`. */
    function nopWords(ring: IoUring, pos: number, userData: number): void {
      const u = ring.sqes;
      const w = ring.sqeOffset(pos);
      u.fill(0, w, w + layout.io_uring_sqe.sizeof / 4);
      u[w + W('fd')] = -1;
      u[w + W('user_data')] = userData;
    }

    it('takes n positions after those getSqe handed out, all or none: -1 when fewer are free', () => {
      using ring = new IoUring(8, opts());
      queue(ring, prepNop, 100);
      const first = ring.getSqes(5);
      expect(first).toBe(1);
      expect(ring.sqReady()).toBe(6);
      for (let i = 0; i < 5; i++) nopWords(ring, first + i, 200 + i);
      expect(ring.getSqes(3)).toBe(-1); // 2 left: nothing taken
      expect(ring.sqReady()).toBe(6);
      expect(ring.getSqes(2)).toBe(6);
      nopWords(ring, 6, 300);
      nopWords(ring, 7, 301);
      expect(ring.getSqe()).toBeNull();
      expect(ring.getSqes(0)).toBe(8); // nothing to take, even when full
      expect(ring.submitAndWait(8)).toBe(8);
      expect(reapAll(ring).map((d) => [d.userData, d.res])).toEqual(
        [100, 200, 201, 202, 203, 204, 300, 301].map((ud) => [ud, 0]));
    });

    it('a run that wraps the SQ ends gets each slot once, at sqeOffset', () => {
      using ring = new IoUring(4, opts());
      const a = ring.getSqes(3);
      for (let i = 0; i < 3; i++) nopWords(ring, a + i, i);
      ring.submitAndWait(3);
      reapAll(ring);
      const b = ring.getSqes(4); // positions 3..6: slots 3, 0, 1, 2
      expect(b).toBe(3);
      const offsets = [0, 1, 2, 3].map((i) => ring.sqeOffset(b + i));
      expect(offsets).toEqual([48, 0, 16, 32]);
      expect([0, 1, 2, 3].map((i) => ring.sqeAt(b + i).index)).toEqual([3, 0, 1, 2]);
      for (let i = 0; i < 4; i++) nopWords(ring, b + i, 10 + i);
      ring.submitAndWait(4);
      expect(reapAll(ring).map((d) => d.userData)).toEqual([10, 11, 12, 13]);
    });

    it('an entry taken and left unwritten completes as a NOP with res 0, whatever its slot held', () => {
      using ring = new IoUring(1, opts());
      // Leaves rw_flags = IORING_TIMEOUT_ABS and len = 1 in slot 0 (as nop_flags
      // with IORING_NOP_INJECT_RESULT they would make res 1).
      expect(runOne(ring, (s) => prepTimeout(s, { sec: 0, nsec: 0 }, 0, IORING_TIMEOUT_ABS)).res).toBe(-ETIME);
      const pos = ring.getSqes(1);
      expect(ring.sqeAt(pos).opcode).toBe(IORING_OP_NOP);
      expect(ring.sqeAt(pos).rwFlags).toBe(0);
      ring.sqes[ring.sqeOffset(pos) + W('user_data')] = 7;
      ring.submit();
      expect(reapOne(ring)).toEqual({ res: 0, flags: 0, userData: 7 });
    });

    it('sqeAt gives the entry to an encoder, or to keep() memory the words name', () => withFile((fd) => {
      using ring = new IoUring(4, opts());
      const first = ring.getSqes(2);
      // Entry 0: prepared by an encoder on its Sqe.
      const viaEncoder = Buffer.alloc(5);
      prepRead(ring.sqeAt(first), fd, viaEncoder, 5, 0);
      ring.sqeAt(first).userData = 1;
      // Entry 1: a READ written word by word, its buffer kept by hand.
      const viaWords = Buffer.alloc(4);
      const u = ring.sqes;
      const w = ring.sqeOffset(first + 1);
      u.fill(0, w, w + 16);
      u[w + W('opcode')] = IORING_OP_READ;
      u[w + W('fd')] = fd;
      u[w + W('off')] = 6; // offset 6
      const addr = addressOf(viaWords);
      u[w + W('addr')] = addr % 2 ** 32;
      u[w + W('addr') + 1] = Math.floor(addr / 2 ** 32);
      u[w + W('len')] = 4;
      u[w + W('user_data')] = 2;
      ring.sqeAt(first + 1).keep(viaWords);
      expect(ring.submitAndWait(2)).toBe(2);
      expect(reapAll(ring).map((d) => [d.userData, d.res])).toEqual([[1, 5], [2, 4]]);
      expect(viaEncoder.toString()).toBe('hello');
      expect(viaWords.toString()).toBe('worl');
      expect(ring.snapshot().kept).toBe(0); // both let go at their CQEs
    }, Buffer.from('hello world'), 'r'));

    it('what an entry keeps is held from submit to its CQE', () => {
      using ring = new IoUring(2, opts());
      const first = ring.getSqes(1);
      const u = ring.sqes;
      const w = ring.sqeOffset(first);
      u.fill(0, w, w + 16);
      u[w + W('opcode')] = IORING_OP_TIMEOUT;
      u[w + W('fd')] = -1;
      const ts = new BigInt64Array([0n, 20_000_000n]); // 20 ms
      const addr = addressOf(ts);
      u[w + W('addr')] = addr % 2 ** 32;
      u[w + W('addr') + 1] = Math.floor(addr / 2 ** 32);
      u[w + W('len')] = 1;
      u[w + W('user_data')] = 9;
      ring.sqeAt(first).keep(ts);
      ring.submit();
      expect(ring.snapshot().kept).toBe(1);
      expect(reapOne(ring)).toEqual({ res: -ETIME, flags: 0, userData: 9 });
      expect(ring.snapshot().kept).toBe(0);
    });

    itWith('SQE128 entries are 32 words apart', 4, opts({ flags: IORING_SETUP_SQE128 }), (ring) => {
      const first = ring.getSqes(3);
      expect([0, 1, 2].map((i) => ring.sqeOffset(first + i))).toEqual([0, 32, 64]);
      expect(ring.sqes.length).toBe(4 * 32);
      for (let i = 0; i < 3; i++) nopWords(ring, first + i, 50 + i);
      ring.submitAndWait(3);
      expect(reapAll(ring).map((d) => [d.userData, d.res])).toEqual([[50, 0], [51, 0], [52, 0]]);
    });

    it('n that is not an integer from 0 to sqEntries is a RangeError, and nothing is taken', () => {
      using ring = new IoUring(4, opts());
      for (const bad of [-1, 1.5, NaN, 5, 2 ** 32, '2', undefined]) {
        expect(() => ring.getSqes(bad as number), String(bad)).toThrow(RangeError);
      }
      expect(ring.sqReady()).toBe(0);
      expect(ring.getSqes(4)).toBe(0);
    });

    it('bufferAddress gives the address an encoder would use, checked as an encoder checks', () => {
      const buf = Buffer.alloc(16);
      expect(bufferAddress(buf, 16)).toBe(addressOf(buf));
      expect(bufferAddress(buf.subarray(4))).toBe(addressOf(buf) + 4);
      expect(() => bufferAddress(buf, 17)).toThrow(RangeError);
      const ab = new ArrayBuffer(8);
      const view = new Uint8Array(ab);
      structuredClone(ab, { transfer: [ab] });
      expect(() => bufferAddress(view)).toThrow(TypeError);
      const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer; // ES2024
      expect(() => bufferAddress(new Uint8Array(new Resizable(8, { maxByteLength: 16 })))).toThrow(TypeError);
      expect(() => bufferAddress([1, 2] as unknown as Uint8Array)).toThrow(TypeError);
    });

    it('a closed ring refuses getSqes, sqes, sqeAt and cqes', () => {
      const ring = new IoUring(4, opts());
      ring.close();
      for (const f of [() => ring.getSqes(1), () => ring.sqes, () => ring.sqeAt(0), () => ring.cqes]) expect(f).toThrow(/closed/);
    });
  });
});
