// The completion side of the ring (liburing's src/queue.c and the CQ helpers
// of liburing.h): peeking, waiting with and without a timeout, walking the
// ready CQEs and handing them back. The second of IoUring's layers (see
// io-uring.ts).

import * as ffi from '../../ffi/index.ts';
import { ERRNO } from '../errno.ts';
import { IoUringError, check } from '../errors.ts';
import {
  IORING_CQE_F_MORE, IORING_CQ_EVENTFD_DISABLED, IORING_ENTER_EXT_ARG, IORING_ENTER_GETEVENTS,
  IORING_FEAT_EXT_ARG, IORING_FEAT_MIN_TIMEOUT, IORING_SETUP_CQE32, IORING_SQ_CQ_OVERFLOW,
} from '../uapi/constants.ts';
import { io_uring_getevents_arg } from '../uapi/layout.ts';
import { Cqe } from './cqe.ts';
import type { IoUring } from './io-uring.ts';
import type { RingAssets } from './lifetime.ts';
import { loadAcquire, storeRelease } from './memory-order.ts';
import { checkOptionalU32, checkU32 } from '../check.ts';
import type { RingLayout, SetupResult } from './setup.ts';
import { SubmissionQueue } from './sq.ts';
import { timeoutMs, writeTimespec, type Timeout } from './timespec.ts';

const { EAGAIN, EINTR, EINVAL, ETIME } = ERRNO;
// The EXT_ARG argument: io_uring_getevents_arg at byte 0, its timespec at byte 32.
const ARG_TS = 32;

export abstract class CompletionQueue extends SubmissionQueue {
  // The CQ ring as 32-bit words (the SQ ring's view where they share memory).
  protected cqU32!: Uint32Array;
  // Word indices of the CQ ring fields (from io_cqring_offsets).
  protected cqHead = 0;
  protected cqTail = 0;
  protected cqOverflow = 0;
  protected cqFlags = 0;
  protected cqeBase = 0; // the first CQE's word in cqU32
  private cqeShift = 2; // log2(cqeWords)
  private cqeU32: Uint32Array = new Uint32Array(0); // the CQEs alone, for `cqes`
  protected cqMask = 0;
  private cqeWords = 4;
  protected cqEntriesN = 0;
  private cqeObjs: Cqe[] = [];
  // The EXT_ARG argument, allocated once so waits with a timeout allocate
  // nothing (the registered wait slots are written the same way).
  protected readonly arg: Uint32Array;
  private readonly argAddr: number;
  // Sentinel for a timed wait cut short by a signal: the caller recomputes the
  // timeout from its deadline and waits again.
  protected readonly interrupted = {} as Cqe;

  protected constructor(made: SetupResult, assets: RingAssets) {
    super(made, assets);
    this.arg = new Uint32Array(new ArrayBuffer(64));
    this.argAddr = ffi.addressOf(this.arg);
    this.arg[io_uring_getevents_arg.sigmask_sz >>> 2] = 8; // _NSIG / 8, as liburing passes
  }

  protected override adopt(l: RingLayout): void {
    super.adopt(l);
    this.cqU32 = l.cqU32;
    this.cqEntriesN = l.cqEntries;
    this.cqHead = l.cqHead;
    this.cqTail = l.cqTail;
    this.cqOverflow = l.cqOverflow;
    this.cqFlags = l.cqFlags;
    this.cqeBase = l.cqeBase;
    this.cqMask = l.cqMask;
    this.cqeWords = l.cqeWords;
    this.cqeShift = 31 - Math.clz32(l.cqeWords);
    this.cqeU32 = l.cqU32.subarray(l.cqeBase, l.cqeBase + l.cqEntries * l.cqeWords);
    const cqeBytes = (this.flags & IORING_SETUP_CQE32) ? 32 : 16;
    // Every CompletionQueue is an IoUring: the class is abstract and IoUring its last layer.
    const ring = this as unknown as IoUring;
    this.cqeObjs = new Array(l.cqEntries);
    for (let i = 0; i < l.cqEntries; i++) this.cqeObjs[i] = new Cqe(ring, l.cqU32, l.cqeBase + i * l.cqeWords, cqeBytes);
  }

  /** CQ size, as the kernel rounded it. */
  get cqEntries(): number {
    return this.cqEntriesN;
  }

  private cqeAtHead(): Cqe | null {
    const head = this.cqU32[this.cqHead]!; // ours: the kernel never writes it
    // Acquire: the CQE contents are visible once the tail covers them.
    const tail = loadAcquire(this.cqU32, this.cqTail);
    if (head === tail) return null;
    return this.cqeObjs[head & this.cqMask]!;
  }

  // liburing's _io_uring_get_cqe. Throws on an enter failure; returns null on
  // EAGAIN (nothing to reap without waiting) and ETIME (timed out).
  protected getCqe(submit: number, waitNr: number, getFlags: number, hasTs: boolean, arg = this.argAddr, argSize: number = io_uring_getevents_arg.sizeof): Cqe | null {
    let looped = false;
    for (;;) {
      let needEnter = false;
      let flags = 0;
      const cqe = this.cqeAtHead();
      const available = cqe === null ? 0 : this.cqReady();
      if (cqe === null && waitNr === 0 && submit === 0) {
        if (looped || !this.cqNeedsEnter()) return null;
        needEnter = true;
      }
      if (waitNr > available || needEnter) {
        flags = IORING_ENTER_GETEVENTS | getFlags;
        needEnter = true;
      }
      const sqFlags = this.sqEnterFlags(submit);
      if (sqFlags >= 0) {
        flags |= sqFlags;
        needEnter = true;
      }
      if (!needEnter) return cqe;
      if (looped && hasTs) return cqe;
      const r = hasTs
        ? ffi.ioUringEnter(this.enterFd, submit, waitNr, flags | this.enterFlags, arg, argSize)
        : this.enterKernel(submit, waitNr, flags, 0, 0);
      if (r < 0) {
        if (r === -ETIME) return cqe;
        if (r === -EINTR) return this.interrupted;
        throw new IoUringError(r, 'io_uring_enter', 'wait');
      }
      submit -= r;
      if (cqe !== null) return cqe;
      looped = true;
    }
  }

  // Fills the EXT_ARG argument: sigmask 0 (none), min_wait_usec, and ts
  // pointing at the timespec written after it.
  private writeWaitArg(timeout: Timeout, minWaitUsec: number): void {
    const a = this.arg;
    writeTimespec(a, ARG_TS >>> 2, timeout);
    a[io_uring_getevents_arg.min_wait_usec >>> 2] = minWaitUsec;
    const ts = this.argAddr + ARG_TS;
    a[io_uring_getevents_arg.ts >>> 2] = ts >>> 0;
    a[(io_uring_getevents_arg.ts >>> 2) + 1] = Math.floor(ts / 4294967296);
  }

  private waitTimed(submit: number, waitNr: number, timeout: Timeout, minWaitUsec: number): Cqe | null {
    if (!(this.features & IORING_FEAT_EXT_ARG)) {
      throw new IoUringError(EINVAL, 'io_uring_enter', 'timed waits need IORING_FEAT_EXT_ARG (Linux 5.11)');
    }
    this.writeWaitArg(timeout, minWaitUsec);
    const deadline = performance.now() + timeoutMs(timeout);
    for (;;) {
      const cqe = this.getCqe(submit, waitNr, IORING_ENTER_EXT_ARG, true);
      if (cqe !== null && cqe !== this.interrupted && this.cqReady() >= waitNr) return cqe;
      // Not all yet: the time ran out, or a signal cut the wait short (as
      // EINTR, or as an early return when entries were submitted in the same
      // call), or the kernel returned early with fewer than waitNr (seen on
      // 6.18: about 1 wait in 1,000 for two 1 ms TIMEOUTs came back with
      // one). Wait again for what is left (a signal must not end a timed
      // wait); whatever the kernel has not consumed yet is offered again.
      const left = deadline - performance.now();
      if (left <= 0.01) return this.cqeAtHead();
      submit = this.flushSq();
      this.writeWaitArg(left, minWaitUsec);
    }
  }

  /**
   * io_uring_submit_and_wait_timeout(3): submit, then wait for `waitNr`
   * completions or the timeout. Returns the first CQE, or null on timeout.
   * The wait blocks the thread, up to the timeout.
   *
   * Differs from liburing: returns the CQE, or null where liburing returns
   * -ETIME; waits again for the time left when the kernel returns fewer CQEs
   * than asked, and after a signal; no sigmask.
   */
  submitAndWaitTimeout(waitNr: number, timeout: Timeout): Cqe | null {
    this.checkOpen();
    return this.waitTimed(this.flushSq(), checkU32(waitNr, 'waitNr'), timeout, 0);
  }

  /**
   * io_uring_submit_and_wait_min_timeout(3): like submitAndWaitTimeout, but
   * once one completion has arrived, wait at most `minWaitUsec` more for the
   * rest (IORING_FEAT_MIN_TIMEOUT, Linux 6.12).
   *
   * Differs from liburing: returns the CQE, or null where liburing returns
   * -ETIME; waits again for the time left when the kernel returns fewer CQEs
   * than asked, and after a signal; no sigmask.
   */
  submitAndWaitMinTimeout(waitNr: number, timeout: Timeout, minWaitUsec: number): Cqe | null {
    this.checkOpen();
    if (!(this.features & IORING_FEAT_MIN_TIMEOUT)) throw new IoUringError(EINVAL, 'io_uring_enter', 'min_wait_usec needs IORING_FEAT_MIN_TIMEOUT (Linux 6.12)');
    return this.waitTimed(this.flushSq(), checkU32(waitNr, 'waitNr'), timeout, checkOptionalU32(minWaitUsec, 'minWaitUsec'));
  }

  /**
   * io_uring_peek_cqe(3): the CQE at the head, or null; never waits.
   *
   * Differs from liburing: returns the CQE, or null where liburing returns
   * -EAGAIN.
   */
  peekCqe(): Cqe | null {
    this.checkOpen();
    const cqe = this.cqeAtHead();
    if (cqe !== null || !this.cqNeedsEnter()) return cqe;
    return this.getCqe(0, 0, 0, false);
  }

  /**
   * io_uring_wait_cqe(3): the CQE at the head, waiting for one if need be.
   * The wait blocks the thread (its event loop too) inside io_uring_enter,
   * and has no end of its own: on a ring with nothing in flight it waits
   * forever, as in C. Use waitCqeTimeout for a bound, or AsyncRing to wait
   * without blocking.
   *
   * Differs from liburing: returns the CQE where liburing fills *cqe_ptr;
   * throws an IoUringError where it returns -errno; a signal does not end the
   * wait.
   */
  waitCqe(): Cqe {
    return this.waitCqeNr(1);
  }

  /**
   * io_uring_wait_cqe_nr(3): wait until `waitNr` CQEs are ready; returns the
   * first. Blocks the thread until they are, forever if they never come
   * (as waitCqe).
   *
   * Differs from liburing: returns the CQE where liburing fills *cqe_ptr;
   * throws an IoUringError where it returns -errno; a signal does not end the
   * wait.
   */
  waitCqeNr(waitNr: number): Cqe {
    this.checkOpen();
    const cqe = this.getCqe(0, checkU32(waitNr, 'waitNr'), 0, false);
    if (cqe === null) throw new IoUringError(EAGAIN, 'io_uring_enter', 'wait');
    return cqe;
  }

  /**
   * io_uring_wait_cqes(3): wait for `waitNr` CQEs, or until the timeout if one
   * is given. Returns the first CQE, or null on timeout. (The sigmask argument
   * has no use from JS and is not offered.) The wait blocks the thread; with
   * no timeout it waits forever for CQEs that never come (as waitCqe).
   *
   * Differs from liburing: returns the CQE, or null where liburing returns
   * -ETIME; waits again for the time left when the kernel returns fewer CQEs
   * than asked, and after a signal; no sigmask.
   */
  waitCqes(waitNr: number, timeout?: Timeout): Cqe | null {
    this.checkOpen();
    if (timeout === undefined) return this.getCqe(0, checkU32(waitNr, 'waitNr'), 0, false);
    return this.waitTimed(0, checkU32(waitNr, 'waitNr'), timeout, 0);
  }

  /**
   * io_uring_wait_cqe_timeout(3): one CQE, or null once the timeout passes.
   * The wait blocks the thread, up to the timeout.
   *
   * Differs from liburing: returns the CQE, or null where liburing returns
   * -ETIME; waits again for the time left when the kernel returns fewer CQEs
   * than asked, and after a signal; no sigmask.
   */
  waitCqeTimeout(timeout: Timeout): Cqe | null {
    return this.waitCqes(1, timeout);
  }

  /**
   * io_uring_peek_batch_cqe(3): fills `out` with up to `count` ready CQEs
   * (default out.length) without consuming them; returns how many.
   */
  peekBatchCqe(out: Cqe[], count = out.length): number {
    this.checkOpen();
    let ready = this.cqReady();
    if (ready === 0 && this.cqNeedsFlush()) {
      this.getEvents();
      ready = this.cqReady();
    }
    const n = Math.min(ready, count);
    const head = this.cqU32[this.cqHead]!;
    for (let i = 0; i < n; i++) out[i] = this.cqeObjs[(head + i) & this.cqMask]!;
    return n;
  }

  /**
   * io_uring_for_each_cqe(3): calls `fn` on each ready CQE, head first,
   * without consuming them; returns how many it visited. Pass a function
   * made once (not a fresh closure) and reaping allocates nothing. Follow it
   * with cqAdvance(n).
   */
  forEachCqe(fn: (cqe: Cqe, i: number) => void): number {
    this.checkOpen();
    const head = this.cqU32[this.cqHead]!;
    const n = (loadAcquire(this.cqU32, this.cqTail) - head) >>> 0;
    for (let i = 0; i < n; i++) fn(this.cqeObjs[(head + i) & this.cqMask]!, i);
    return n;
  }

  /** The i-th ready CQE counted from the head (0 is the head), or null past the tail. */
  cqeAt(i: number): Cqe | null {
    this.checkOpen();
    if (i >= this.cqReady()) return null;
    return this.cqeObjs[(this.cqU32[this.cqHead]! + i) & this.cqMask]!;
  }

  /**
   * The CQEs as 32-bit words (liburing's `ring->cq.cqes`): 4 words a CQE, 8
   * on IORING_SETUP_CQE32 rings; user_data is words 0-1, res word 2 (signed:
   * `| 0`), flags word 3. With `cqeOffset`, the way to walk ready CQEs
   * without a `Cqe` object each; hand them back with cqAdvance as usual.
   * Read it again after `resizeRings()`.
   */
  get cqes(): Uint32Array {
    this.checkOpen();
    return this.cqeU32;
  }

  /** The first word in `cqes` of the i-th ready CQE counted from the head (check i < cqReady() first). */
  cqeOffset(i: number): number {
    return ((this.cqU32[this.cqHead]! + i) & this.cqMask) << this.cqeShift;
  }

  /** io_uring_cq_ready(3): CQEs ready to reap. */
  cqReady(): number {
    this.checkOpen();
    return (loadAcquire(this.cqU32, this.cqTail) - this.cqU32[this.cqHead]!) >>> 0;
  }

  /**
   * io_uring_cq_advance(3): hands `n` CQEs back to the kernel. Memory kept
   * for operations whose final CQE is among them is let go here, once no
   * other operation under the same user_data is in flight.
   *
   * Differs from liburing: `n` must be an integer from 0 to cqReady() (a
   * RangeError otherwise); moving the head past the tail would hand the
   * kernel's unwritten slots to the reader, and a CQE seen twice would
   * release its memory twice.
   */
  cqAdvance(n: number): void {
    this.checkOpen();
    const u = this.cqU32;
    const head = u[this.cqHead]!;
    if (typeof n !== 'number' || (n >>> 0) !== n || n > ((loadAcquire(u, this.cqTail) - head) >>> 0)) this.throwAdvance(n);
    if (n === 0) return;
    const mask = this.cqMask;
    const keeps = this.keeps;
    const base = this.cqeBase;
    const words = this.cqeWords;
    for (let i = 0; i < n; i++) {
      const w = base + ((head + i) & mask) * words;
      if (!(u[w + 3]! & IORING_CQE_F_MORE)) keeps.release(u[w]!, u[w + 1]!);
    }
    if (this.hook !== null) this.hook.reaped(this.cqeObjs, head, n, this.cqMask);
    // Release: our reads of these CQEs are done before the kernel reuses them.
    storeRelease(u, this.cqHead, (head + n) >>> 0);
  }

  private throwAdvance(n: unknown): never {
    const what = typeof n === 'number' ? String(n) : typeof n;
    throw new RangeError(`cqAdvance: n must be an integer from 0 to cqReady() (${this.cqReady()} now; got ${what})`);
  }

  /** io_uring_cqe_seen(3): consumes the CQE at the head (the one `cqe` is). */
  cqeSeen(cqe: Cqe): void {
    void cqe;
    this.cqAdvance(1);
  }

  /** io_uring_get_events(3): flush task work and overflowed CQEs into the CQ. */
  getEvents(): number {
    this.checkOpen();
    return check(this.enterKernel(0, 0, IORING_ENTER_GETEVENTS, 0, 0), 'io_uring_enter', 'get events');
  }

  /**
   * io_uring_cq_has_overflow(3): true when the kernel holds completions the
   * CQ had no room for (IORING_SQ_CQ_OVERFLOW); wait or getEvents() flushes
   * them as room appears. With IORING_FEAT_NODROP none are lost.
   */
  cqHasOverflow(): boolean {
    this.checkOpen();
    return (Atomics.load(this.ringU32, this.sqFlags) & IORING_SQ_CQ_OVERFLOW) !== 0;
  }

  /** The CQ ring's overflow counter: completions dropped (on kernels without NODROP) */
  cqOverflowCount(): number {
    this.checkOpen();
    return Atomics.load(this.cqU32, this.cqOverflow);
  }

  /** io_uring_cq_eventfd_enabled(3): whether a registered eventfd is signalled. */
  cqEventfdEnabled(): boolean {
    this.checkOpen();
    if (this.cqFlags === 0) return true;
    return (Atomics.load(this.cqU32, this.cqFlags) & IORING_CQ_EVENTFD_DISABLED) === 0;
  }

  /** io_uring_cq_eventfd_toggle(3): turn eventfd notification on or off (Linux 5.8). */
  cqEventfdToggle(enabled: boolean): void {
    this.checkOpen();
    if (enabled === this.cqEventfdEnabled()) return;
    if (this.cqFlags === 0) throw new IoUringError(EINVAL, 'io_uring_enter', 'this kernel has no CQ ring flags (Linux 5.8)');
    const cur = Atomics.load(this.cqU32, this.cqFlags);
    Atomics.store(this.cqU32, this.cqFlags, enabled ? cur & ~IORING_CQ_EVENTFD_DISABLED : cur | IORING_CQ_EVENTFD_DISABLED);
  }
}
