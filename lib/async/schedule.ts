// When LoopRing's entries go to the kernel: the ring and its waker, the
// entries an operation writes (issue), room for them in the SQ and CQ, the
// backlog of operations waiting for it, and the flush that submits once per
// batch.
//
// When to flush: an operation that completes inline settles its promise
// during the flush, and code awaiting it starts the next one at once.
// Flushed from a microtask each time, such a loop never leaves the microtask
// queue and starves timers and I/O (measured: a setTimeout never fired under
// 32 looping readers); flushed from setImmediate each time, every awaited
// operation costs a turn of the event loop. So the first few flushes of a
// turn are process.nextTick callbacks, and after FLUSHES_PER_TURN the rest
// of the turn's work waits for setImmediate, which lets the loop turn.
// nextTick, not queueMicrotask: scheduled from a promise continuation, a
// tick runs once the microtask queue is empty, so every continuation that
// the same completions woke has issued its operation by then, and they go
// in one io_uring_enter. With a microtask, 100 echo connections whose
// promise chains ran a hop or two apart each flushed on their own: their
// sends went in several small submits (bench/net.ts, 1.15-1.25x the
// requests/s with the tick).
//
// Room: `expected` counts the CQEs the kernel may still post for the
// single-shot operations in flight (one per entry, two for a zero-copy
// send), and a new operation waits in the backlog while they would not fit,
// but for one turn of the loop at most (#relieve()): what is in flight may be
// idle connections that never complete. A multishot operation reserves
// nothing (see room()).

import { IoUring } from '../ring/io-uring.ts';
import type { Sqe } from '../ring/sqe.ts';
import { addressFor } from '../ring/memory.ts';
import { prepRw } from '../prep/rw.ts';
import { IORING_OP_LINK_TIMEOUT, IORING_SETUP_DEFER_TASKRUN, IOSQE_CQE_SKIP_SUCCESS, IOSQE_IO_DRAIN, IOSQE_IO_LINK } from '../uapi/constants.ts';
import { __kernel_timespec } from '../uapi/layout.ts';
import type { Encoder, AsyncRingOptions, Prep, RingMessage } from './options.ts';
import { SlotTable, DRAIN, OPTS, OUT, TIMEOUT } from './slots.ts';
import { OWN_DATA, userDataHi, userDataLo } from './user-data.ts';
import { createWaker, type Waker } from './waker.ts';
import type { MultishotIterator } from './multishot.ts';
import type { Stream } from './streams.ts';

const FLUSHES_PER_TURN = 16;

// An operation waiting for room in the SQ or CQ.
export interface Waiting {
  slot: number;
  preps: Prep[];
}

/** What the waker's callback reaches the ring through (see Scheduler.anchor). */
export interface Anchor {
  strong: Scheduler | null;
  weak: WeakRef<Scheduler>;
}

// The waker's callback, made here so that it closes over the anchor alone
// (a closure made in the constructor would share its context, `this` included).
function wakeThrough(anchor: Anchor): () => void {
  return () => {
    const r = anchor.strong ?? anchor.weak.deref();
    if (r !== undefined) r['onWake']();
  };
}

/** The ring, its waker, and when entries go to the kernel. */
export abstract class Scheduler extends SlotTable {
  /** The ring underneath, for what this layer does not wrap. */
  readonly ring: IoUring;
  protected readonly waker: Waker;
  protected readonly deferred: boolean;
  protected readonly cqLimit: number;
  // CQEs the kernel may still post for the single-shot operations in flight
  // (multishot ones reserve none): new ones wait, for a turn of the loop at
  // most, while it is over the CQ size (see #relieve()).
  protected expected = 0;
  protected readonly backlog: Waiting[] = [];
  // Streams whose operation ended with ENOBUFS, waiting for a buffer, by slot.
  protected readonly parked = new Map<number, Stream>();
  private flushQueued = false;
  private readonly flushFn = () => this.flush();
  // An IOSQE_IO_DRAIN entry was ever issued: the kernel may hold the ring in
  // drain mode, where a zero-copy send waits forever (see close.ts).
  protected drainSeen = false;
  // The entries issue() has taken for the operation it is writing.
  private readonly taken: Sqe[] = [];
  // Set while reap() walks the CQ: nothing then may submit or reap again.
  protected reaping = false;
  // Times reap() found CQEs in the kernel's overflow list.
  protected overflows = 0;
  // The messages() loop, and messages that came while none waited.
  protected inbox: MultishotIterator<RingMessage> | null = null;
  protected readonly early: RingMessage[] = [];
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
      this.anchor.strong = null; // nothing in flight: collectable (see close.ts)
    }
  };
  // What the waker's callback reaches this ring through: strongly while
  // anything is in flight, weakly otherwise, so a ring dropped idle is
  // collected and closed (close.ts).
  protected readonly anchor: Anchor = { strong: null, weak: new WeakRef(this) };

  constructor(options: AsyncRingOptions) {
    super();
    const { entries = 256, waker = 'auto', ...ringOptions } = options;
    this.ring = new IoUring(entries, ringOptions);
    this.deferred = (this.ring.flags & IORING_SETUP_DEFER_TASKRUN) !== 0;
    this.cqLimit = this.ring.cqEntries;
    // fits() holds two SQ and CQ slots back for the doorbell's entries: a
    // ring with less than room for one operation beside them would take
    // every operation and never start one.
    if (this.ring.sqEntries < 3 || this.cqLimit < 3) {
      const { sqEntries, cqEntries } = this.ring;
      this.ring.close();
      throw new RangeError(`an AsyncRing needs at least 3 SQ and CQ entries, 2 of each for its waker (this ring has ${sqEntries} and ${cqEntries}: ask for entries >= 3)`);
    }
    try {
      this.waker = createWaker(this.ring, wakeThrough(this.anchor), waker);
    } catch (err) {
      this.ring.close();
      throw err;
    }
  }

  /** Reads the CQ and settles what completed (reap.ts). */
  protected abstract reap(): void;

  protected enqueue(slot: number, preps: Prep[]): void {
    if (this.backlog.length > 0 || !this.room(slot, preps.length)) {
      this.backlog.push({ slot, preps });
    } else {
      this.issue(slot, preps, null);
    }
    this.scheduleFlush();
  }

  // Room for `need` more SQEs, and for their CQEs in the CQ, with two of
  // each held back for the doorbell waker's POLL_ADD and WRITE.
  protected fits(need: number): boolean {
    return this.expected + need + 2 <= this.cqLimit && this.ring.sqSpaceLeft() >= need + 2;
  }

  // fits() for any operation: a multishot one needs SQ room only. Its CQEs
  // are not reserved in the CQ (an armed receive may wait for hours, and
  // reserving a slot for each froze a ring at CQ-size connections): when
  // they find it full, the kernel ends the operation, keeps the final CQE in
  // its overflow list (IORING_FEAT_NODROP), reap() flushes it, and the
  // iterator re-arms.
  protected room(slot: number, entries: number): boolean {
    if (this.streams[slot] !== undefined) return this.ring.sqSpaceLeft() >= entries + 2;
    return this.fits(this.need(slot, entries));
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
        this.issue(w.slot, w.preps, null);
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
  protected issue(
    slot: number, preps: Prep[] | null, enc: Encoder | null,
    a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, f?: unknown,
  ): void {
    const ring = this.ring;
    const n = preps === null ? 1 : preps.length;
    const link = (this.bits[slot]! & TIMEOUT) !== 0;
    const extra = this.sqeFlagsOf[slot]!;
    const keep = this.bits[slot]! & OPTS ? this.keepLists[slot] : undefined;
    const gen = this.gens[slot]!;
    const hi = userDataHi(gen);
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
      u[sqe.w + 8] = userDataLo(gen, slot, i); // user_data, low word
      u[sqe.w + 9] = hi; // user_data, high word
      const flags = extra | (i < n - 1 || link ? IOSQE_IO_LINK : 0);
      if (flags !== 0) sqe.flags |= flags;
    }
    if (link) {
      const t = ring.getSqe()!;
      const ts = this.timespecs[slot]!;
      prepRw(IORING_OP_LINK_TIMEOUT, t, -1, addressFor(ts, __kernel_timespec.sizeof, 'timeout'), 1, 0);
      t.keep(ts);
      t.userData = OWN_DATA;
    }
    const st = this.streams[slot];
    if (st === undefined) this.expected += this.need(slot, n);
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

  protected scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.queueTurn();
    if (++this.flushesThisTurn <= FLUSHES_PER_TURN) process.nextTick(this.flushFn);
    else setImmediate(this.flushFn);
  }

  // Submit what this tick prepared, reap what completed inline, and leave the
  // waker armed while anything is in flight.
  protected flush(): void {
    this.flushQueued = false;
    if (this.ring.isClosed) return;
    if (this.ring.sqReady() > 0) {
      // Once a drain has been issued the ring may be in drain mode, where
      // the kernel defers every new entry until each request in flight is
      // deferred too (Linux 6.16+): the doorbell's armed poll must not be
      // one of those, or what this submit starts waits on it.
      if (this.drainSeen) this.waker.beforeDrain();
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
  protected rearmOrIdle(): void {
    if (this.ring.isClosed) return;
    if (this.inflight > 0 || this.inbox !== null) this.arm();
    else this.queueTurn();
  }
}
