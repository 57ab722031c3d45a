// LoopRing: a ring driven by Node's event loop, the machinery under
// AsyncRing's named operations. Each operation holds a slot until its final
// CQE; operations started in the same turn of the loop go to the kernel in
// one io_uring_enter (a setImmediate flushes the SQ), the CQ is reaped right
// after every submit (page-cache reads and NOPs complete inline) and
// whenever the waker says completions arrived. No helper thread, no busy
// loop, no libuv threadpool.
//
// One concept a file, each a class the next extends, LoopRing last:
//   user-data.ts  what an entry's user_data says (slot, position, generation;
//                 the library's own, messages, the doorbell's)
//   options.ts    what an operation may ask for, read once and checked
//   slots.ts      SlotTable: the per-operation tables, taking, settling and
//                 releasing a slot
//   schedule.ts   Scheduler: the ring and its waker, writing an operation's
//                 entries, room in the SQ and CQ, the backlog, the flush
//   reap.ts       Reaper: reading the CQ and settling what completed
//   cancel.ts     Canceller: AbortSignals, ASYNC_CANCEL and the synchronous cancel
//   streams.ts    Streams: multishot operations, buffer pools, messages()
//   close.ts      Closer: close(), the collector's close, abandoning what
//                 the kernel never lets go of
//   loop-ring.ts  LoopRing: starting an operation or a chain
// A ring has one map (every instance is made by the same constructors in
// the same order), so each `this.x()` on the hot path stays monomorphic.
//
// The hot path (a lone operation with no options: most reads and writes)
// allocates the promise and nothing else. Its encoder runs straight into
// the SQE with the arguments as they came, not through a closure; the
// slot's state is typed arrays, except for the two settle functions; the
// CQEs are read as words. A closure is made only for an operation that has
// to wait for room. (bench/randread.ts --api async against the raw ring.)

import { inspect, type InspectOptionsStylized } from 'node:util';
import type { Sqe } from '../ring/sqe.ts';
import { Closer } from './close.ts';
import type { Encoder, AsyncRingOptions, Mapper, OpOptions, Prep } from './options.ts';
import { CHAIN, type Done } from './slots.ts';

/** A ring driven by Node's event loop: AsyncRing is its named operations. */
export class LoopRing extends Closer implements AsyncDisposable {
  constructor(options: AsyncRingOptions = {}) {
    super(options);
  }

  /** Operations started and not yet settled (multishot operations included, parked ones waiting for a buffer too). */
  get pending(): number {
    return this.inflight + this.backlog.length + this.parked.size;
  }

  /**
   * Starts a lone operation whose entry `enc` writes, called as
   * `enc(sqe, a, b, c, d, e, f)`; resolves with `map(res, what enc
   * returned)`, or res itself without a mapper. `subject` and `dest` are the
   * path or fd it names, for its error (SlotTable's errorTarget()). `bits` is 0
   * or ZC. (Typed `any`: the named operation's declared return type says
   * what it is.)
   */
  protected op(name: string, subject: unknown, dest: unknown, bits: number, opts: OpOptions | undefined, map: Mapper | undefined, enc: (sqe: Sqe) => unknown): Promise<any>;
  protected op<A>(name: string, subject: unknown, dest: unknown, bits: number, opts: OpOptions | undefined, map: Mapper | undefined, enc: (sqe: Sqe, a: A) => unknown, a: A): Promise<any>;
  protected op<A, B>(name: string, subject: unknown, dest: unknown, bits: number, opts: OpOptions | undefined, map: Mapper | undefined, enc: (sqe: Sqe, a: A, b: B) => unknown, a: A, b: B): Promise<any>;
  protected op<A, B, C>(
    name: string, subject: unknown, dest: unknown, bits: number, opts: OpOptions | undefined, map: Mapper | undefined, enc: (sqe: Sqe, a: A, b: B, c: C) => unknown, a: A, b: B, c: C,
  ): Promise<any>;
  protected op<A, B, C, D>(
    name: string, subject: unknown, dest: unknown, bits: number, opts: OpOptions | undefined, map: Mapper | undefined, enc: (sqe: Sqe, a: A, b: B, c: C, d: D) => unknown,
    a: A, b: B, c: C, d: D,
  ): Promise<any>;
  protected op<A, B, C, D, E>(
    name: string, subject: unknown, dest: unknown, bits: number, opts: OpOptions | undefined, map: Mapper | undefined, enc: (sqe: Sqe, a: A, b: B, c: C, d: D, e: E) => unknown,
    a: A, b: B, c: C, d: D, e: E,
  ): Promise<any>;
  protected op<A, B, C, D, E, F>(
    name: string, subject: unknown, dest: unknown, bits: number, opts: OpOptions | undefined, map: Mapper | undefined, enc: (sqe: Sqe, a: A, b: B, c: C, d: D, e: E, f: F) => unknown,
    a: A, b: B, c: C, d: D, e: E, f: F,
  ): Promise<any>;
  protected op(
    name: string, subject: unknown, dest: unknown, bits: number, opts: OpOptions | undefined, map: Mapper | undefined, enc: Encoder,
    a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, f?: unknown,
  ): Promise<unknown> {
    const slot = this.take(name, bits, opts, map, 1, subject, dest);
    if (slot < 0) return this.refused();
    // The signal is watched before issuing: an encoder that throws settles
    // the slot at once, and settle() must find the listener to remove.
    const p = this.promise(slot);
    if (opts !== undefined) {
      this.watchStored(slot);
      if (!this.live(slot)) return p; // its signal refused to be watched: settled
    }
    if (this.backlog.length === 0 && this.fits(this.need(slot, 1))) {
      this.issue(slot, null, enc, a, b, c, d, e, f);
    } else {
      this.backlog.push({ slot, preps: [(sqe) => enc(sqe, a, b, c, d, e, f)] });
    }
    this.scheduleFlush();
    return p;
  }

  /**
   * @internal op() for a caller that would rather be called than given a
   * promise: `done(error, res)` once the operation has ended, never before
   * this returns. No options and no mapper.
   */
  protected opCallback<A, B, C, D>(
    name: string, subject: unknown, done: Done, enc: (sqe: Sqe, a: A, b: B, c: C, d: D) => unknown, a: A, b: B, c: C, d: D,
  ): void {
    const slot = this.take(name, 0, undefined, undefined, 1, subject, undefined);
    if (slot < 0) {
      process.nextTick(done, this.takeRefusal(), 0);
      return;
    }
    this.callback(slot, done);
    if (this.backlog.length === 0 && this.fits(this.need(slot, 1))) {
      this.issuing = slot;
      try {
        this.issue(slot, null, enc as Encoder, a, b, c, d);
      } finally {
        this.issuing = -1;
      }
    } else {
      this.backlog.push({ slot, preps: [(sqe) => enc(sqe, a, b, c, d)] });
    }
    this.scheduleFlush();
  }

  /** Starts `preps` as one IOSQE_IO_LINK chain; resolves with each res in order. */
  protected chainOp(preps: Prep[], opts: OpOptions | undefined): Promise<number[]> {
    const slot = this.take('chain', CHAIN, opts, undefined, preps.length, undefined, undefined);
    if (slot < 0) return this.refused() as Promise<never>;
    this.chains[slot] = [];
    const p = this.promise(slot);
    if (opts !== undefined) {
      this.watchStored(slot);
      if (!this.live(slot)) return p as Promise<number[]>;
    }
    this.enqueue(slot, preps);
    return p as Promise<number[]>;
  }

  /** close(), for `await using ring = new AsyncRing()`. */
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
