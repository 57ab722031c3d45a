/**
 * Tests for lib/ring (IoUring, Sqe, Cqe) and the basic encoders of
 * lib/prep/rw.ts and lib/prep/timeout.ts, against the running kernel, for both
 * places ring memory can live: a SharedArrayBuffer handed over with
 * IORING_SETUP_NO_MMAP ('shared') and the kernel's own pages mapped ('mmap').
 *
 * A test that needs something the kernel refuses skips with the kernel's
 * answer in its title. Known library bugs are marked `it.fails` with a comment
 * saying what goes wrong.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  IoUring, IoUringError, layout, allocAligned, bufferAddress, type IoUringOptions, type Sqe,
  prepNop, prepRead, prepWrite, prepReadv, prepWritev, prepFsync, prepTimeout, prepRw,
  IORING_OP_NOP, IORING_OP_READ, IORING_OP_WRITE, IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC, IORING_OP_TIMEOUT,
  IORING_SETUP_CQSIZE, IORING_SETUP_CLAMP, IORING_SETUP_SQE128, IORING_SETUP_CQE32, IORING_SETUP_SQPOLL,
  IORING_SETUP_SINGLE_ISSUER, IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_COOP_TASKRUN, IORING_SETUP_TASKRUN_FLAG,
  IORING_SETUP_IOPOLL, IORING_SETUP_R_DISABLED, IORING_SETUP_NO_SQARRAY, IORING_SETUP_NO_MMAP,
  IORING_SQ_NEED_WAKEUP, IORING_SQ_TASKRUN, IORING_FEAT_MIN_TIMEOUT, IORING_FEAT_NODROP,
  IORING_REGISTER_EVENTFD, IORING_UNREGISTER_EVENTFD, IORING_NOP_CQE32, IORING_TIMEOUT_ABS, IORING_FSYNC_DATASYNC, IOSQE_IO_DRAIN, ERRNO } from '../lib/index.ts';
import { addressOf, eventfd, view } from '../ffi/index.ts';
import { byUserData, queue, reapAll, reapOne, ringUnavailable, runOne, sqeFields, sqeView, staleSqe, tryRing } from './helpers.ts';

// errno values (asm-generic), as CQE results and IoUringError.errno.
const { EBADF, EINVAL, ETIME, EBADFD, EOPNOTSUPP } = ERRNO;
const EFD_NONBLOCK = 0x800;

// Files live on the project's own disk (O_DIRECT needs a real filesystem, not tmpfs).
const scratchRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.scratch');
fs.mkdirSync(scratchRoot, { recursive: true });
const scratch = fs.mkdtempSync(path.join(scratchRoot, 'ring-test-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

let fileSeq = 0;
/** Runs `fn` with a fresh file (opened 'w+' unless `flags` says otherwise) and closes it. */
function withFile(fn: (fd: number, file: string) => void, content?: Buffer, flags: string | number = 'w+'): void {
  const file = path.join(scratch, `f${fileSeq++}`);
  if (content) fs.writeFileSync(file, content);
  const fd = fs.openSync(file, flags);
  try {
    fn(fd, file);
  } finally {
    fs.closeSync(fd);
  }
}

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

function queueNops(ring: IoUring, uds: readonly number[]): void {
  for (const ud of uds) queue(ring, prepNop, ud);
}

/** `it` on a ring made with `options`, or `it.skip` with the kernel's reason in the title. */
function itWith(title: string, entries: number, options: IoUringOptions, fn: (ring: IoUring) => void, fails = false): void {
  const why = ringUnavailable(entries, options);
  const test = why ? it.skip : fails ? it.fails : it;
  test(why ? `${title} (skipped: ${why})` : title, () => {
    using ring = new IoUring(entries, options);
    fn(ring);
  });
}

function kernelFeatures(): number {
  const r = tryRing(2);
  if (typeof r === 'string') return 0;
  const f = r.features;
  r.close();
  return f;
}
const features = kernelFeatures();

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

function expectIoUringError(fn: () => unknown, code: string, errno?: number): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(IoUringError);
  expect((caught as IoUringError).code).toBe(code);
  if (errno !== undefined) expect((caught as IoUringError).errno).toBe(-errno);
}

describe.each(['shared', 'mmap'] as const)("memory '%s'", (memory) => {
  const why = ringUnavailable(8, { memory });
  if (why) {
    it.skip(`rings in memory '${memory}' (skipped: ${why})`, () => {});
    return;
  }
  const opts = (o: IoUringOptions = {}): IoUringOptions => ({ ...o, memory });

  it(`is where the ring lives (memory '${memory}', NO_MMAP ${memory === 'shared' ? 'set' : 'clear'})`, () => {
    using ring = new IoUring(4, opts());
    expect(ring.memory).toBe(memory);
    expect((ring.flags & IORING_SETUP_NO_MMAP) !== 0).toBe(memory === 'shared');
  });

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
      // One of two ever comes: after the minimum wait, the one is handed back.
      timeouts(ring, [3]);
      expect(ring.submitAndWaitMinTimeout(2, 5000, 1000)?.toJSON()).toEqual({ userData: 3, res: -ETIME, flags: 0 });
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
  });

  // ---------------------------------------------------------------- user_data

  describe('user_data', () => {
    it.each([0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1])('%d round-trips exactly', (ud) => {
      using ring = new IoUring(2, opts());
      expect(runOne(ring, prepNop, ud)).toEqual({ res: 0, flags: 0, userData: ud });
    });

    it.each([2n ** 64n - 1n, 2n ** 63n + 5n, 2n ** 53n])('%s round-trips through userDataBig; userData throws RangeError', (ud) => {
      using ring = new IoUring(2, opts());
      const sqe = ring.getSqe()!;
      prepNop(sqe);
      sqe.userDataBig = ud;
      expect(sqe.userDataBig).toBe(ud);
      expect(() => sqe.userData).toThrow(RangeError);
      ring.submit();
      const cqe = ring.waitCqe();
      expect(cqe.userDataBig).toBe(ud);
      expect(() => cqe.userData).toThrow(RangeError);
      expect(cqe.toJSON()).toEqual({ userData: ud, res: 0, flags: 0 });
      ring.cqeSeen(cqe);
    });

    it('a number user_data reads back through userDataBig too', () => {
      using ring = new IoUring(2, opts());
      queueNops(ring, [2 ** 53 - 1]);
      ring.submit();
      expect(ring.waitCqe().userDataBig).toBe(2n ** 53n - 1n);
    });

    it.each([2 ** 53, -1, 1.5, NaN, Infinity, 2 ** 64])('userData = %d throws TypeError and leaves user_data unchanged', (bad) => {
      using ring = new IoUring(2, opts());
      const sqe = queue(ring, prepNop, 7);
      expect(() => { sqe.userData = bad; }).toThrow(TypeError);
      expect(sqe.userData).toBe(7);
    });
  });

  // ------------------------------------------------------------ Sqe accessors

  describe('Sqe accessors', () => {
    const L = layout.io_uring_sqe;
    interface Field {
      name: string;
      at: number; // byte offset
      size: number;
      set: (s: Sqe) => void;
      read: (dv: DataView, at: number) => unknown; // the bytes, decoded
      bytes: unknown; // what the bytes should say
      get: (s: Sqe) => unknown;
      value: unknown; // what the getter should say
    }
    const u8 = (dv: DataView, at: number) => dv.getUint8(at);
    const u16 = (dv: DataView, at: number) => dv.getUint16(at, true);
    const u32 = (dv: DataView, at: number) => dv.getUint32(at, true);
    const s32 = (dv: DataView, at: number) => dv.getInt32(at, true);
    const u64 = (dv: DataView, at: number) => dv.getBigUint64(at, true);
    const ALL_ONES = 2n ** 64n - 1n;
    const fields: Field[] = [
      { name: 'opcode', at: L.opcode, size: 1, set: (s) => { s.opcode = 0xab; }, read: u8, bytes: 0xab, get: (s) => s.opcode, value: 0xab },
      { name: 'flags', at: L.flags, size: 1, set: (s) => { s.flags = 0x5a; }, read: u8, bytes: 0x5a, get: (s) => s.flags, value: 0x5a },
      { name: 'ioprio', at: L.ioprio, size: 2, set: (s) => { s.ioprio = 0xbeef; }, read: u16, bytes: 0xbeef, get: (s) => s.ioprio, value: 0xbeef },
      { name: 'fd', at: L.fd, size: 4, set: (s) => { s.fd = -5; }, read: s32, bytes: -5, get: (s) => s.fd, value: -5 },
      { name: 'off', at: L.off, size: 8, set: (s) => { s.off = 2 ** 40 + 6; }, read: u64, bytes: 2n ** 40n + 6n, get: (s) => s.off, value: 2 ** 40 + 6 },
      { name: 'off = -1 (all ones)', at: L.off, size: 8, set: (s) => { s.off = -1; }, read: u64, bytes: ALL_ONES, get: (s) => [s.off, s.offBig], value: [-1, ALL_ONES] },
      { name: 'offBig', at: L.off, size: 8, set: (s) => { s.offBig = 2n ** 63n + 5n; }, read: u64, bytes: 2n ** 63n + 5n, get: (s) => s.offBig, value: 2n ** 63n + 5n },
      { name: 'addr', at: L.addr, size: 8, set: (s) => { s.addr = 2 ** 45 + 7; }, read: u64, bytes: 2n ** 45n + 7n, get: (s) => s.addr, value: 2 ** 45 + 7 },
      { name: 'addrBig', at: L.addr, size: 8, set: (s) => { s.addrBig = ALL_ONES - 1n; }, read: u64, bytes: ALL_ONES - 1n, get: (s) => s.addrBig, value: ALL_ONES - 1n },
      { name: 'len', at: L.len, size: 4, set: (s) => { s.len = 0xdeadbeef; }, read: u32, bytes: 0xdeadbeef, get: (s) => s.len, value: 0xdeadbeef },
      { name: 'rwFlags', at: L.rw_flags, size: 4, set: (s) => { s.rwFlags = 0x80000001; }, read: u32, bytes: 0x80000001, get: (s) => s.rwFlags, value: 0x80000001 },
      { name: 'userData', at: L.user_data, size: 8, set: (s) => { s.userData = 2 ** 52 + 9; }, read: u64, bytes: 2n ** 52n + 9n, get: (s) => s.userData, value: 2 ** 52 + 9 },
      { name: 'userDataBig', at: L.user_data, size: 8, set: (s) => { s.userDataBig = ALL_ONES; }, read: u64, bytes: ALL_ONES, get: (s) => s.userDataBig, value: ALL_ONES },
      { name: 'bufIndex', at: L.buf_index, size: 2, set: (s) => { s.bufIndex = 0xfedc; }, read: u16, bytes: 0xfedc, get: (s) => s.bufIndex, value: 0xfedc },
      { name: 'personality', at: L.personality, size: 2, set: (s) => { s.personality = 0x1234; }, read: u16, bytes: 0x1234, get: (s) => s.personality, value: 0x1234 },
      { name: 'spliceFdIn', at: L.splice_fd_in, size: 4, set: (s) => { s.spliceFdIn = -3; }, read: s32, bytes: -3, get: (s) => s.spliceFdIn, value: -3 },
      { name: 'addr3', at: L.addr3, size: 8, set: (s) => { s.addr3 = 2 ** 33 + 1; }, read: u64, bytes: 2n ** 33n + 1n, get: (s) => s.addr3, value: 2 ** 33 + 1 },
      { name: 'pad2', at: L.__pad2, size: 8, set: (s) => { s.pad2 = 2 ** 34 + 3; }, read: u64, bytes: 2n ** 34n + 3n, get: (s) => s.pad2, value: 2 ** 34 + 3 },
    ];

    it.each(fields)('$name writes its bytes and no others', (f) => {
      using ring = new IoUring(2, opts());
      ring.getSqe(); // use the second slot, so an accessor that ignores the slot's offset shows
      const sqe = ring.getSqe()!;
      expect(sqe.w * 4).toBe(64);
      const dv = sqeView(sqe);
      const before = sqe.u8.slice(); // the whole SQE array
      f.set(sqe);
      expect(f.read(dv, f.at)).toEqual(f.bytes);
      expect(f.get(sqe)).toEqual(f.value);
      const base = sqe.w * 4;
      for (let i = 0; i < sqe.u8.length; i++) {
        if (i >= base + f.at && i < base + f.at + f.size) continue;
        if (sqe.u8[i] !== before[i]) expect.fail(`byte ${i - base} of the entry (${i} of the array) changed`);
      }
    });

    it('off = -2 and 2^53-1 encode as u64 two\'s complement and read back', () => {
      using ring = new IoUring(2, opts());
      const sqe = ring.getSqe()!;
      const dv = sqeView(sqe);
      sqe.off = -2;
      expect(dv.getBigUint64(L.off, true)).toBe(2n ** 64n - 2n);
      expect(sqe.off).toBe(-2);
      sqe.off = 2 ** 53 - 1;
      expect(dv.getBigUint64(L.off, true)).toBe(2n ** 53n - 1n);
      expect(sqe.off).toBe(2 ** 53 - 1);
    });
  });

  // ------------------------------------------------------ encoders, byte level

  describe('encoders write the SQE', () => {
    const L = layout.io_uring_sqe;
    const fd = 7;
    const buf = Buffer.alloc(32);
    const bufs = [Buffer.alloc(3), Buffer.alloc(5), Buffer.alloc(7)];
    type Addr = number | 'buf' | 'iovecs' | { sec: number; nsec: number };
    interface Row {
      name: string;
      prep: (s: Sqe) => void;
      opcode: number;
      fd: number;
      off: bigint;
      addr: Addr;
      len: number;
      rwFlags: number;
    }
    const rows: Row[] = [
      { name: 'prepNop', prep: (s) => prepNop(s), opcode: IORING_OP_NOP, fd: -1, off: 0n, addr: 0, len: 0, rwFlags: 0 },
      { name: 'prepRead', prep: (s) => prepRead(s, fd, buf, 16, 4096), opcode: IORING_OP_READ, fd, off: 4096n, addr: 'buf', len: 16, rwFlags: 0 },
      { name: 'prepRead (whole buffer, offset -1)', prep: (s) => prepRead(s, fd, buf, undefined, -1), opcode: IORING_OP_READ, fd, off: 2n ** 64n - 1n, addr: 'buf', len: 32, rwFlags: 0 },
      { name: 'prepWrite', prep: (s) => prepWrite(s, fd, buf, 20, 2 ** 40), opcode: IORING_OP_WRITE, fd, off: 2n ** 40n, addr: 'buf', len: 20, rwFlags: 0 },
      { name: 'prepReadv', prep: (s) => prepReadv(s, fd, bufs, 100), opcode: IORING_OP_READV, fd, off: 100n, addr: 'iovecs', len: 3, rwFlags: 0 },
      { name: 'prepWritev (offset -1)', prep: (s) => prepWritev(s, fd, bufs, -1), opcode: IORING_OP_WRITEV, fd, off: 2n ** 64n - 1n, addr: 'iovecs', len: 3, rwFlags: 0 },
      { name: 'prepFsync (DATASYNC)', prep: (s) => prepFsync(s, fd, IORING_FSYNC_DATASYNC), opcode: IORING_OP_FSYNC, fd, off: 0n, addr: 0, len: 0, rwFlags: IORING_FSYNC_DATASYNC },
      { name: 'prepTimeout (ms, count 2, ABS)', prep: (s) => prepTimeout(s, 1500, 2, IORING_TIMEOUT_ABS), opcode: IORING_OP_TIMEOUT, fd: -1, off: 2n, addr: { sec: 1, nsec: 500_000_000 }, len: 1, rwFlags: IORING_TIMEOUT_ABS },
      { name: 'prepTimeout ({ sec, nsec })', prep: (s) => prepTimeout(s, { sec: 3, nsec: 5 }), opcode: IORING_OP_TIMEOUT, fd: -1, off: 0n, addr: { sec: 3, nsec: 5 }, len: 1, rwFlags: 0 },
      { name: 'prepRw', prep: (s) => prepRw(IORING_OP_WRITE, s, 9, 0x12345678000, 77, 123), opcode: IORING_OP_WRITE, fd: 9, off: 123n, addr: 0x12345678000, len: 77, rwFlags: 0 },
    ];

    it.each(rows)('$name', (row) => {
      using ring = new IoUring(2, opts());
      // A stale slot: every byte set, then a user_data the encoder must leave alone.
      const sqe = staleSqe(ring);
      row.prep(sqe);
      const fields = sqeFields(sqe);
      expect(fields).toMatchObject({
        opcode: row.opcode, flags: 0, ioprio: 0, fd: row.fd, off: row.off, len: row.len, rwFlags: row.rwFlags,
        userData: 0x12345678n, bufIndex: 0, personality: 0, spliceFdIn: 0, addr3: 0n, pad2: 0n,
      });
      const addr = Number(fields.addr);
      if (row.addr === 'buf') {
        expect(addr).toBe(addressOf(buf));
      } else if (row.addr === 'iovecs') {
        // struct iovec { void *iov_base; size_t iov_len; }, one per buffer.
        expect(addr).not.toBe(0);
        const iov = new DataView(view(addr, bufs.length * layout.iovec.sizeof));
        const got = bufs.map((_, i) => [Number(iov.getBigUint64(i * 16, true)), Number(iov.getBigUint64(i * 16 + 8, true))]);
        expect(got).toEqual(bufs.map((b) => [addressOf(b), b.length]));
      } else if (typeof row.addr === 'object') {
        // struct __kernel_timespec { s64 tv_sec; s64 tv_nsec; }
        expect(addr).not.toBe(0);
        const ts = new DataView(view(addr, layout.__kernel_timespec.sizeof));
        expect({ sec: Number(ts.getBigInt64(0, true)), nsec: Number(ts.getBigInt64(8, true)) }).toEqual(row.addr);
      } else {
        expect(addr).toBe(row.addr);
      }
    });
  });

  // --------------------------------------------------- encoders on real files

  describe('encoders on a real file', () => {
    it('prepWrite then prepRead round-trip the bytes', () => {
      using ring = new IoUring(4, opts());
      withFile((fd, file) => {
        const data = Buffer.from('hello, ring');
        expect(runOne(ring, (s) => prepWrite(s, fd, data, data.length, 3)).res).toBe(data.length);
        expect(fs.readFileSync(file)).toEqual(Buffer.concat([Buffer.alloc(3), data]));
        const back = Buffer.alloc(32, 0xee);
        expect(runOne(ring, (s) => prepRead(s, fd, back, back.length, 0)).res).toBe(data.length + 3);
        expect(back.subarray(0, data.length + 3)).toEqual(Buffer.concat([Buffer.alloc(3), data]));
        expect(back.subarray(data.length + 3)).toEqual(Buffer.alloc(32 - data.length - 3, 0xee));
        expect(runOne(ring, (s) => prepRead(s, fd, back, 4, 1000)).res).toBe(0); // past EOF
      });
    });

    it('offset -1 reads and writes at the file position and advances it; an explicit offset leaves it', () => {
      using ring = new IoUring(4, opts());
      withFile((fd, file) => {
        const two = Buffer.alloc(2);
        expect(runOne(ring, (s) => prepRead(s, fd, two, 2, -1)).res).toBe(2);
        expect(two.toString()).toBe('ab');
        expect(runOne(ring, (s) => prepRead(s, fd, two, 2, 0)).res).toBe(2); // pread: position stays at 2
        expect(runOne(ring, (s) => prepRead(s, fd, two, 2, -1)).res).toBe(2);
        expect(two.toString()).toBe('cd');
        expect(runOne(ring, (s) => prepWrite(s, fd, Buffer.from('XY'), 2, -1)).res).toBe(2);
        expect(runOne(ring, (s) => prepWrite(s, fd, Buffer.from('Z'), 1, -1)).res).toBe(1);
        expect(fs.readFileSync(file, 'latin1')).toBe('abcdXYZh');
      }, Buffer.from('abcdefgh'), 'r+');
    });

    it('prepWritev then prepReadv move 3 buffers in order', () => {
      using ring = new IoUring(4, opts());
      withFile((fd, file) => {
        const out = ['ab', 'cde', 'f'].map((s) => Buffer.from(s));
        expect(runOne(ring, (s) => prepWritev(s, fd, out, 1)).res).toBe(6);
        expect(fs.readFileSync(file, 'latin1')).toBe('\0abcdef');
        const into = [Buffer.alloc(2), Buffer.alloc(1), Buffer.alloc(4, 0xee)];
        expect(runOne(ring, (s) => prepReadv(s, fd, into, 1)).res).toBe(6);
        expect(into.map((b) => b.toString('latin1'))).toEqual(['ab', 'c', 'def\xee']);
      });
    });

    it('prepFsync completes with 0, plain and with IORING_FSYNC_DATASYNC', () => {
      using ring = new IoUring(4, opts());
      withFile((fd) => {
        expect(runOne(ring, (s) => prepWrite(s, fd, Buffer.from('x'))).res).toBe(1);
        expect(runOne(ring, (s) => prepFsync(s, fd)).res).toBe(0);
        expect(runOne(ring, (s) => prepFsync(s, fd, IORING_FSYNC_DATASYNC)).res).toBe(0);
      });
    });

    it.each([5, { sec: 0, nsec: 5_000_000 }])('prepTimeout(%o) completes with -ETIME', (ts) => {
      using ring = new IoUring(4, opts());
      queue(ring, (s) => prepTimeout(s, ts), 1);
      ring.submit();
      expect(reapOne(ring)).toEqual({ res: -ETIME, flags: 0, userData: 1 });
    });

    it('prepTimeout with count 1 completes with 0 once one other completion is posted', () => {
      using ring = new IoUring(4, opts());
      queue(ring, (s) => prepTimeout(s, 60_000, 1), 1); // a minute: only the count can end it in time
      ring.submit();
      expect(ring.waitCqeTimeout(10)).toBeNull();
      queueNops(ring, [2]);
      ring.submit();
      expect([reapOne(ring), reapOne(ring)].sort(byUserData)).toEqual([
        { res: 0, flags: 0, userData: 1 },
        { res: 0, flags: 0, userData: 2 },
      ]);
    });
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

  // ------------------------------------------------------------------ close

  describe('close', () => {
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
