// The slot table under LoopRing: each operation holds a slot from its start
// until its final CQE, and the slot holds what the operation needs until
// then (its promise's settle functions, its name and mapper, its options,
// the memory its entries name). A slot's generation moves on when it is
// released, so a CQE or a cancel from an earlier use is told apart (see
// user-data.ts). Numbers live in typed arrays (no write barrier, no boxing);
// objects in arrays, the rest only while a state bit says so.

import { IoUringError, rejectWithCallerFrames, type ErrorTarget } from '../errors.ts';
import { ERRNO } from '../errno.ts';
import { isUint8View } from '../ring/memory.ts';
import { IOSQE_FIXED_FILE } from '../uapi/constants.ts';
import { abortError, readOptions, type Mapper, type OpOptions } from './options.ts';
import { GEN_SPAN, SLOT_SPAN, userData } from './user-data.ts';
import type { Stream } from './streams.ts';

const { ECANCELED, ETIME, EINTR } = ERRNO;

// A slot's state bits.
/** An operation holds the slot. */
export const LIVE = 1;
/** It has a linked timeout (its timespec in `timespecs`). */
export const TIMEOUT = 2;
/** A chain: each position's res collected in `chains`. */
export const CHAIN = 4;
/** An abort listener in `listeners`. */
export const SIGNAL = 8;
/** What the encoder returned, in `outs`, for the mapper. */
export const OUT = 16;
/** A zero-copy send: it settles on the notification CQE. */
export const ZC = 32;
/** A signal or keep list in `signals` / `keepLists`. */
export const OPTS = 64;
/** An entry of it has IOSQE_IO_DRAIN (counted in `drains`). */
export const DRAIN = 128;

/**
 * An operation's `dest` when its subject is a registered file's index
 * (closeFd with fixedFile, whose entry does not carry IOSQE_FIXED_FILE).
 */
export const FILE_INDEX = Symbol('fileIndex');

/** @internal How an operation started with a callback learns its end: an error, or null and the value. */
export type Done = (error: unknown, value: number) => void;
// What `rejects` holds for an operation settled through a callback (in
// `resolves`) instead of a promise.
const CALLBACK = (): void => {};

const grow = <T extends Int32Array | Uint8Array | Float64Array>(a: T): T => {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
};

/**
 * The per-operation tables: taking a slot, settling its promise, releasing
 * it. The layers above (schedule.ts, reap.ts, cancel.ts, streams.ts,
 * close.ts, loop-ring.ts) extend it, one concept a file, into LoopRing.
 */
export abstract class SlotTable {
  // Per slot: the generation, the state bits, the SQE flags asked for, a
  // chain's length and CQEs in, a zero-copy send's result (NaN until its CQE).
  protected slots = 0;
  protected gens = new Int32Array(64);
  protected bits = new Uint8Array(64);
  protected sqeFlagsOf = new Uint8Array(64);
  protected chainLens = new Uint8Array(64);
  protected chainDone = new Uint8Array(64);
  protected zcRes = new Float64Array(64);
  // The settle functions and the name, always; the rest while a bit says so.
  protected readonly resolves: (((v: unknown) => void) | undefined)[] = [];
  protected readonly rejects: (((e: unknown) => void) | undefined)[] = [];
  protected readonly names: string[] = [];
  // What the operation named, for its error (see errorTarget()): a path or an
  // fd, and a second path or fd; kept as given, read only on failure. Not
  // cleared at release (the slot's next operation overwrites them): a store
  // less per operation, which showed on bench/randread.ts --api async.
  protected readonly subjects: unknown[] = [];
  protected readonly dests: unknown[] = [];
  protected readonly maps: (Mapper | undefined)[] = [];
  protected readonly outs: unknown[] = [];
  protected readonly aborted: (AbortSignal | undefined)[] = [];
  // The operation's signal and keep list, as take() read them.
  protected readonly signals: (AbortSignal | undefined)[] = [];
  protected readonly keepLists: (unknown[] | undefined)[] = [];
  // A linked timeout's __kernel_timespec, made when the operation started.
  protected readonly timespecs: (Uint8Array | undefined)[] = [];
  protected readonly listeners: ((() => void) | undefined)[] = [];
  protected readonly chains: (number[] | undefined)[] = [];
  protected readonly streams: (Stream | undefined)[] = [];
  protected readonly free: number[] = [];
  // Operations issued and not yet ended (multishot ones included).
  protected inflight = 0;
  // Set the moment close() is called, before it submits its cancels.
  protected closed = false;
  // Live operations with an IOSQE_IO_DRAIN entry: while any is, a cancel may
  // be held back behind one, and goes through IORING_REGISTER_SYNC_CANCEL.
  protected drains = 0;
  // Set while close() waits for the last in-flight operation.
  protected drained: (() => void) | null = null;
  // Why take() refused an operation.
  private refusal: unknown = null;
  // One executor for every promise, made once: it puts the settle
  // functions in the slot `executorSlot` names.
  private executorSlot = 0;
  private readonly executor = (resolve: (v: unknown) => void, reject: (e: unknown) => void) => {
    this.resolves[this.executorSlot] = resolve;
    this.rejects[this.executorSlot] = reject;
  };

  constructor() {
    this.newSlot(); // slot 0: the library's own entries
  }

  /** A stream's slot is done: its iterator ends with `error` (streams.ts); `late` as settle()'s. */
  protected abstract finishStream(slot: number, st: Stream, error: unknown, late?: boolean): void;

  // Takes a slot for an operation, its options checked first; -1 (the
  // reason in `refusal`) when the ring is closed or an option is bad.
  // `subject` and `dest` are what it names, for its error (see errorTarget()).
  protected take(
    name: string, bits: number, opts: OpOptions | undefined, map: Mapper | undefined, entries: number, subject: unknown, dest: unknown,
  ): number {
    if (this.closed) return this.refuse(new IoUringError(ECANCELED, name, undefined, 'the AsyncRing is closed', targetOf(subject, dest, 0)));
    let flags = 0;
    let timespec: Uint8Array | undefined;
    let signal: AbortSignal | undefined;
    let keep: unknown[] | undefined;
    if (opts !== undefined) {
      try {
        const read = readOptions(opts);
        if (read.aborted) return this.refuse(abortError(read.signal!));
        flags = read.flags;
        timespec = read.timespec;
        signal = read.signal;
        keep = read.keep;
      } catch (err) {
        return this.refuse(err);
      }
    }
    const slot = this.free.pop() ?? this.newSlot();
    if (signal !== undefined || keep !== undefined) {
      this.signals[slot] = signal;
      this.keepLists[slot] = keep;
      bits |= OPTS;
    }
    this.names[slot] = name;
    this.subjects[slot] = subject;
    this.dests[slot] = dest;
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

  protected takeRefusal(): unknown {
    const err = this.refusal;
    this.refusal = null;
    return err;
  }

  protected refused(): Promise<never> {
    return Promise.reject(this.takeRefusal());
  }

  // The slot opCallback() is issuing, or -1.
  protected issuing = -1;

  // The slot ends by calling `done`, not by settling a promise.
  protected callback(slot: number, done: Done): void {
    this.resolves[slot] = done as (v: unknown) => void;
    this.rejects[slot] = CALLBACK;
  }

  // The slot's promise; its settle functions go in the slot.
  protected promise(slot: number): Promise<unknown> {
    this.executorSlot = slot;
    return new Promise<unknown>(this.executor);
  }

  // CQEs an operation may post: one per entry, a linked timeout's, and a
  // zero-copy send's notification.
  protected need(slot: number, entries: number): number {
    return entries + (this.bits[slot]! & TIMEOUT ? 1 : 0) + (this.bits[slot]! & ZC && Number.isNaN(this.zcRes[slot]) ? 1 : 0);
  }

  protected live(slot: number): boolean {
    return (this.bits[slot]! & LIVE) !== 0;
  }

  protected newSlot(): number {
    const slot = this.slots;
    if (slot >= SLOT_SPAN) throw new RangeError(`more than ${SLOT_SPAN - 1} operations pending`);
    if (slot === this.gens.length) {
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
    this.subjects.push(undefined);
    this.dests.push(undefined);
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

  // The user_data of the slot's entry at `position`, as a number.
  protected userData(slot: number, position = 0): number {
    return userData(this.gens[slot]!, slot, position);
  }

  // The error an operation's negative res means, given why it may have ended.
  protected failure(slot: number, res: number): unknown {
    const signal = this.aborted[slot];
    if (signal !== undefined && (res === -ECANCELED || res === -EINTR)) return abortError(signal);
    if (res === -ECANCELED && this.closed) return this.closedError(slot);
    if (res === -ECANCELED && this.bits[slot]! & TIMEOUT) {
      return new IoUringError(-ETIME, this.names[slot]!, undefined, 'the operation was cancelled when its linked timeout expired', this.errorTarget(slot));
    }
    return new IoUringError(res, this.names[slot]!, undefined, undefined, this.errorTarget(slot));
  }

  protected closedError(slot: number): IoUringError {
    return new IoUringError(-ECANCELED, this.names[slot]!, undefined, 'the AsyncRing was closed before the operation completed', this.errorTarget(slot));
  }

  // The path or fd the operation in `slot` named, for its error.
  protected errorTarget(slot: number): ErrorTarget | undefined {
    return targetOf(this.subjects[slot], this.dests[slot], this.sqeFlagsOf[slot]!);
  }

  // Settles the operation's promise: resolved with `value` (or what its
  // mapper makes of it) when `error` is null, rejected with `error`
  // otherwise. `late`: the error was made away from the caller's call (a
  // CQE, a close, an abort), so its stack is taken again from the code that
  // awaits the promise (rejectWithCallerFrames).
  protected settle(slot: number, value: number, error: unknown, late?: boolean): void {
    const st = this.streams[slot];
    if (st !== undefined) {
      this.finishStream(slot, st, error, late);
      return;
    }
    const resolve = this.resolves[slot]!;
    const reject = this.rejects[slot]!;
    const map = this.maps[slot];
    const out = this.bits[slot]! & OUT ? this.outs[slot] : undefined;
    this.resolves[slot] = undefined;
    this.rejects[slot] = undefined;
    this.release(slot);
    if (reject === CALLBACK) {
      // Never before opCallback() returns (an encoder that refused).
      if (slot === this.issuing) {
        process.nextTick(resolve as unknown as Done, error, 0);
        return;
      }
      // A callback that throws must not stop the reaping: its error is
      // thrown again on its own, as an uncaught exception.
      try {
        (resolve as unknown as Done)(error, error === null ? value : 0);
      } catch (err) {
        process.nextTick(rethrow, err);
      }
      return;
    }
    if (error !== null) {
      if (late) rejectWithCallerFrames(resolve, error);
      else reject(error);
    } else if (map !== undefined) {
      try {
        resolve(map(value, out));
      } catch (err) {
        reject(err);
      }
    } else resolve(value);
  }

  // The slot is done: forget what it held, move its generation on, free it.
  protected release(slot: number): void {
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
}

function rethrow(err: unknown): never {
  throw err;
}

// The brand check, not instanceof: a Proxy's getPrototypeOf trap (or a revoked
// Proxy) would run, or throw, where an error is being made.
const isPath = (v: unknown): v is string | Uint8Array => typeof v === 'string' || isUint8View(v);

// What an operation named, as its error says it: a path (and the second
// path of a rename or link) as Node's fs errors do; an fd where it named
// no path (and the second fd of a splice or tee); a registered file's
// index where the entry had IOSQE_FIXED_FILE (or `dest` is FILE_INDEX).
function targetOf(subject: unknown, dest: unknown, sqeFlags: number): ErrorTarget | undefined {
  if (typeof subject === 'number') {
    if (sqeFlags & IOSQE_FIXED_FILE || dest === FILE_INDEX) return { fileIndex: subject };
    if (typeof dest === 'number') return { fd: subject, destFd: dest };
    return isPath(dest) ? { fd: subject, dest } : { fd: subject };
  }
  if (isPath(subject)) return isPath(dest) ? { path: subject, dest } : { path: subject };
  return undefined;
}
