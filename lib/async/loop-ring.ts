// LoopRing: a ring driven by Node's event loop, the machinery under
// AsyncRing's named operations. Each operation holds a slot until its final
// CQE; operations started in the same turn of the loop go to the kernel in
// one io_uring_enter (a setImmediate flushes the SQ), the CQ is reaped right
// after every submit (page-cache reads and NOPs complete inline) and
// whenever the waker says completions arrived. No helper thread, no busy
// loop, no libuv threadpool.
//
// When to flush: an operation that completes inline settles its promise
// during the flush, and code awaiting it starts the next one at once.
// Flushed from a microtask each time, such a loop never leaves the microtask
// queue and starves timers and I/O (measured: a setTimeout never fired under
// 32 looping readers); flushed from setImmediate each time, every awaited
// operation costs a turn of the event loop. So the first few flushes of a
// turn are microtasks, and after FLUSHES_PER_TURN the rest of the turn's
// work waits for setImmediate, which lets the loop turn.
//
// user_data is `(generation * 64 + position) * 2^20 + slot`: the slot says
// whose promise (or iterator) a CQE feeds, the position which entry of a
// chain it is (0 for a lone operation), and the generation (modulo 2^26)
// that a CQE, or a cancel, from an earlier use of the slot is stale. Slot 0
// is the library's own: link timeouts and cancels post CQEs under it, reaped
// and ignored. Everything this ring issues stays below 2^52; user_data from
// 2^52 up (below the doorbell's two) are messages other rings posted with
// msgRing, read with messages().
//
// The CQ rarely overflows, and nothing is lost when it does: `expected`
// counts the CQEs the kernel may still post for the single-shot operations
// in flight (one per entry, two for a zero-copy send), and a new operation
// waits in the backlog while they would not fit, but for one turn of the
// loop at most (relieve()): what is in flight may be idle connections that
// never complete. A multishot operation reserves nothing: when its CQE finds
// the CQ full the kernel ends it and the iterator re-arms it. CQEs the CQ
// had no room for the kernel keeps in order (IORING_FEAT_NODROP, Linux 5.5)
// until reap() flushes them.
//
// Cancels: an ASYNC_CANCEL entry, or, while an IOSQE_IO_DRAIN entry may hold
// the SQ back and in close(), IORING_REGISTER_SYNC_CANCEL (cancelSlot()).
// A multishot operation that re-arms faster than a cancel finds it is ended
// by letting the CQ fill (streamCancelled()). What no cancel reaches (an
// entry in the kernel's drain queue that will never leave it: see
// CLOSE_GRACE_MS) close() gives up on after a bounded wait, and keeps its
// memory for the life of the process (#abandon()).
//
// The hot path (a lone operation with no options: most reads and writes)
// allocates the promise and nothing else. Its encoder runs straight into
// the SQE with the arguments as they came, not through a closure; the
// slot's state is typed arrays, except for the two settle functions; the
// CQEs are read as words. A closure is made only for an operation that has
// to wait for room. (bench/randread.ts --api async against the raw ring.)

import { inspect, type InspectOptionsStylized } from 'node:util';
import * as ffi from '../../ffi/index.ts';
import { IoUringError } from '../errors.ts';
import { IoUring } from '../ring/io-uring.ts';
import type { IoUringOptions } from '../ring/options.ts';
import { makeTimespec, type Timeout } from '../ring/timespec.ts';
import type { Sqe } from '../ring/sqe.ts';
import { addressFor, bury } from '../ring/memory.ts';
import { prepRw } from '../prep/rw.ts';
import {
  IORING_ASYNC_CANCEL_USERDATA, IORING_CQE_F_MORE, IORING_CQE_F_NOTIF, IORING_OP_ASYNC_CANCEL, IORING_OP_LINK_TIMEOUT,
  IORING_REGISTER_SYNC_CANCEL, IORING_SETUP_DEFER_TASKRUN, IOSQE_ASYNC, IOSQE_CQE_SKIP_SUCCESS, IOSQE_FIXED_FILE, IOSQE_IO_DRAIN, IOSQE_IO_LINK,
} from '../uapi/constants.ts';
import { __kernel_timespec, io_uring_sync_cancel_reg } from '../uapi/layout.ts';
import { createWaker, type Waker } from './waker.ts';
import { BufferPool, MultishotIterator } from './multishot.ts';
import { ERRNO } from '../errno.ts';

const SLOT_BITS = 20;
const SLOT_SPAN = 1 << SLOT_BITS;
const SLOT_MASK = SLOT_SPAN - 1;
export const MAX_CHAIN = 64;
const FLUSHES_PER_TURN = 16;
const GEN_SPAN = 2 ** 26;
/** Where message user_data start (see msgRing): 2^52, the high word 0x100000. */
export const MSG_BASE = 2 ** 52;
const MSG_HI = 0x100000;
const { ECANCELED, ETIME, ENOBUFS, EINTR, EINVAL, EALREADY } = ERRNO;
/**
 * How long close() waits, after cancelling, for the kernel to let go of
 * every operation before it gives up on the rest (#abandon()). Most end in
 * microseconds; io-wq work is signalled by the cancel and ends in
 * milliseconds. What is left by then may never end while the ring is open:
 * since Linux 6.16 (io_uring.c: "drain based on allocated reqs") an entry
 * deferred for IOSQE_IO_DRAIN leaves the drain queue only once every request
 * allocated on the ring is in that queue, and a zero-copy send allocates its
 * notification request when it is prepared, before it is deferred
 * (io_send_zc_prep, io_alloc_notif in notif.c), and that request is never
 * counted as queued. So a SEND_ZC or SENDMSG_ZC submitted while the ring is
 * in drain mode (ctx->drain_active: from an IOSQE_IO_DRAIN entry until a
 * later entry finds nothing else in flight) waits there forever, and so does
 * every entry after it, ASYNC_CANCELs included; IORING_REGISTER_SYNC_CANCEL
 * does not look in that queue (cancel.c). Only closing the ring fd ends them
 * (io_ring_exit_work fails the queue with -ECANCELED). Seen on 6.18 with a
 * raw ring: a NOP with IOSQE_IO_DRAIN, then a SEND_ZC: neither the send, a
 * NOP after it nor a cancel of it posts a CQE, and a plain NOP between the
 * two avoids it (tests/async-hangs.test.ts reproduces it through AsyncRing).
 */
const CLOSE_GRACE_MS = 2000;
/** The position a multishot operation's own cancels post under (a stream is never a chain). */
const CANCEL_POS = MAX_CHAIN - 1;
/** SQE flags an operation may ask for (the rest are this layer's to set). */
const USER_SQE_FLAGS = IOSQE_FIXED_FILE | IOSQE_IO_DRAIN | IOSQE_ASYNC;

// A slot's state bits.
const LIVE = 1; // an operation holds the slot
const TIMEOUT = 2; // it has a linked timeout (its timespec in `timespecs`)
const CHAIN = 4; // a chain: each position's res collected in `chains`
const SIGNAL = 8; // an abort listener in `listeners`
const OUT = 16; // what the encoder returned, in `outs`, for the mapper
const OPTS = 64; // a signal or keep list in `signals` / `keepLists`
const DRAIN = 128; // an entry of it has IOSQE_IO_DRAIN (counted in `drains`)
/** A zero-copy send: it settles on the notification CQE. */
export const ZC = 32;

export interface LoopRingOptions extends IoUringOptions {
  /** SQ entries (default 256). */
  entries?: number;
  /**
   * How completions wake the loop: 'auto' (default: 'poll' on the main
   * thread, 'eventfd' in a worker_thread, whose teardown it survives),
   * 'poll', 'doorbell' or 'eventfd'.
   */
  waker?: 'auto' | 'poll' | 'doorbell' | 'eventfd';
}

/** Options every operation takes. */
export interface OpOptions {
  /** Cancels the operation in the kernel; the promise rejects with an AbortError once the kernel has let go. */
  signal?: AbortSignal;
  /** A linked timeout (IORING_OP_LINK_TIMEOUT): past it the operation is cancelled and rejects with ETIME. */
  timeout?: Timeout;
  /** Objects to keep referenced until the operation's final CQE (memory its entry points at). */
  keep?: readonly unknown[];
  /** The fd is an index into the registered file table (IOSQE_FIXED_FILE). */
  fixedFile?: boolean;
  /** More SQE flags: IOSQE_IO_DRAIN, IOSQE_ASYNC (links are chain()'s). */
  flags?: number;
}

/** Options of a multishot operation: no linked timeout (it would end the operation). */
export type MultishotOptions = Omit<OpOptions, 'timeout'>;

/** A message another ring posted with msgRing. */
export interface RingMessage {
  /** The value sent. */
  data: number;
  /** The `len` sent (the CQE's res). */
  len: number;
}

export type Prep = (sqe: Sqe) => unknown;
/** An encoder called with an operation's arguments as they came; what it returns reaches the mapper. */
type Encoder = (sqe: Sqe, a: any, b: any, c: any, d: any, e: any, f: any) => unknown;
/** Turns a successful res (and what the encoder returned) into the promise's value. */
export type Mapper = (res: number, out: unknown) => unknown;

// An operation waiting for room in the SQ or CQ.
interface Waiting {
  slot: number;
  preps: Prep[];
  opts: OpOptions | undefined;
}

/** How a multishot operation turns its CQEs into an iterator's values. */
export interface StreamHow<T> {
  // A CQE's value for the iterator, or undefined for none.
  value: (res: number, flags: number) => T | undefined;
  // Re-arm after a final CQE that was not an end (a value, or ENOBUFS)?
  rearm: boolean;
  // True once a final CQE with a value is the natural end (the last tick).
  finished?: () => boolean;
  // Lets go of a value nobody will read.
  discard: (v: T) => void;
  pool: BufferPool | null;
  ownPool?: boolean;
}

// A multishot operation: what feeds its iterator from each CQE.
interface Stream {
  it: MultishotIterator<unknown>;
  value: (res: number, flags: number) => unknown;
  rearm: boolean;
  finished: (() => boolean) | undefined;
  preps: Prep[];
  opts: OpOptions | undefined;
  pool: BufferPool | null;
  ownPool: boolean;
  // This arming has posted a CQE with F_MORE: it was multishot when it ended.
  sawMore: boolean;
  // Re-armed after ENOBUFS, and no value since.
  starved: boolean;
  // Cancels of it that found nothing while it went on posting (see streamCancelled).
  misses: number;
  // Cancel it again at its next CQE.
  recancel: boolean;
  // The ring's `overflows` when it was last armed.
  overflows: number;
}

export function abortError(signal: AbortSignal): Error {
  let reason: unknown;
  try {
    reason = signal.reason;
  } catch {
    // A signal-like object whose getter throws: the abort stands without a cause.
  }
  const err = new DOMException('The operation was aborted', 'AbortError');
  if (reason !== undefined) Object.defineProperty(err, 'cause', { value: reason });
  return err;
}

function sqeFlags(flags: unknown, fixedFile: unknown): number {
  flags ??= 0;
  if (typeof flags !== 'number' || (flags >>> 0) !== flags || (flags & ~USER_SQE_FLAGS) !== 0) {
    throw new RangeError(`flags may hold IOSQE_FIXED_FILE, IOSQE_IO_DRAIN and IOSQE_ASYNC only (got ${typeof flags === 'number' ? `0x${flags.toString(16)}` : typeof flags}); chain() links`);
  }
  return flags | (fixedFile ? IOSQE_FIXED_FILE : 0);
}

// What take() read of an operation's options, each property once (a getter
// or Proxy answers once; nothing later reads the caller's object again).
let optSignal: AbortSignal | undefined;
let optKeep: unknown[] | undefined;
let optFlags = 0;
let optTimespec: Uint8Array | undefined;
let optAborted = false;

// The options an operation's entries are written from, checked before any
// is: a bad one found halfway would leave a linked entry in the SQ. Throws
// for a bad one; the results are in opt*.
function readOptions(opts: OpOptions): void {
  optSignal = undefined;
  optKeep = undefined;
  optTimespec = undefined;
  optAborted = false;
  if (opts === null || typeof opts !== 'object') throw new TypeError('options must be an object');
  const { signal, keep, flags, fixedFile, timeout } = opts;
  let aborted = false;
  if (signal !== undefined) {
    aborted = signal !== null && typeof signal === 'object' ? signal.aborted : (undefined as unknown as boolean);
    if (typeof aborted !== 'boolean' || typeof signal.addEventListener !== 'function' || typeof signal.removeEventListener !== 'function') {
      throw new TypeError('signal must be an AbortSignal');
    }
  }
  let kept: unknown[] | undefined;
  if (keep !== undefined) {
    if (!Array.isArray(keep)) throw new TypeError('keep must be an array of what to hold until the final CQE');
    kept = Array.prototype.slice.call(keep); // what it holds now: the caller's array may change
  }
  optFlags = sqeFlags(flags, fixedFile);
  if (timeout !== undefined) optTimespec = makeTimespec(timeout);
  optSignal = signal;
  optKeep = kept;
  optAborted = aborted;
}

interface Anchor {
  strong: LoopRing | null;
  weak: WeakRef<LoopRing>;
}

// The waker's callback, made here so that it closes over the anchor alone
// (a closure made in the constructor would share its context, `this` included).
function wakeThrough(anchor: Anchor): () => void {
  return () => {
    const r = anchor.strong ?? anchor.weak.deref();
    if (r !== undefined) r['onWake']();
  };
}

// A LoopRing collected without close(): it had nothing in flight (the anchor
// holds it strongly while it has), so its ring can be closed as close()
// would, once libuv has let go of the waker's watcher.
const dropped = new FinalizationRegistry<{ ring: IoUring; waker: Waker; cell: Int32Array }>(({ ring, waker, cell }) => {
  shutTarget(cell);
  void waker.close().then(() => closeWhenUnsent(ring, cell));
});

// A ring's message cell, shared with every thread that holds its
// messageTarget: word 0 is 1 while the ring takes messages, word 1 counts
// senders between their check and their MSG_RING's own CQE. While that
// count is above 0 the ring fd stays open, so its number can't be reused by
// another ring and reached by a message meant for this one.
export const TARGET_OPEN = 0;
export const TARGET_SENDERS = 1;

// Atomics.waitAsync (V8 8.7, Node 16), which this package's TypeScript libs do not declare.
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

function shutTarget(cell: Int32Array): void {
  Atomics.store(cell, TARGET_OPEN, 0); // seq-cst: a sender that counted itself after this sees it
}

// Closes `ring` once no sender is mid-send (at once, almost always). A
// sender that never finishes (a worker terminated mid-send) leaves the fd
// open for the life of the process: a leak is safe, a reused number is not.
// `drainMs` is IoUring.close()'s wait for its own cancel and drain NOP:
// undefined for its default, 0 when entries are known to be stuck (its
// entries would wait behind them; it then keeps the ring's memory instead).
function closeWhenUnsent(ring: IoUring, cell: Int32Array, drainMs?: number): void {
  const n = Atomics.load(cell, TARGET_SENDERS);
  if (n === 0) {
    ring.close(drainMs);
    return;
  }
  const w = waitAsync(cell, TARGET_SENDERS, n);
  if (w.async) void w.value.then(() => closeWhenUnsent(ring, cell, drainMs));
  else closeWhenUnsent(ring, cell, drainMs);
}

/** A ring driven by Node's event loop: AsyncRing is its named operations. */
export class LoopRing implements AsyncDisposable {
  /** The ring underneath, for what this layer does not wrap. */
  readonly ring: IoUring;
  private readonly waker: Waker;
  private readonly deferred: boolean;
  // Per slot. Numbers in typed arrays (no write barrier, no boxing): the
  // generation, the state bits, the SQE flags asked for, a chain's length
  // and CQEs in, a zero-copy send's result (NaN until its CQE). Objects in
  // arrays: the settle functions and the name, always; the rest only while
  // a state bit says so.
  private slots = 0;
  private gens = new Int32Array(64);
  private bits = new Uint8Array(64);
  private sqeFlagsOf = new Uint8Array(64);
  private chainLens = new Uint8Array(64);
  private chainDone = new Uint8Array(64);
  private zcRes = new Float64Array(64);
  private readonly resolves: (((v: unknown) => void) | undefined)[] = [];
  private readonly rejects: (((e: unknown) => void) | undefined)[] = [];
  private readonly names: string[] = [];
  private readonly maps: (Mapper | undefined)[] = [];
  private readonly outs: unknown[] = [];
  private readonly aborted: (AbortSignal | undefined)[] = [];
  // The operation's signal and keep list, as take() read them.
  private readonly signals: (AbortSignal | undefined)[] = [];
  private readonly keepLists: (unknown[] | undefined)[] = [];
  // A linked timeout's __kernel_timespec, made when the operation started.
  private readonly timespecs: (Uint8Array | undefined)[] = [];
  private readonly listeners: ((() => void) | undefined)[] = [];
  private readonly chains: (number[] | undefined)[] = [];
  private readonly streams: (Stream | undefined)[] = [];
  private readonly free: number[] = [];
  // CQEs the kernel may still post for the single-shot operations in flight
  // (multishot ones reserve none): new ones wait, for a turn of the loop at
  // most, while it is over the CQ size (see relieve()).
  private expected = 0;
  private readonly cqLimit: number;
  private inflight = 0;
  private readonly backlog: Waiting[] = [];
  private flushQueued = false;
  private closing: Promise<void> | null = null;
  // Set the moment close() is called, before it submits its cancels.
  private closed = false;
  private readonly flushFn = () => this.flush();
  // Live operations with an IOSQE_IO_DRAIN entry: while any is, a cancel may
  // be held back behind one, and goes through IORING_REGISTER_SYNC_CANCEL.
  private drains = 0;
  // An IOSQE_IO_DRAIN entry was ever issued: the kernel may hold the ring in
  // drain mode, where a zero-copy send waits forever (see CLOSE_GRACE_MS).
  private drainSeen = false;
  // struct io_uring_sync_cancel_reg for syncCancel(), made once; null once
  // the kernel has said it has no synchronous cancel (before Linux 6.0).
  private syncArg: Uint8Array | null = null;
  private readonly syncWords: Uint32Array;
  // The entries issue() has taken for the operation it is writing.
  private readonly taken: Sqe[] = [];
  // Set while reap() walks the CQ: nothing then may submit or reap again.
  private reaping = false;
  // CQEs at the head of the CQ already handled but not handed back, and the
  // stream that holds them back (see starve()).
  private peeked = 0;
  private starving: Stream | null = null;
  private starvingSlot = 0;
  // Times reap() found CQEs in the kernel's overflow list.
  private overflows = 0;
  private reapQueued = false;
  private readonly reapLater = () => {
    this.reapQueued = false;
    if (this.ring.isClosed) return;
    if (this.deferred) this.ring.getEvents();
    this.reap();
  };
  // One executor for every promise, made once: it puts the settle
  // functions in the slot `executorSlot` names.
  private executorSlot = 0;
  private readonly executor = (resolve: (v: unknown) => void, reject: (e: unknown) => void) => {
    this.resolves[this.executorSlot] = resolve;
    this.rejects[this.executorSlot] = reject;
  };
  // Why take() refused an operation.
  private refusal: unknown = null;
  private inbox: MultishotIterator<RingMessage> | null = null;
  private readonly early: RingMessage[] = [];
  private readonly pools = new Set<BufferPool>();
  private readonly freeGroups: number[] = [];
  private nextGroup = 0;
  // Streams whose operation ended with ENOBUFS, waiting for a buffer, by slot.
  private readonly parked = new Map<number, Stream>();
  // Microtask flushes since the loop last turned (see FLUSHES_PER_TURN).
  private flushesThisTurn = 0;
  // A setImmediate of newTurn is pending.
  private turnQueued = false;
  // The loop turned: count flushes afresh, and let the process go if
  // nothing is in flight any more (see rearmOrIdle).
  private readonly newTurn = () => {
    this.turnQueued = false;
    this.flushesThisTurn = 0;
    if (this.backlog.length > 0 && !this.ring.isClosed) this.#relieve();
    if (!this.ring.isClosed && this.inflight === 0 && this.inbox === null) {
      this.waker.disarm();
      this.anchor.strong = null; // nothing in flight: collectable (see dropped)
    }
  };
  // What the waker's callback reaches this ring through: strongly while
  // anything is in flight, weakly otherwise, so a ring dropped idle is
  // collected and `dropped` closes it.
  private readonly anchor: Anchor = { strong: null, weak: new WeakRef(this) };
  /** @internal the message cell (see TARGET_OPEN) */
  protected readonly targetCell = new Int32Array(new SharedArrayBuffer(8));
  // Set while close() waits for the last in-flight operation.
  private drained: (() => void) | null = null;

  constructor(options: LoopRingOptions = {}) {
    const { entries = 256, waker = 'auto', ...ringOptions } = options;
    this.ring = new IoUring(entries, ringOptions);
    this.deferred = (this.ring.flags & IORING_SETUP_DEFER_TASKRUN) !== 0;
    this.cqLimit = this.ring.cqEntries;
    this.syncArg = new Uint8Array(new ArrayBuffer(io_uring_sync_cancel_reg.sizeof));
    // fd -1 (no IORING_ASYNC_CANCEL_FD); timeout { 0, 0 }: a match the
    // kernel can't stop at once (running in io-wq, signalled) is left to
    // post its CQE, instead of blocking the event loop until it does.
    new DataView(this.syncArg.buffer).setInt32(io_uring_sync_cancel_reg.fd, -1, true);
    this.syncWords = new Uint32Array(this.syncArg.buffer);
    try {
      this.waker = createWaker(this.ring, wakeThrough(this.anchor), waker);
    } catch (err) {
      this.ring.close();
      throw err;
    }
    this.newSlot(); // slot 0: the library's own entries
    Atomics.store(this.targetCell, TARGET_OPEN, 1);
    dropped.register(this, { ring: this.ring, waker: this.waker, cell: this.targetCell }, this.anchor);
  }

  /** Operations started and not yet settled (multishot operations included, parked ones waiting for a buffer too). */
  get pending(): number {
    return this.inflight + this.backlog.length + this.parked.size;
  }

  // ------------------------------------------------------------ starting

  /**
   * Starts a lone operation whose entry `enc` writes, called as
   * `enc(sqe, a, b, c, d, e, f)`; resolves with `map(res, what enc
   * returned)`, or res itself without a mapper. `bits` is 0 or ZC. (Typed
   * `any`: the named operation's declared return type says what it is.)
   */
  protected op(name: string, bits: number, opts: OpOptions | undefined, map: Mapper | undefined, enc: (sqe: Sqe) => unknown): Promise<any>;
  protected op<A>(name: string, bits: number, opts: OpOptions | undefined, map: Mapper | undefined, enc: (sqe: Sqe, a: A) => unknown, a: A): Promise<any>;
  protected op<A, B>(name: string, bits: number, opts: OpOptions | undefined, map: Mapper | undefined, enc: (sqe: Sqe, a: A, b: B) => unknown, a: A, b: B): Promise<any>;
  protected op<A, B, C>(
    name: string, bits: number, opts: OpOptions | undefined, map: Mapper | undefined, enc: (sqe: Sqe, a: A, b: B, c: C) => unknown, a: A, b: B, c: C,
  ): Promise<any>;
  protected op<A, B, C, D>(
    name: string, bits: number, opts: OpOptions | undefined, map: Mapper | undefined, enc: (sqe: Sqe, a: A, b: B, c: C, d: D) => unknown,
    a: A, b: B, c: C, d: D,
  ): Promise<any>;
  protected op<A, B, C, D, E>(
    name: string, bits: number, opts: OpOptions | undefined, map: Mapper | undefined, enc: (sqe: Sqe, a: A, b: B, c: C, d: D, e: E) => unknown,
    a: A, b: B, c: C, d: D, e: E,
  ): Promise<any>;
  protected op<A, B, C, D, E, F>(
    name: string, bits: number, opts: OpOptions | undefined, map: Mapper | undefined, enc: (sqe: Sqe, a: A, b: B, c: C, d: D, e: E, f: F) => unknown,
    a: A, b: B, c: C, d: D, e: E, f: F,
  ): Promise<any>;
  protected op(
    name: string, bits: number, opts: OpOptions | undefined, map: Mapper | undefined, enc: Encoder,
    a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, f?: unknown,
  ): Promise<unknown> {
    const slot = this.take(name, bits, opts, map, 1);
    if (slot < 0) return this.refused();
    const p = this.promise(slot, opts);
    if (opts !== undefined && !this.live(slot)) return p; // its signal refused to be watched: settled
    if (this.backlog.length === 0 && this.fits(this.need(slot, 1, opts))) {
      this.issue(slot, opts, null, enc, a, b, c, d, e, f);
    } else {
      this.backlog.push({ slot, opts, preps: [(sqe) => enc(sqe, a, b, c, d, e, f)] });
    }
    this.scheduleFlush();
    return p;
  }

  /** Starts `preps` as one IOSQE_IO_LINK chain; resolves with each res in order. */
  protected chainOp(preps: Prep[], opts: OpOptions | undefined): Promise<number[]> {
    const slot = this.take('chain', CHAIN, opts, undefined, preps.length);
    if (slot < 0) return this.refused() as Promise<never>;
    this.chains[slot] = [];
    const p = this.promise(slot, opts);
    if (opts !== undefined && !this.live(slot)) return p as Promise<number[]>;
    this.enqueue(slot, preps, opts);
    return p as Promise<number[]>;
  }

  /** Starts a multishot operation whose entry `preps[0]` writes (again at each re-arm). */
  protected stream<T>(name: string, preps: Prep[], opts: MultishotOptions | undefined, how: StreamHow<T>): AsyncIterableIterator<T> {
    let refusal: unknown = null;
    try {
      if ((opts as OpOptions | undefined)?.timeout !== undefined) refusal = new TypeError('a multishot operation takes no linked timeout (it would end it); use signal');
    } catch (err) {
      refusal = err;
    }
    if (refusal !== null) {
      if (how.ownPool) how.pool!.free();
      return failedIterator(refusal);
    }
    let slot = -1;
    const it = new MultishotIterator<T>(() => {
      if (slot >= 0) this.stopStream(slot);
    }, how.discard);
    const stream: Stream = {
      it: it as MultishotIterator<unknown>,
      value: how.value,
      rearm: how.rearm,
      finished: how.finished,
      preps,
      opts,
      pool: how.pool,
      ownPool: how.ownPool ?? false,
      sawMore: false,
      starved: false,
      misses: 0,
      recancel: false,
      overflows: 0,
    };
    if (how.pool !== null) how.pool.users++;
    slot = this.take(name, 0, opts, undefined, 1);
    if (slot < 0) {
      this.endPool(stream);
      it.end(this.takeRefusal());
      return it;
    }
    this.streams[slot] = stream;
    if (this.bits[slot]! & TIMEOUT) {
      // A getter that answered undefined above and a timeout to take().
      this.settle(slot, 0, new TypeError('a multishot operation takes no linked timeout (it would end it); use signal'));
      return it;
    }
    if (opts !== undefined && !this.watchStored(slot)) return it;
    this.enqueue(slot, preps, opts);
    return it;
  }

  // Takes a slot for an operation, its options checked first; -1 (the
  // reason in `refusal`) when the ring is closed or an option is bad.
  private take(name: string, bits: number, opts: OpOptions | undefined, map: Mapper | undefined, entries: number): number {
    if (this.closed) return this.refuse(new IoUringError(ECANCELED, name, undefined, 'the AsyncRing is closed'));
    let flags = 0;
    let timespec: Uint8Array | undefined;
    if (opts !== undefined) {
      try {
        readOptions(opts);
      } catch (err) {
        return this.refuse(err);
      }
      if (optAborted) return this.refuse(abortError(optSignal!));
      flags = optFlags;
      timespec = optTimespec;
    }
    const slot = this.free.pop() ?? this.newSlot();
    if (opts !== undefined && (optSignal !== undefined || optKeep !== undefined)) {
      this.signals[slot] = optSignal;
      this.keepLists[slot] = optKeep;
      bits |= OPTS;
    }
    this.names[slot] = name;
    this.maps[slot] = map;
    this.sqeFlagsOf[slot] = flags;
    this.chainLens[slot] = entries;
    this.chainDone[slot] = 0;
    if (bits & ZC) this.zcRes[slot] = NaN;
    if (timespec !== undefined) {
      this.timespecs[slot] = timespec;
      bits |= TIMEOUT;
    }
    this.bits[slot] = bits | LIVE;
    return slot;
  }

  private refuse(err: unknown): number {
    this.refusal = err;
    return -1;
  }

  private takeRefusal(): unknown {
    const err = this.refusal;
    this.refusal = null;
    return err;
  }

  private refused(): Promise<never> {
    return Promise.reject(this.takeRefusal());
  }

  // The slot's promise, and its signal watched: before issuing, since an
  // encoder that throws settles the slot at once, and settle() must find
  // the listener to remove.
  private promise(slot: number, opts: OpOptions | undefined): Promise<unknown> {
    this.executorSlot = slot;
    const p = new Promise<unknown>(this.executor);
    if (opts !== undefined) this.watchStored(slot);
    return p;
  }

  private enqueue(slot: number, preps: Prep[], opts: OpOptions | undefined): void {
    if (this.backlog.length > 0 || !this.#room(slot, preps.length, opts)) {
      this.backlog.push({ slot, preps, opts });
    } else {
      this.issue(slot, opts, preps, null);
    }
    this.scheduleFlush();
  }

  // CQEs an operation may post: one per entry, a linked timeout's, and a
  // zero-copy send's notification.
  private need(slot: number, entries: number, opts: OpOptions | undefined): number {
    return entries + (this.bits[slot]! & TIMEOUT ? 1 : 0) + (this.bits[slot]! & ZC && Number.isNaN(this.zcRes[slot]) ? 1 : 0);
  }

  private live(slot: number): boolean {
    return (this.bits[slot]! & LIVE) !== 0;
  }

  private newSlot(): number {
    const slot = this.slots;
    if (slot >= SLOT_SPAN) throw new RangeError(`more than ${SLOT_SPAN - 1} operations pending`);
    if (slot === this.gens.length) {
      const grow = <T extends Int32Array | Uint8Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.gens = grow(this.gens);
      this.bits = grow(this.bits);
      this.sqeFlagsOf = grow(this.sqeFlagsOf);
      this.chainLens = grow(this.chainLens);
      this.chainDone = grow(this.chainDone);
      this.zcRes = grow(this.zcRes);
    }
    this.slots++;
    // A random first generation: a CQE this ring did not ask for (a msgRing
    // aimed at its fd) can't name a live operation by guessing small numbers.
    this.gens[slot] = Math.floor(Math.random() * GEN_SPAN);
    this.resolves.push(undefined);
    this.rejects.push(undefined);
    this.names.push('');
    this.maps.push(undefined);
    this.outs.push(undefined);
    this.aborted.push(undefined);
    this.signals.push(undefined);
    this.keepLists.push(undefined);
    this.timespecs.push(undefined);
    this.listeners.push(undefined);
    this.chains.push(undefined);
    this.streams.push(undefined);
    return slot;
  }

  private userData(slot: number, position = 0): number {
    return (this.gens[slot]! * MAX_CHAIN + position) * SLOT_SPAN + slot;
  }

  // Room for `need` more SQEs, and for their CQEs in the CQ, with two of
  // each held back for the doorbell waker's POLL_ADD and WRITE.
  private fits(need: number): boolean {
    return this.expected + need + 2 <= this.cqLimit && this.ring.sqSpaceLeft() >= need + 2;
  }

  // fits() for any operation: a multishot one needs SQ room only. Its CQEs
  // are not reserved in the CQ (an armed receive may wait for hours, and
  // reserving a slot for each froze a ring at CQ-size connections): when
  // they find it full, the kernel ends the operation, keeps the final CQE in
  // its overflow list (IORING_FEAT_NODROP), reap() flushes it, and the
  // iterator re-arms.
  #room(slot: number, entries: number, opts: OpOptions | undefined): boolean {
    if (this.streams[slot] !== undefined) return this.ring.sqSpaceLeft() >= entries + 2;
    return this.fits(this.need(slot, entries, opts));
  }

  // At each turn of the loop, what still waits for CQ room goes to the kernel
  // anyway, as the SQ takes it: what is in flight may not complete for a long
  // time (idle connections), and nothing may wait forever behind it. Should
  // more CQEs then arrive at once than the CQ holds, the kernel keeps the
  // rest (IORING_FEAT_NODROP, Linux 5.5) and reap() flushes them in order.
  #relieve(): void {
    while (this.backlog.length > 0 && !this.ring.isClosed) {
      let issued = 0;
      while (this.backlog.length > 0) {
        const w = this.backlog[0]!;
        const entries = w.preps.length + (this.bits[w.slot]! & TIMEOUT ? 1 : 0);
        if (this.ring.sqSpaceLeft() < entries + 2) break;
        this.backlog.shift();
        this.issue(w.slot, w.opts, w.preps, null);
        issued++;
      }
      if (issued === 0 && this.ring.sqReady() === 0) break;
      this.flush(); // submits, which frees the SQ for the rest
    }
  }

  // Arms the waker, counting the CQEs a doorbell's entries will post.
  private arm(): void {
    this.anchor.strong = this;
    this.expected += this.waker.arm();
  }

  // Writes the operation's entries: preps[i] writes the i-th of a chain or a
  // re-armed stream; a lone operation's one entry is `enc(sqe, a...f)`.
  private issue(
    slot: number, opts: OpOptions | undefined, preps: Prep[] | null, enc: Encoder | null,
    a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, f?: unknown,
  ): void {
    const ring = this.ring;
    const n = preps === null ? 1 : preps.length;
    const link = (this.bits[slot]! & TIMEOUT) !== 0;
    const extra = this.sqeFlagsOf[slot]!;
    const keep = this.bits[slot]! & OPTS ? this.keepLists[slot] : undefined;
    // user_data's two words: generation * 2^26 + position * 2^20 + slot.
    const gen = this.gens[slot]!;
    const lo = (((gen & 63) << 26) | slot) >>> 0;
    const hi = gen >>> 6;
    let drain = (extra & IOSQE_IO_DRAIN) !== 0;
    for (let i = 0; i < n; i++) {
      const sqe = ring.getSqe()!;
      this.taken[i] = sqe;
      let out: unknown;
      try {
        out = preps === null ? enc!(sqe, a, b, c, d, e, f) : preps[i]!(sqe);
        const written = sqe.flags;
        if (written & (IOSQE_CQE_SKIP_SUCCESS | IOSQE_IO_DRAIN)) {
          // Success would post no CQE, and the promise would never settle.
          if (written & IOSQE_CQE_SKIP_SUCCESS) throw new RangeError('an encoder given to run() or chain() may not set IOSQE_CQE_SKIP_SUCCESS: the operation settles on its CQE');
          drain = true;
        }
      } catch (err) {
        this.#withdraw(i + 1);
        this.settle(slot, 0, err);
        return;
      }
      if (out !== undefined) {
        this.outs[slot] = out;
        this.bits[slot] = this.bits[slot]! | OUT;
      }
      if (keep !== undefined) for (let k = 0; k < keep.length; k++) sqe.keep(keep[k]);
      const u = sqe.u32;
      u[sqe.w + 8] = (lo + i * SLOT_SPAN) >>> 0;
      u[sqe.w + 9] = hi;
      const flags = extra | (i < n - 1 || link ? IOSQE_IO_LINK : 0);
      if (flags !== 0) sqe.flags |= flags;
    }
    if (link) {
      const t = ring.getSqe()!;
      const ts = this.timespecs[slot]!;
      prepRw(IORING_OP_LINK_TIMEOUT, t, -1, addressFor(ts, __kernel_timespec.sizeof, 'timeout'), 1, 0);
      t.keep(ts);
      t.userData = 0;
    }
    const st = this.streams[slot];
    if (st === undefined) this.expected += this.need(slot, n, opts);
    else st.overflows = this.overflows;
    if (drain) {
      this.bits[slot] = this.bits[slot]! | DRAIN;
      this.drains++;
      this.drainSeen = true;
    }
    this.inflight++;
  }

  // Takes back the `count` entries issue() wrote for an operation it then
  // refused (nothing has been submitted since): the ring leaves them out at
  // the next submit, so no part of a refused chain runs, no CQE comes, and no
  // memory stays kept. (Sent as NOPs that post nothing, they would turn
  // IOSQE_IO_DRAIN off on the ring for good: see IoUring's dropUnprepared.)
  #withdraw(count: number): void {
    for (let i = 0; i < count; i++) this.taken[i]!.unprepare();
  }

  // Watches the signal take() stored, if any; false (the slot settled with
  // the error) when the signal-like object's addEventListener throws.
  private watchStored(slot: number): boolean {
    const signal = this.bits[slot]! & OPTS ? this.signals[slot] : undefined;
    if (signal === undefined) return true;
    try {
      this.watch(slot, signal);
      return true;
    } catch (err) {
      this.settle(slot, 0, err);
      return false;
    }
  }

  private watch(slot: number, signal: AbortSignal): void {
    const gen = this.gens[slot];
    const onAbort = () => {
      if (this.gens[slot] !== gen || !this.live(slot)) return;
      this.aborted[slot] = signal;
      // Still waiting for room (or for buffers): it is not in the kernel.
      const w = this.backlog.findIndex((x) => x.slot === slot);
      if (w >= 0) {
        this.backlog.splice(w, 1);
        this.settle(slot, 0, abortError(signal));
        return;
      }
      if (this.parked.delete(slot)) {
        this.settle(slot, 0, abortError(signal));
        return;
      }
      this.cancelSlot(slot);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    this.listeners[slot] = () => signal.removeEventListener('abort', onAbort);
    this.bits[slot] = this.bits[slot]! | SIGNAL;
  }

  // Cancels every entry of the operation in `slot` (each link of a chain has
  // its own user_data; cancelling the running one fails the rest).
  //
  // An ASYNC_CANCEL entry goes through the SQ, and behind an IOSQE_IO_DRAIN
  // entry whose predecessors never complete the kernel holds every later
  // entry, the cancel included. So while a drain may be in flight, and in
  // close(), the cancel is made with IORING_REGISTER_SYNC_CANCEL, which
  // bypasses the SQ (io_sync_cancel in io_uring/cancel.c), once what is
  // prepared has been submitted. Neither kind finds an entry the kernel still
  // holds in its drain queue (cancel.c looks in io-wq, poll, waitid, futex
  // and timeouts only): for one the synchronous cancel misses, an
  // ASYNC_CANCEL entry follows it into that queue and finds it once it runs.
  // `syncOnly` (close()'s later sweeps) queues no entry.
  private cancelSlot(slot: number, syncOnly = false): void {
    const sync = (this.closed || this.drains > 0) && this.syncArg !== null && !this.reaping;
    if (sync && this.ring.sqReady() > 0) {
      const gen = this.gens[slot];
      this.flush();
      if (this.gens[slot] !== gen || !this.live(slot)) return;
    }
    const n = this.bits[slot]! & CHAIN ? this.chainLens[slot]! : 1;
    const own = this.streams[slot] !== undefined ? this.userData(slot, CANCEL_POS) : 0;
    for (let i = 0; i < n; i++) {
      const ud = this.userData(slot, i);
      if (sync && this.#syncCancel(ud)) continue;
      if (!syncOnly) this.cancel(ud, own);
    }
  }

  // IORING_REGISTER_SYNC_CANCEL of the first entry under `ud`: true when the
  // kernel found it (its CQE follows, or it is running in io-wq and has been
  // signalled), false when it did not (or has no synchronous cancel).
  #syncCancel(ud: number): boolean {
    const arg = this.syncArg!;
    const u = this.syncWords; // addr (u64, words 0 and 1): the user_data to match
    u[0] = ud >>> 0;
    u[1] = Math.floor(ud / 4294967296);
    try {
      this.ring.registerRaw(IORING_REGISTER_SYNC_CANCEL, arg, 1);
      return true;
    } catch (err) {
      const errno = err instanceof IoUringError ? -err.errno : 0;
      if (errno === EINVAL) this.syncArg = null; // no such registration (before Linux 6.0)
      return errno === EALREADY || errno === ETIME;
    }
  }

  // An ASYNC_CANCEL of `ud`; its CQE comes under `own` (the library's 0, or
  // a multishot operation's CANCEL_POS, whose result streamCancelled reads).
  private cancel(ud: number, own = 0): boolean {
    if (this.ring.sqSpaceLeft() < 1) {
      if (this.reaping) return false;
      this.flush(); // the SQ is full of what is being submitted: submit first
    }
    const sqe = this.ring.getSqe();
    if (sqe === null) return false;
    prepRw(IORING_OP_ASYNC_CANCEL, sqe, -1, ud, 0, 0);
    sqe.rwFlags = IORING_ASYNC_CANCEL_USERDATA | 1; // IORING_ASYNC_CANCEL_ALL: every entry under ud; res counts them
    sqe.userData = own;
    this.expected++;
    this.scheduleFlush();
    return true;
  }

  // The CQE of a cancel of the multishot operation in `slot`, still live.
  // Found (res > 0): its final CQE follows. Found nothing: it was between two
  // CQEs. A multishot timeout that fired is off the kernel's timeout list
  // until its task work posts the tick and re-arms it, and with an interval
  // of 0 or 1 us it fires again before any cancel arrives (on a DEFER_TASKRUN
  // ring always: the task work runs inside this thread's own io_uring_enter).
  // So: cancel again right after its next CQE; if that misses too, stop
  // handing CQ slots back (starve) until the CQ is full, which ends any
  // multishot operation (its next CQE finds no room; see the iterator's
  // re-arm in streamCqe, skipped once it is stopping).
  #streamCancelled(slot: number, st: Stream, res: number): void {
    if (res > 0) return;
    if (++st.misses === 1 || this.starving !== null) {
      st.recancel = true;
    } else {
      this.starving = st;
      this.starvingSlot = slot;
    }
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.queueTurn();
    if (++this.flushesThisTurn <= FLUSHES_PER_TURN) queueMicrotask(this.flushFn);
    else setImmediate(this.flushFn);
  }

  // ------------------------------------------------------------- reaping

  // Submit what this tick prepared, reap what completed inline, and leave the
  // waker armed while anything is in flight.
  private flush(): void {
    this.flushQueued = false;
    if (this.ring.isClosed) return;
    if (this.ring.sqReady() > 0) {
      if (this.inflight > 0 || this.inbox !== null) this.arm(); // the doorbell rides along with this submit
      this.ring.submit();
    }
    this.reap();
  }

  private onWake(): void {
    if (this.ring.isClosed) return;
    if (this.deferred) this.ring.getEvents();
    this.reap();
  }

  private reap(): void {
    const ring = this.ring;
    this.reaping = true;
    // At most two CQs' worth a call: CQEs that keep coming as fast as they
    // are read (a multishot timeout of 0 ticks as often as the task enters
    // the kernel) must not keep the loop from turning and the consumer from
    // running. The rest is read after a turn.
    let budget = 2 * this.cqLimit;
    for (;;) {
      let n = ring.cqReady() - this.peeked;
      if (n <= 0) {
        // CQEs the CQ had no room for wait in the kernel's overflow list
        // (IORING_FEAT_NODROP), and the ring fd stays readable until they
        // are flushed into the CQ, in order, as room appears.
        if (!ring.cqHasOverflow()) break;
        this.overflows++;
        if (this.peeked > 0) {
          // Starved full: whatever the kernel had to end is in that list.
          this.starving = null;
          ring.cqAdvance(this.peeked);
          this.peeked = 0;
        }
        ring.getEvents();
        n = ring.cqReady();
        if (n === 0) break;
      }
      if (budget <= 0) {
        this.#queueReap();
        break;
      }
      budget -= n;
      // The CQEs as words: user_data low and high, res, flags.
      const cq = ring.cqes;
      const from = this.peeked;
      for (let i = from; i < from + n; i++) {
        const o = ring.cqeOffset(i);
        const lo = cq[o]!;
        const hi = cq[o + 1]!;
        if (hi >= MSG_HI) {
          // Above 2^53: nothing this layer issued (a raw msg_ring from
          // elsewhere). 2^53 - 1 and - 2: the doorbell's POLL_ADD and WRITE.
          if (hi >= 0x200000) continue;
          if (hi === 0x1fffff && lo >= 0xfffffffe) {
            this.expected--;
            continue;
          }
          this.message({ data: (hi - MSG_HI) * 4294967296 + lo, len: cq[o + 2]! | 0 });
          continue;
        }
        if (lo === 0 && hi === 0) {
          this.expected--; // the library's own: a link timeout, a cancel, a failed encoder's NOP
          continue;
        }
        const slot = lo & SLOT_MASK;
        const flags = cq[o + 3]!;
        const st = this.streams[slot];
        const position = (lo >>> SLOT_BITS) & (MAX_CHAIN - 1);
        const live = hi * 64 + (lo >>> 26) === this.gens[slot] && (this.bits[slot]! & LIVE) !== 0;
        // Counted: every final CQE, a zero-copy send's result (need() counts
        // two for it), and the cancels of a multishot operation. Not: the
        // CQEs of a multishot operation (room() reserves none), or those
        // with F_MORE of whatever a run() encoder started.
        if (st !== undefined && live ? position === CANCEL_POS : !(flags & IORING_CQE_F_MORE) || (st === undefined && this.bits[slot]! & ZC)) this.expected--;
        // Stale (an earlier use of the slot), or not this ring's at all: a
        // position past the operation's entries is nothing it issued.
        if (!live) continue;
        if (position >= this.chainLens[slot]!) {
          if (position === CANCEL_POS && st !== undefined) this.#streamCancelled(slot, st, cq[o + 2]! | 0);
          continue;
        }
        if (st !== undefined) this.streamCqe(slot, st, cq[o + 2]! | 0, flags);
        else this.complete(slot, cq[o + 2]! | 0, flags, position);
      }
      const starving = this.starving;
      if (starving !== null && starving === this.streams[this.starvingSlot] && !ring.cqHasOverflow()) {
        this.peeked += n; // handled, held back: see streamCancelled
      } else {
        this.starving = null;
        ring.cqAdvance(this.peeked + n);
        this.peeked = 0;
      }
    }
    this.reaping = false;
    // Room may have opened for operations that were waiting for it.
    while (this.backlog.length > 0) {
      const w = this.backlog[0]!;
      if (!this.#room(w.slot, w.preps.length, w.opts)) break;
      this.backlog.shift();
      this.issue(w.slot, w.opts, w.preps, null);
    }
    this.rearmOrIdle();
    if (ring.sqReady() > 0) this.scheduleFlush();
  }

  #queueReap(): void {
    if (this.reapQueued) return;
    this.reapQueued = true;
    setImmediate(this.reapLater);
  }

  private queueTurn(): void {
    if (this.turnQueued) return;
    this.turnQueued = true;
    setImmediate(this.newTurn);
  }

  // Keep the waker armed while anything is in flight or a messages() loop
  // waits; let the process go otherwise, at the next turn of the loop if
  // nothing started meanwhile. (Code that awaits one operation and starts
  // the next goes idle after every completion: disarming each time cost
  // two calls into libuv, ref and unref, 5% of a one-CPU round trip,
  // bench/compare.ts --only pinned.)
  private rearmOrIdle(): void {
    if (this.ring.isClosed) return;
    if (this.inflight > 0 || this.inbox !== null) this.arm();
    else this.queueTurn();
  }

  private message(m: RingMessage): void {
    if (this.inbox !== null) this.inbox.push(m);
    else this.early.push(m);
  }

  private complete(slot: number, res: number, flags: number, position: number): void {
    const bits = this.bits[slot]!;
    if (bits & CHAIN) {
      const chain = this.chains[slot]!;
      chain[position] = res;
      if (++this.chainDone[slot]! < this.chainLens[slot]!) return;
      this.inflight--;
      const aborted = this.aborted[slot];
      if (aborted !== undefined && chain.includes(-ECANCELED)) this.settle(slot, 0, abortError(aborted));
      else if (this.closed && chain.includes(-ECANCELED)) this.settle(slot, 0, this.closedError(slot));
      else this.settle(slot, chain as unknown as number, null);
      return;
    }
    if (flags & IORING_CQE_F_MORE) {
      // More CQEs follow, and the operation may still use its memory: it
      // settles on the last one. A zero-copy send keeps its result for then.
      if (bits & ZC && Number.isNaN(this.zcRes[slot])) this.zcRes[slot] = res;
      return;
    }
    if (bits & ZC) {
      const zc = this.zcRes[slot]!;
      if (flags & IORING_CQE_F_NOTIF) {
        res = zc; // the kernel let go of the buffer: settle with the send's result
      } else if (Number.isNaN(zc)) {
        this.expected--; // a zero-copy send that ended without a notification
      }
    }
    this.inflight--;
    if (res >= 0) this.settle(slot, res, null);
    else this.settle(slot, 0, this.failure(slot, res));
  }

  // The error an operation's negative res means, given why it may have ended.
  private failure(slot: number, res: number): unknown {
    const signal = this.aborted[slot];
    if (signal !== undefined && (res === -ECANCELED || res === -EINTR)) return abortError(signal);
    if (res === -ECANCELED && this.closed) return this.closedError(slot);
    if (res === -ECANCELED && this.bits[slot]! & TIMEOUT) {
      return new IoUringError(-ETIME, this.names[slot]!, undefined, 'the operation was cancelled when its linked timeout expired');
    }
    return new IoUringError(res, this.names[slot]!);
  }

  private streamCqe(slot: number, st: Stream, res: number, flags: number): void {
    const v = st.value(res, flags);
    if (v !== undefined) {
      st.starved = false;
      st.it.push(v);
    }
    if (flags & IORING_CQE_F_MORE) {
      st.sawMore = true;
      if (st.recancel && this.cancel(this.userData(slot, 0), this.userData(slot, CANCEL_POS))) st.recancel = false;
      return;
    }
    this.inflight--;
    const stopped = st.it.returned || this.aborted[slot] !== undefined || this.closed;
    // The CQ overflowed since it was armed: its first CQE may have found no
    // room, which ends it as surely as a later one.
    const wasMultishot = st.sawMore || st.overflows !== this.overflows;
    st.sawMore = false;
    if (!stopped && st.rearm && v !== undefined && wasMultishot && !(st.finished?.() ?? false)) {
      // Ended after a value, having been multishot (the kernel stops one
      // whose CQE did not fit the CQ): not the end of the stream. One that
      // ends on its first value is one-shot on this file (a poll of a
      // regular file): re-arming it would spin, so it ends here.
      this.reissue(slot, st);
      return;
    }
    if (!stopped && res === -ENOBUFS && st.pool !== null && !st.starved) {
      // Every buffer is out: go on once the consumer releases one. (Twice
      // in a row with no data between would mean the pool's count is wrong:
      // then it ends with the error rather than spin.)
      st.starved = true;
      this.parked.set(slot, st);
      st.pool.whenAvailable(() => {
        // Only if this stream still waits here: one left or aborted since
        // may have handed the slot to another.
        if (this.parked.get(slot) !== st) return;
        this.parked.delete(slot);
        this.reissue(slot, st);
      });
      return;
    }
    // The end: clean at end of stream, after the consumer left, or after
    // the last tick; thrown for an abort, a close, or the kernel's error.
    let error: unknown = null;
    const signal = this.aborted[slot];
    if (st.it.returned) error = null;
    else if (signal !== undefined) error = abortError(signal);
    else if (res < 0 && v === undefined) error = this.failure(slot, res);
    else if (this.closed && st.rearm && v !== undefined && wasMultishot && !(st.finished?.() ?? false)) error = this.closedError(slot); // ended by the kernel, not re-armed for the close
    this.finishStream(slot, st, error);
  }

  // The consumer left the loop: cancel in the kernel, or, if the operation
  // is parked waiting for buffers or room, end it here.
  private stopStream(slot: number): void {
    const st = this.streams[slot];
    if (st === undefined || this.closed) return;
    const w = this.backlog.findIndex((x) => x.slot === slot);
    if (w >= 0) {
      this.backlog.splice(w, 1);
      this.finishStream(slot, st, null);
      return;
    }
    if (this.parked.get(slot) === st) {
      this.parked.delete(slot);
      this.finishStream(slot, st, null);
      return;
    }
    this.cancelSlot(slot);
  }

  private reissue(slot: number, st: Stream): void {
    if (this.closed) {
      this.finishStream(slot, st, this.closedError(slot));
      return;
    }
    this.enqueue(slot, st.preps, st.opts);
  }

  private finishStream(slot: number, st: Stream, error: unknown): void {
    this.streams[slot] = undefined;
    this.release(slot);
    this.endPool(st);
    st.it.end(error);
  }

  private endPool(st: Stream): void {
    if (st.pool === null) return;
    st.pool.users--;
    if (st.ownPool) st.pool.free();
  }

  private closedError(slot: number): IoUringError {
    return new IoUringError(-ECANCELED, this.names[slot]!, undefined, 'the AsyncRing was closed before the operation completed');
  }

  private settle(slot: number, value: number, error: unknown): void {
    const st = this.streams[slot];
    if (st !== undefined) {
      this.finishStream(slot, st, error);
      return;
    }
    const resolve = this.resolves[slot]!;
    const reject = this.rejects[slot]!;
    const map = this.maps[slot];
    const out = this.bits[slot]! & OUT ? this.outs[slot] : undefined;
    this.resolves[slot] = undefined;
    this.rejects[slot] = undefined;
    this.release(slot);
    if (error !== null) reject(error);
    else if (map !== undefined) {
      try {
        resolve(map(value, out));
      } catch (err) {
        reject(err);
      }
    } else resolve(value);
  }

  // The slot is done: forget what it held, move its generation on, free it.
  private release(slot: number): void {
    const bits = this.bits[slot]!;
    if (bits & (CHAIN | TIMEOUT | SIGNAL | OUT | OPTS | DRAIN)) {
      if (bits & DRAIN) this.drains--;
      if (bits & OPTS) {
        this.signals[slot] = undefined;
        this.keepLists[slot] = undefined;
      }
      if (bits & CHAIN) this.chains[slot] = undefined;
      if (bits & TIMEOUT) this.timespecs[slot] = undefined;
      if (bits & OUT) this.outs[slot] = undefined;
      if (bits & SIGNAL) {
        this.aborted[slot] = undefined;
        this.listeners[slot]!();
        this.listeners[slot] = undefined;
      }
    }
    this.bits[slot] = 0;
    this.gens[slot] = (this.gens[slot]! + 1) % GEN_SPAN;
    this.free.push(slot);
    if (this.inflight === 0 && this.drained !== null) this.drained();
  }

  // ------------------------------------------------ buffers and messages

  /**
   * A pool of `count` (a power of two) provided buffers of `size` bytes, as
   * one buffer group, to share between recvMultishot and readMultishot
   * operations. It lives until this ring closes.
   */
  bufferPool(options: { size?: number; count?: number } = {}): BufferPool {
    if (this.closed) throw new IoUringError(ECANCELED, 'bufferPool', undefined, 'the AsyncRing is closed');
    const size = options.size ?? 16384;
    const count = options.count ?? 16;
    if (!Number.isInteger(size) || size < 1 || size > 2 ** 31) throw new RangeError(`size must be an integer from 1 to 2^31 (got ${size})`);
    const bgid = this.freeGroups.pop() ?? this.nextGroup++;
    if (bgid > 0xffff) throw new RangeError('every buffer group id is taken');
    let pool: BufferPool;
    try {
      pool = new BufferPool(this.ring, bgid, size, count, (g) => {
        this.pools.delete(pool);
        this.freeGroups.push(g);
      });
    } catch (err) {
      this.freeGroups.push(bgid);
      throw err;
    }
    this.pools.add(pool);
    return pool;
  }

  /** @internal Is `pool` one of this ring's? */
  protected ownsPool(pool: BufferPool): boolean {
    return this.pools.has(pool);
  }

  /**
   * Messages other rings posted here with msgRing, in order. Messages that
   * arrive while nobody iterates are kept for the next iteration. While a
   * loop waits on it, the process stays alive. One loop at a time.
   */
  messages(): AsyncIterableIterator<RingMessage> {
    // Like every iterator here, a refusal is thrown by the first next(), not by this call.
    if (this.inbox !== null && !this.inbox.returned) return failedIterator(new TypeError('messages() is already being iterated'));
    const it = new MultishotIterator<RingMessage>(() => {
      if (this.inbox === it) {
        this.inbox = null;
        it.end(null);
        this.scheduleFlush();
      }
    }, () => {});
    this.inbox = it;
    for (const m of this.early.splice(0)) it.push(m);
    if (this.closed) it.end(null);
    else this.scheduleFlush(); // the flush's reap arms the waker for it
    return it;
  }

  // ------------------------------------------------------------- lifecycle

  /** @internal close() with no fd. */
  protected closeRing(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closed = true;
    dropped.unregister(this.anchor);
    shutTarget(this.targetCell);
    this.closing = (async () => {
      for (const w of this.backlog.splice(0)) {
        this.settle(w.slot, 0, new IoUringError(ECANCELED, this.names[w.slot]!, undefined, 'the AsyncRing was closed before the operation started'));
      }
      for (const slot of [...this.parked.keys()]) {
        this.parked.delete(slot);
        this.settle(slot, 0, this.closedError(slot));
      }
      if (this.inbox !== null) {
        this.inbox.end(null);
        this.inbox = null;
      }
      let abandoned = 0;
      if (this.inflight > 0) {
        // Listen for the last settlement before cancelling: a cancel that
        // finds the SQ full submits at once, and what that reaps may be the
        // last of it (the soak found close() waiting forever for a drain
        // that had already happened).
        const done = new Promise<boolean>((r) => (this.drained = () => r(true)));
        for (let slot = 1; slot < this.slots; slot++) {
          if (this.live(slot)) this.cancelSlot(slot);
        }
        this.flush();
        // An entry the kernel held in its drain queue when those cancels ran
        // is started once what it waited for ends, and may then wait too
        // (drains stacked on one another): sweep again until none is left.
        const sweep = setInterval(() => {
          if (this.ring.isClosed || this.inflight === 0) return;
          for (let slot = 1; slot < this.slots; slot++) {
            if (this.live(slot)) this.cancelSlot(slot, true);
          }
        }, 20);
        sweep.unref();
        // Ref'd: close() settles even when nothing else keeps the loop alive.
        let grace: NodeJS.Timeout | undefined;
        const late = new Promise<boolean>((r) => (grace = setTimeout(r, CLOSE_GRACE_MS, false)));
        try {
          if (!(await Promise.race([done, late]))) abandoned = this.#abandon();
        } finally {
          clearInterval(sweep);
          clearTimeout(grace);
        }
      }
      // The ring fd may be closed only after libuv let go of its watcher.
      await this.waker.close();
      // Closing the fd is what ends an abandoned entry (see CLOSE_GRACE_MS);
      // IoUring.close()'s own cancel and drain NOP would wait behind it.
      closeWhenUnsent(this.ring, this.targetCell, abandoned > 0 ? 0 : undefined);
    })();
    return this.closing;
  }

  // close() waited CLOSE_GRACE_MS after its cancels and the kernel still
  // holds these operations: it goes on without them. Each rejects now with
  // ECANCELED, which is what the kernel will post for it once the ring fd
  // is closed (io_cancel_defer_files) if it sits in the drain queue; one
  // that is running (io-wq work a signal can't stop) may instead still
  // complete. Either way the kernel may read or write the memory it names
  // until then, and there will be no CQE here to say when: so that memory
  // is never released. What the ring holds for it under its user_data
  // (buffers, iovecs, timespecs, keep lists) stays held because no CQE
  // consumes it, and IoUring.close(0) keeps all of it, with the ring's own
  // memory, for the life of the process instead of waiting on a drain NOP
  // that would wait behind it. A zero-copy send's buffer is among it: the
  // kernel only reads it, and only once it issues the send, which an entry
  // stuck in the drain queue never does, but a send in flight may still be
  // reading it, so it is kept like the rest. What this layer holds beside
  // the ring (keep list, timespec, the encoder's output, a stream's buffer
  // pool, left registered so its buffers are not recycled) is buried here.
  // A leak is safe, a reuse is not. Returns how many were abandoned.
  #abandon(): number {
    let n = 0;
    const names: string[] = [];
    const why = this.drainSeen
      ? 'most likely held in its drain queue, which no cancel reaches, as behind a zero-copy send after IOSQE_IO_DRAIN on Linux 6.16+'
      : 'not stopped by its cancel';
    for (let slot = 1; slot < this.slots; slot++) {
      if (!this.live(slot)) continue;
      const st = this.streams[slot];
      bury(this.keepLists[slot], this.timespecs[slot], this.outs[slot], st?.pool);
      if (st !== undefined) st.ownPool = false; // finishStream must not free (unregister) it
      this.inflight--;
      n++;
      if (names.length < 4) names.push(this.names[slot]!);
      this.settle(slot, 0, new IoUringError(-ECANCELED, this.names[slot]!, undefined,
        `the AsyncRing was closed while the kernel still held the operation ${CLOSE_GRACE_MS} ms after its cancel (${why}); its memory is kept for the life of the process`));
    }
    process.emitWarning(`AsyncRing.close() went on without ${n} operation(s) the kernel still held ${CLOSE_GRACE_MS} ms after their cancel (${names.join(', ')}${n > names.length ? ', ...' : ''}: ${why}); they rejected with ECANCELED and their memory is kept for the life of the process`, 'TsuringWarning');
    return n;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.closeRing();
  }

  /** What `util.inspect(io)` shows: this layer's counts, then the ring's snapshot. */
  [inspect.custom](depth: number, options: InspectOptionsStylized, inspectFn: typeof inspect): string {
    if (depth < 0) return options.stylize('[AsyncRing]', 'special');
    const state = {
      pending: this.pending,
      inFlight: this.inflight,
      waitingForRoom: this.backlog.length,
      expectedCqes: this.expected,
      waker: this.waker.kind,
      closed: this.closed,
      ring: this.ring.snapshot(),
    };
    return `AsyncRing ${inspectFn(state, { ...options, depth: options.depth === null ? null : (options.depth ?? 2) + 1 })}`;
  }
}

// An iterator that throws `err` on its first next(): how a multishot
// operation refused before it started reports it.
export function failedIterator<T>(err: unknown): AsyncIterableIterator<T> {
  const it = new MultishotIterator<T>(() => {}, () => {});
  it.end(err);
  return it;
}
