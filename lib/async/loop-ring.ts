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
// The CQ never overflows: `expected` counts the CQEs the kernel may still
// post for what is in flight (one per entry, two for a zero-copy send, one
// for a multishot operation's final CQE), and an operation waits in the
// backlog until its CQEs fit. A multishot operation's intermediate CQEs are
// not counted; if they overflow the CQ the kernel ends the operation, and
// the iterator re-arms it.
//
// The hot path (a lone operation with no options: most reads and writes)
// allocates the promise and nothing else. Its encoder runs straight into
// the SQE with the arguments as they came, not through a closure; the
// slot's state is typed arrays, except for the two settle functions; the
// CQEs are read as words. A closure is made only for an operation that has
// to wait for room. (bench/randread.ts --api async against the raw ring.)

import { inspect, type InspectOptionsStylized } from 'node:util';
import { readFileSync } from 'node:fs';
import * as ffi from '../../ffi/index.ts';
import { IoUringError } from '../errors.ts';
import { IoUring, type IoUringOptions, type Timeout } from '../ring/io-uring.ts';
import type { Sqe } from '../ring/sqe.ts';
import { addressFor } from '../ring/memory.ts';
import { prepRw } from '../prep/rw.ts';
import { makeTimespec } from '../prep/timeout.ts';
import {
  IORING_ASYNC_CANCEL_USERDATA, IORING_CQE_F_MORE, IORING_CQE_F_NOTIF, IORING_OP_ASYNC_CANCEL, IORING_OP_LINK_TIMEOUT,
  IORING_SETUP_DEFER_TASKRUN, IOSQE_ASYNC, IOSQE_FIXED_FILE, IOSQE_IO_DRAIN, IOSQE_IO_LINK,
} from '../uapi/constants.ts';
import { __kernel_timespec } from '../uapi/layout.ts';
import { createWaker, type Waker } from './waker.ts';
import { BufferPool, MultishotIterator } from './multishot.ts';

const SLOT_BITS = 20;
const SLOT_SPAN = 1 << SLOT_BITS;
const SLOT_MASK = SLOT_SPAN - 1;
export const MAX_CHAIN = 64;
const FLUSHES_PER_TURN = 16;
const GEN_SPAN = 2 ** 26;
/** Where message user_data start (see msgRing): 2^52, the high word 0x100000. */
export const MSG_BASE = 2 ** 52;
const MSG_HI = 0x100000;
const ECANCELED = 125;
const ENOMEM = 12;
const ETIME = 62;
const ENOBUFS = 105;
const EINTR = 4;
/** SQE flags an operation may ask for (the rest are this layer's to set). */
const USER_SQE_FLAGS = IOSQE_FIXED_FILE | IOSQE_IO_DRAIN | IOSQE_ASYNC;

// A slot's state bits.
const LIVE = 1; // an operation holds the slot
const TIMEOUT = 2; // it has a linked timeout (its timespec in `timespecs`)
const CHAIN = 4; // a chain: each position's res collected in `chains`
const SIGNAL = 8; // an abort listener in `listeners`
const OUT = 16; // what the encoder returned, in `outs`, for the mapper
const OPTS = 64; // a signal or keep list in `signals` / `keepLists`
/** A zero-copy send: it settles on the notification CQE. */
export const ZC = 32;

export interface LoopRingOptions extends IoUringOptions {
  /** SQ entries (default 256). */
  entries?: number;
  /** How completions wake the loop: 'auto' (default), 'poll' or 'doorbell'. */
  waker?: 'auto' | 'poll' | 'doorbell';
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

// Each ring in a SharedArrayBuffer reserves about 10 GiB of address space
// (its WebAssembly.Memory's guard region, see lib/ring/io-uring.ts), and
// x86_64 gives a process 128 TiB. Past about 107 TiB (11,000 rings) making
// rings slowed from 0.5 ms to over 60 ms each as V8 collected garbage to find
// room, and at 13,088 reservations V8 refused outright (measured, Node 20):
// AsyncRing refuses new rings once 25/32 of the space is taken (100 TiB,
// about 10,200 rings), while the process still has room to work.
const RLIMIT_AS = 9;
const TASK_SIZE = 2 ** 47;
const ADDRESS_SPACE_NOTE = 'over 25/32 of the address space is reserved, most of it by rings (about 10 GiB each)';
function addressSpaceLow(): boolean {
  let limit = TASK_SIZE;
  const rl = ffi.getrlimit(RLIMIT_AS);
  if (typeof rl !== 'number' && rl[0] < BigInt(limit)) limit = Number(rl[0]);
  const statm = readFileSync('/proc/self/statm', 'latin1');
  const pages = Number(statm.slice(0, statm.indexOf(' ')));
  return pages * 4096 > (limit / 32) * 25;
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
function closeWhenUnsent(ring: IoUring, cell: Int32Array): void {
  const n = Atomics.load(cell, TARGET_SENDERS);
  if (n === 0) {
    ring.close();
    return;
  }
  const w = waitAsync(cell, TARGET_SENDERS, n);
  if (w.async) void w.value.then(() => closeWhenUnsent(ring, cell));
  else closeWhenUnsent(ring, cell);
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
  // CQEs the kernel may still post for what is in flight: kept at or under
  // the CQ size so the CQ never overflows.
  private expected = 0;
  private readonly cqLimit: number;
  private inflight = 0;
  private readonly backlog: Waiting[] = [];
  private flushQueued = false;
  private closing: Promise<void> | null = null;
  // Set the moment close() is called, before it submits its cancels.
  private closed = false;
  private readonly flushFn = () => this.flush();
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
    if (this.ring.memory === 'shared' && addressSpaceLow()) {
      this.ring.close();
      throw new IoUringError(ENOMEM, 'io_uring_setup', 'AsyncRing', `${ADDRESS_SPACE_NOTE}: close rings no longer needed, or use memory: 'mmap'`);
    }
    this.deferred = (this.ring.flags & IORING_SETUP_DEFER_TASKRUN) !== 0;
    this.cqLimit = this.ring.cqEntries;
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
    if (this.backlog.length > 0 || !this.fits(this.need(slot, preps.length, opts))) {
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
    for (let i = 0; i < n; i++) {
      const sqe = ring.getSqe()!;
      let out: unknown;
      try {
        out = preps === null ? enc!(sqe, a, b, c, d, e, f) : preps[i]!(sqe);
      } catch (err) {
        // The entry stays the NOP getSqe made it, under the library's own
        // user_data; earlier links of a chain become a harmless prefix.
        for (let j = i + 1; j < n; j++) ring.getSqe()!.userData = 0;
        sqe.userData = 0;
        this.expected += n;
        // The prefix already prepared may run: its CQEs arrive under user_data
        // 0 or under this slot's (then ignored: the generation moves on).
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
    this.expected += this.need(slot, n, opts);
    this.inflight++;
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
  private cancelSlot(slot: number): void {
    const n = this.bits[slot]! & CHAIN ? this.chainLens[slot]! : 1;
    for (let i = 0; i < n; i++) this.cancel(this.userData(slot, i));
  }

  // An ASYNC_CANCEL of `ud`; its own CQE is the library's.
  private cancel(ud: number): void {
    if (!this.fits(1)) {
      // The SQ is full of what is being submitted: submit first.
      this.flush();
    }
    const sqe = this.ring.getSqe();
    if (sqe === null) return;
    prepRw(IORING_OP_ASYNC_CANCEL, sqe, -1, ud, 0, 0);
    sqe.rwFlags = IORING_ASYNC_CANCEL_USERDATA | 1; // IORING_ASYNC_CANCEL_ALL: every entry under ud
    sqe.userData = 0;
    this.expected++;
    this.scheduleFlush();
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
    for (;;) {
      let n = ring.cqReady();
      if (n === 0) {
        // CQEs the CQ had no room for (a multishot operation's, which are
        // not counted) wait in the kernel's overflow list, and the ring fd
        // stays readable until they are flushed into the CQ.
        if (!ring.cqHasOverflow()) break;
        ring.getEvents();
        n = ring.cqReady();
        if (n === 0) break;
      }
      // The CQEs as words: user_data low and high, res, flags.
      const cq = ring.cqes;
      for (let i = 0; i < n; i++) {
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
        // Counted: every final CQE, and a zero-copy send's result (need()
        // counts two for it). Not: the CQEs with F_MORE of a multishot
        // operation, or of whatever a run() encoder started.
        if (!(flags & IORING_CQE_F_MORE) || (st === undefined && this.bits[slot]! & ZC)) this.expected--;
        // Stale (an earlier use of the slot), or not this ring's at all: a
        // position past the operation's entries is nothing it issued.
        if (hi * 64 + (lo >>> 26) !== this.gens[slot] || !(this.bits[slot]! & LIVE) || ((lo >>> SLOT_BITS) & (MAX_CHAIN - 1)) >= this.chainLens[slot]!) continue;
        if (st !== undefined) this.streamCqe(slot, st, cq[o + 2]! | 0, flags);
        else this.complete(slot, cq[o + 2]! | 0, flags, (lo >>> SLOT_BITS) & (MAX_CHAIN - 1));
      }
      ring.cqAdvance(n);
    }
    // Room may have opened for operations that were waiting for it.
    while (this.backlog.length > 0) {
      const w = this.backlog[0]!;
      if (!this.fits(this.need(w.slot, w.preps.length, w.opts))) break;
      this.backlog.shift();
      this.issue(w.slot, w.opts, w.preps, null);
    }
    this.rearmOrIdle();
    if (ring.sqReady() > 0) this.scheduleFlush();
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
      return;
    }
    this.inflight--;
    const stopped = st.it.returned || this.aborted[slot] !== undefined || this.closed;
    const wasMultishot = st.sawMore;
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
    if (bits & (CHAIN | TIMEOUT | SIGNAL | OUT | OPTS)) {
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
      if (this.inflight > 0) {
        // Listen for the last settlement before cancelling: a cancel that
        // finds the SQ full submits at once, and what that reaps may be the
        // last of it (the soak found close() waiting forever for a drain
        // that had already happened).
        const done = new Promise<void>((r) => (this.drained = r));
        for (let slot = 1; slot < this.slots; slot++) {
          if (this.live(slot)) this.cancelSlot(slot);
        }
        this.flush();
        await done;
      }
      // The ring fd may be closed only after libuv let go of its watcher.
      await this.waker.close();
      closeWhenUnsent(this.ring, this.targetCell);
    })();
    return this.closing;
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
