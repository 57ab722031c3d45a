// The submission side of the ring (liburing's src/queue.c and the SQ helpers
// of liburing.h): taking SQEs, publishing them, and io_uring_enter. The
// first of the layers IoUring is made of (see io-uring.ts): it also holds
// what every layer shares (the ring's fd and flags, whether it is closed,
// the keep table, the hook).

import * as ffi from '../../ffi/index.ts';
import { checkU32 } from '../check.ts';
import { ERRNO } from '../errno.ts';
import { IoUringError } from '../errors.ts';
import {
  IORING_ENTER_GETEVENTS, IORING_ENTER_REGISTERED_RING, IORING_ENTER_SQ_WAIT, IORING_ENTER_SQ_WAKEUP,
  IORING_SETUP_IOPOLL, IORING_SETUP_REGISTERED_FD_ONLY, IORING_SETUP_SQPOLL, IORING_SETUP_SQ_REWIND,
  IORING_SQ_CQ_OVERFLOW, IORING_SQ_NEED_WAKEUP, IORING_SQ_TASKRUN,
} from '../uapi/constants.ts';
import { io_uring_params } from '../uapi/layout.ts';
import type { RingHook } from './hook.ts';
import type { IoUring } from './io-uring.ts';
import type { KeepTable } from './keep.ts';
import type { RingAssets } from './lifetime.ts';
import { addressFor, byteLengthOf } from './memory.ts';
import { loadAcquire } from './memory-order.ts';
import type { RingLayout, SetupResult } from './setup.ts';
import { Sqe, UNPREPARED } from './sqe.ts';

const { EINTR, EBADF, EPERM } = ERRNO;

export abstract class SubmissionQueue {
  /** The ring fd (or, with IORING_SETUP_REGISTERED_FD_ONLY, -1). */
  readonly fd: number;
  /** IORING_SETUP_* flags the ring was made with. */
  readonly flags: number;
  /** IORING_FEAT_* bits the kernel reported. */
  readonly features: number;
  /** Where the rings live: 'shared' (a SharedArrayBuffer) or 'mmap'. */
  readonly memory: 'shared' | 'mmap';
  /** Setup flags the library tried for speed and the kernel refused (by name). */
  readonly droppedFlags: readonly string[];

  // The SQ ring (and, with IORING_FEAT_SINGLE_MMAP, the CQ ring) and the SQE
  // array as 32-bit words.
  protected ringU32!: Uint32Array;
  protected sqeU32!: Uint32Array;
  // Word indices of the SQ ring fields (from io_sqring_offsets).
  protected sqHead = 0;
  protected sqTail = 0;
  protected sqFlags = 0;
  protected sqDropped = 0;
  protected sqMask = 0;
  protected sqeWords = 16;
  protected sqeShift = 4; // log2(sqeWords): a shift, where a multiply would check for overflow
  protected sqEntriesN = 0;
  // liburing's sqe_head / sqe_tail: entries handed out but not yet published.
  protected sqeHead = 0;
  protected sqeTail = 0;
  // The kernel's SQ head as last read: only ever behind the real one.
  private sqHeadSeen = 0;
  protected sqeObjs: Sqe[] = [];
  protected readonly keeps: KeepTable;
  protected readonly assets: RingAssets;
  // io_uring_enter's fd and the flags every enter carries (REGISTERED_RING).
  protected enterFd: number;
  protected enterFlags = 0;
  // IOPOLL without SQPOLL: completions only appear when we enter the kernel.
  private readonly cqEnter: boolean;
  protected closed = false;
  // sqEntries while open, 0 once closed or reap-only: getSqe's one
  // comparison covers all three.
  protected sqLimit = 0;
  // A ring attached in a worker_thread: it only reaps (see IoUring.attach).
  protected reapOnly = false;
  // The trace, when one is on: told of each SQE as it is published and each
  // CQE as it is handed back (one test per batch when off).
  protected hook: RingHook | null = null;

  protected constructor(made: SetupResult, assets: RingAssets) {
    const regOnly = (made.flags & IORING_SETUP_REGISTERED_FD_ONLY) !== 0;
    this.fd = regOnly ? -1 : made.fd;
    this.flags = made.flags;
    this.features = new DataView(made.params.buffer, made.params.byteOffset).getUint32(io_uring_params.features, true);
    this.memory = made.sab === null ? 'mmap' : 'shared';
    this.droppedFlags = made.dropped;
    this.assets = assets;
    this.keeps = assets.keeps;
    this.enterFd = made.fd;
    if (regOnly) this.enterFlags = IORING_ENTER_REGISTERED_RING;
    this.cqEnter = (made.flags & (IORING_SETUP_IOPOLL | IORING_SETUP_SQPOLL)) === IORING_SETUP_IOPOLL;
  }

  // Takes the SQ's views from a new layout (at setup and after a resize),
  // with an Sqe object per slot.
  protected adopt(l: RingLayout): void {
    this.ringU32 = l.ringU32;
    this.sqeU32 = l.sqeU32;
    this.sqEntriesN = l.sqEntries;
    this.sqLimit = this.closed || this.reapOnly ? 0 : l.sqEntries;
    this.sqHead = l.sqHead;
    this.sqTail = l.sqTail;
    this.sqFlags = l.sqFlags;
    this.sqDropped = l.sqDropped;
    this.sqMask = l.sqMask;
    this.sqeWords = l.sqeWords;
    this.sqeShift = 31 - Math.clz32(l.sqeWords);
    this.sqHeadSeen = Atomics.load(this.ringU32, this.sqHead);
    this.keeps.resizeSlots(l.sqEntries);
    const u32 = this.sqeU32;
    const u8 = new Uint8Array(u32.buffer, u32.byteOffset, u32.byteLength);
    const u16 = new Uint16Array(u32.buffer, u32.byteOffset, u32.byteLength >>> 1);
    // Every SubmissionQueue is an IoUring: the class is abstract and IoUring its last layer.
    const ring = this as unknown as IoUring;
    this.sqeObjs = Array.from({ length: l.sqEntries }, (_, i) => new Sqe(ring, u32, u8, u16, i, l.sqeWords, this.keeps));
  }

  // Picks up an SQ another thread has been filling: entries up to its tail are theirs.
  protected continueAtTail(): void {
    this.sqeHead = this.sqeTail = this.sqHeadSeen = Atomics.load(this.ringU32, this.sqTail);
  }

  /** SQ size, as the kernel rounded it. */
  get sqEntries(): number {
    return this.sqEntriesN;
  }

  /**
   * io_uring_get_sqe(3): the next free SQE, or null when the SQ is full.
   *
   * Differs from liburing: an entry taken and never written (an encoder
   * refused its arguments: they throw before writing anything) is not
   * submitted. The next submit leaves it out, moving the prepared entries
   * taken after it down into its place, and hands its slot back. Any write to
   * the opcode (every encoder makes one, and so does `sqe.opcode = ...`)
   * makes the entry count as prepared.
   */
  getSqe(): Sqe | null {
    const tail = this.sqeTail;
    if (((tail - this.sqHeadSeen) >>> 0) >= this.sqLimit) {
      // Acquire: the kernel is done with the slots below its head. Read only
      // when the cached head says the SQ is full.
      this.sqHeadSeen = Atomics.load(this.ringU32, this.sqHead);
      if (((tail - this.sqHeadSeen) >>> 0) >= this.sqLimit) {
        if (this.closed) this.throwClosed();
        if (this.reapOnly) this.throwReapOnly();
        return null;
      }
    }
    this.sqeTail = (tail + 1) >>> 0;
    const sqe = this.sqeObjs[tail & this.sqMask]!;
    // Marked unprepared: opcode UNPREPARED (no kernel has an opcode 255),
    // flags and ioprio 0, no nop_flags (rw_flags). Whatever the slot held
    // before (a link flag, a read into a buffer since let go) is gone even if
    // no encoder runs; flushSq leaves out an entry still so.
    const u = this.sqeU32;
    u[sqe.w] = UNPREPARED;
    u[sqe.w + 7] = 0;
    return sqe;
  }

  /**
   * Takes `n` SQEs at once, all or none, for writing word by word into
   * `ring.sqes` (tsuring's own; liburing has no counterpart). Returns the SQ
   * position of the first: entry `i` of the batch starts at word
   * `ring.sqeOffset(first + i)`. Returns -1 when fewer than `n` are free.
   *
   * This is the path without a per-entry object, the fastest way to fill
   * the SQ (the README's Speed section has the figures, `bench/nop.ts --api
   * words`).
   * Each entry comes back as a NOP with no flags, like getSqe's, so one left
   * unwritten is harmless when submitted.
   *
   * Safety: the words are raw. An entry that names memory by address must
   * keep it: `ring.sqeAt(first + i).keep(buf)`, after the words are written
   * (or prepare that entry with an encoder on `sqeAt`, which keeps for you).
   */
  getSqes(n: number): number {
    if ((n >>> 0) !== n) this.throwSqesCount(n);
    const tail = this.sqeTail;
    if (((tail - this.sqHeadSeen) >>> 0) + n > this.sqLimit) {
      if (this.closed) this.throwClosed();
      if (this.reapOnly && n > 0) this.throwReapOnly();
      // Acquire, as in getSqe: read the kernel's head only when short.
      this.sqHeadSeen = Atomics.load(this.ringU32, this.sqHead);
      if (((tail - this.sqHeadSeen) >>> 0) + n > this.sqLimit) {
        if (n > this.sqEntriesN) this.throwSqesCount(n);
        return -1;
      }
    }
    // Each a plain NOP (see getSqe): opcode, flags and ioprio 0, no nop_flags.
    const u = this.sqeU32;
    const mask = this.sqMask;
    const shift = this.sqeShift;
    for (let i = 0; i < n; i++) {
      const w = ((tail + i) & mask) << shift;
      u[w] = 0;
      u[w + 7] = 0;
    }
    this.sqeTail = (tail + n) >>> 0;
    return tail;
  }

  private throwSqesCount(n: unknown): never {
    throw new RangeError(`getSqes: n must be an integer from 0 to ${this.sqEntriesN}, the SQ's size (got ${String(n)})`);
  }

  /**
   * The SQE array as 32-bit words, for entries taken with `getSqes`: 16
   * words an entry, 32 on IORING_SETUP_SQE128 rings; field offsets are
   * `io_uring_sqe`'s (bytes) divided by 4. Like liburing's `ring->sq.sqes`.
   * Read it again after `resizeRings()`: the SQ moves.
   */
  get sqes(): Uint32Array {
    this.checkOpen();
    return this.sqeU32;
  }

  /** The first word in `sqes` of the entry at SQ position `pos` (as `getSqes` counts). */
  sqeOffset(pos: number): number {
    return (pos & this.sqMask) << this.sqeShift;
  }

  /**
   * The `Sqe` of the entry at SQ position `pos`: for `keep()`, an encoder, or
   * reading back what the words say. Valid, like getSqe's, until the submit
   * that publishes it.
   */
  sqeAt(pos: number): Sqe {
    this.checkOpen();
    return this.sqeObjs[pos & this.sqMask]!;
  }

  /** io_uring_sq_ready(3): entries prepared but not yet consumed by the kernel. */
  sqReady(): number {
    this.checkOpen();
    return (this.sqeTail - loadAcquire(this.ringU32, this.sqHead)) >>> 0;
  }

  /** io_uring_sq_space_left(3). */
  sqSpaceLeft(): number {
    this.checkOpen();
    return this.sqEntriesN - this.sqReady();
  }

  /**
   * io_uring_sqring_wait(3): on an SQPOLL ring, wait until the SQ has a free
   * slot, blocking the thread until the SQPOLL thread takes an entry.
   * Returns at once on other rings, or when there is room.
   */
  sqringWait(): number {
    this.checkOpen();
    if (!(this.flags & IORING_SETUP_SQPOLL) || this.sqSpaceLeft() > 0) return 0;
    return this.enterKernel(0, 0, IORING_ENTER_SQ_WAIT, 0, 0);
  }

  /** The SQ ring's dropped counter: entries the kernel found invalid and skipped. */
  sqDroppedCount(): number {
    this.checkOpen();
    return Atomics.load(this.ringU32, this.sqDropped);
  }

  /** The SQ ring's flags word (IORING_SQ_*). */
  sqFlagsWord(): number {
    this.checkOpen();
    return Atomics.load(this.ringU32, this.sqFlags);
  }

  // Entries in [from, tail) taken with getSqe and never written: the last
  // ones are handed back (the tail moves down to the last prepared entry).
  // Returns the tail to publish.
  private settleUnprepared(from: number, tail: number): number {
    const u = this.sqeU32;
    const mask = this.sqMask;
    const shift = this.sqeShift;
    while (tail !== from && (u[((tail - 1) & mask) << shift]! & 0xff) === UNPREPARED) {
      tail = (tail - 1) >>> 0;
      const sqe = this.sqeObjs[tail & mask]!;
      if (sqe.kept !== 0) sqe.forget();
    }
    this.sqeTail = tail;
    return tail;
  }

  // Unprepared entries in [at, tail), `at` being one, left out: each
  // prepared one after them moves down, words and kept memory, so the kernel
  // sees the prepared entries in the order they were taken. (Sent as NOPs
  // that post nothing, IOSQE_CQE_SKIP_SUCCESS, they would turn IOSQE_IO_DRAIN
  // off on the ring for good: the kernel refuses a drain with EOPNOTSUPP
  // once it has seen a request that skips its CQE.) Returns the new tail.
  private dropUnprepared(at: number, tail: number): number {
    const u = this.sqeU32;
    const mask = this.sqMask;
    const shift = this.sqeShift;
    let to = at;
    for (let t = at; t !== tail; t = (t + 1) >>> 0) {
      const src = t & mask;
      const sqe = this.sqeObjs[src]!;
      if ((u[src << shift]! & 0xff) === UNPREPARED) {
        if (sqe.kept !== 0) sqe.forget();
        continue;
      }
      const dst = to & mask;
      u.copyWithin(dst << shift, src << shift, (src << shift) + this.sqeWords);
      this.keeps.moveSlot(src, dst);
      this.sqeObjs[dst]!.kept = sqe.kept;
      sqe.kept = 0;
      to = (to + 1) >>> 0;
    }
    this.sqeTail = to;
    return to;
  }

  // liburing's __io_uring_flush_sq: publish the prepared entries (move the
  // SQ tail) and return how many the kernel has yet to consume.
  protected flushSq(): number {
    let tail = this.sqeTail;
    const from = this.sqeHead;
    if (from !== tail) {
      tail = this.settleUnprepared(from, tail);
      const at = this.keeps.publish(this.sqeU32, this.sqeWords, from, tail, this.sqMask, this.sqeObjs, UNPREPARED);
      if (at !== tail) {
        tail = this.dropUnprepared(at, tail);
        this.keeps.publish(this.sqeU32, this.sqeWords, at, tail, this.sqMask, this.sqeObjs, UNPREPARED);
      }
      if (this.hook !== null) this.hook.submitted(this.sqeObjs, from, tail, this.sqMask);
      this.assets.used = true;
      this.sqeHead = tail;
      if (this.flags & IORING_SETUP_SQ_REWIND) {
        this.sqeTail = this.sqeHead = 0;
        return tail;
      }
      // The SQE stores above must be visible before the new tail. Without
      // SQPOLL the kernel reads the tail only inside io_uring_enter, which
      // orders everything (liburing uses a plain store); with SQPOLL, a
      // release, and then a full barrier before sqEnterFlags reads the SQ
      // flags: Atomics.store is sequentially consistent, so it is both.
      if (this.flags & IORING_SETUP_SQPOLL) Atomics.store(this.ringU32, this.sqTail, tail);
      else this.ringU32[this.sqTail] = tail;
    }
    // Relaxed: the kernel's head only ever tells us slots are free.
    return (tail - this.ringU32[this.sqHead]!) >>> 0;
  }

  // Bits to add to enter's flags for `submitted` new entries, or -1 when the
  // kernel need not be entered for them (an awake SQPOLL thread takes them).
  protected sqEnterFlags(submitted: number): number {
    if (submitted === 0) return -1;
    if (!(this.flags & IORING_SETUP_SQPOLL)) return 0;
    // The tail store in flushSq was sequentially consistent, so this load is
    // ordered after it: the full barrier liburing's io_uring_smp_mb() gives.
    if (Atomics.load(this.ringU32, this.sqFlags) & IORING_SQ_NEED_WAKEUP) return IORING_ENTER_SQ_WAKEUP;
    return -1;
  }

  protected cqNeedsFlush(): boolean {
    // Relaxed (liburing's READ_ONCE): a hint to enter the kernel.
    return (this.ringU32[this.sqFlags]! & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN)) !== 0;
  }

  protected cqNeedsEnter(): boolean {
    return this.cqEnter || this.cqNeedsFlush();
  }

  // io_uring_enter, retried on EINTR (a signal during a wait is not an error
  // the caller should see; timed waits recompute their timeout first).
  protected enterKernel(toSubmit: number, minComplete: number, flags: number, arg: number, argSize: number): number {
    for (;;) {
      const r = ffi.ioUringEnter(this.enterFd, toSubmit, minComplete, flags | this.enterFlags, arg, argSize);
      if (r !== -EINTR) return r;
    }
  }

  /**
   * io_uring_enter2(3) on this ring, one system call: submit up to
   * `toSubmit` entries the SQ ring already holds, and with
   * IORING_ENTER_GETEVENTS wait for `minComplete` completions. `arg` is what
   * `flags` says it is (a sigset; with IORING_ENTER_EXT_ARG a struct
   * io_uring_getevents_arg, or with IORING_ENTER_EXT_ARG_REG an offset into
   * the registered wait region): a typed array, whose memory is passed and
   * whose byte length is the default `argSize`, or a number passed as is.
   * Returns the kernel's result (entries submitted).
   *
   * It publishes nothing: entries from getSqe reach the SQ ring through
   * submit() and its kin, as liburing's reach it through io_uring_submit.
   *
   * Differs from liburing: a method of the ring, which supplies the fd (its
   * registered index, with IORING_ENTER_REGISTERED_RING, once the fd is
   * registered); throws an IoUringError where io_uring_enter returns -errno,
   * EINTR included (nothing is retried).
   * @see io_uring_enter(2)
   */
  enter(toSubmit: number, minComplete: number, flags: number, arg: ArrayBufferView | number | null = null, argSize?: number): number {
    this.checkOpen();
    checkU32(toSubmit, 'toSubmit');
    checkU32(minComplete, 'minComplete');
    checkU32(flags, 'flags');
    let addr = 0;
    let size = 0;
    if (typeof arg === 'number') {
      if (!Number.isSafeInteger(arg) || arg < 0) throw new RangeError(`arg must be an address or offset from 0 to 2^53-1 (got ${arg})`);
      addr = arg;
    } else if (arg !== null) {
      addr = addressFor(arg, 0, 'arg');
      size = byteLengthOf(arg, 'arg');
    }
    if (argSize !== undefined) size = checkU32(argSize, 'argSize');
    const r = ffi.ioUringEnter(this.enterFd, toSubmit, minComplete, flags | this.enterFlags, addr, size);
    if (r < 0) throw new IoUringError(r, 'io_uring_enter', 'enter');
    return r;
  }

  // liburing's __io_uring_submit.
  private submitInternal(submitted: number, waitNr: number, getEvents: boolean): number {
    const cqNeedsEnter = getEvents || waitNr > 0 || this.cqNeedsEnter();
    let flags = this.sqEnterFlags(submitted);
    if (flags < 0 && !cqNeedsEnter) return submitted;
    if (flags < 0) flags = 0;
    if (cqNeedsEnter) flags |= IORING_ENTER_GETEVENTS;
    const r = this.enterKernel(submitted, waitNr, flags, 0, 0);
    if (r < 0) throw new IoUringError(r, 'io_uring_enter', 'submit');
    return r;
  }

  /** io_uring_submit(3): hands the prepared SQEs to the kernel; returns how many it took. */
  submit(): number {
    this.checkOpen();
    return this.submitInternal(this.flushSq(), 0, false);
  }

  /**
   * io_uring_submit_and_wait(3): submit, then wait for `waitNr` completions.
   * The wait blocks the thread (its event loop too) and has no end of its
   * own: with fewer than `waitNr` completions to come it waits forever, as
   * in C. submitAndWaitTimeout bounds it; AsyncRing waits without blocking.
   */
  submitAndWait(waitNr: number): number {
    this.checkOpen();
    return this.submitInternal(this.flushSq(), checkU32(waitNr, 'waitNr'), false);
  }

  /** io_uring_submit_and_get_events(3): submit, and flush pending completions into the CQ. */
  submitAndGetEvents(): number {
    this.checkOpen();
    return this.submitInternal(this.flushSq(), 0, true);
  }

  protected throwClosed(): never {
    throw new IoUringError(EBADF, 'io_uring_enter', 'the ring is closed');
  }

  private throwReapOnly(): never {
    throw new IoUringError(
      EPERM, 'io_uring_enter', 'an entry of a ring attached in a worker_thread',
      "such a ring only reaps: the memory its entries named would be the worker's, which worker.terminate() frees while the ring, " +
      "which belongs to the thread that made it, goes on; submit from that thread",
    );
  }

  protected checkOpen(): void {
    if (this.closed) this.throwClosed();
  }
}
