// What an AsyncRing operation may be asked for (OpOptions) and how those
// options are read: each property once, all of them checked before any
// entry is written.

import type { IoUringOptions } from '../ring/options.ts';
import { makeTimespec, type Timeout } from '../ring/timespec.ts';
import type { Sqe } from '../ring/sqe.ts';
import { IOSQE_ASYNC, IOSQE_FIXED_FILE, IOSQE_IO_DRAIN } from '../uapi/constants.ts';

/**
 * What `new AsyncRing(options)` takes: every {@link IoUringOptions} field,
 * plus `entries` (SQ entries, default 256) and `waker` (how completions wake
 * the event loop: 'auto', the default, is 'poll' on the main thread and
 * 'eventfd' in a worker_thread; or 'poll', 'doorbell', 'eventfd').
 */
export interface AsyncRingOptions extends IoUringOptions {
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

/** What run() and chain() take: a function that prepares one SQE (an encoder bound to its arguments). */
export type Prep = (sqe: Sqe) => unknown;
/** An encoder called with an operation's arguments as they came; what it returns reaches the mapper. */
export type Encoder = (sqe: Sqe, a: any, b: any, c: any, d: any, e: any, f: any) => unknown;
/** Turns a successful res (and what the encoder returned) into the promise's value. */
export type Mapper = (res: number, out: unknown) => unknown;

/** SQE flags an operation may ask for (the rest are this layer's to set). */
const USER_SQE_FLAGS = IOSQE_FIXED_FILE | IOSQE_IO_DRAIN | IOSQE_ASYNC;

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
  // A string or BigInt is not coerced: a TypeError, as the encoders refuse one.
  if (typeof flags !== 'number') throw new TypeError(`flags must be a number of IOSQE_* bits (got ${typeof flags})`);
  if ((flags >>> 0) !== flags || (flags & ~USER_SQE_FLAGS) !== 0) {
    throw new RangeError(`flags may hold IOSQE_FIXED_FILE, IOSQE_IO_DRAIN and IOSQE_ASYNC only (got 0x${flags.toString(16)}); chain() links`);
  }
  return flags | (fixedFile ? IOSQE_FIXED_FILE : 0);
}

/** What readOptions read of an operation's options, each property once (a getter or Proxy answers once; nothing later reads the caller's object again). */
export interface ReadOptions {
  signal: AbortSignal | undefined;
  keep: unknown[] | undefined;
  flags: number;
  timespec: Uint8Array | undefined;
  aborted: boolean;
}

// One, reused: reading options allocates nothing of its own.
const read: ReadOptions = { signal: undefined, keep: undefined, flags: 0, timespec: undefined, aborted: false };

/**
 * The options an operation's entries are written from, checked before any
 * is: a bad one found halfway would leave a linked entry in the SQ. Throws
 * for a bad one. What it returns is overwritten by the next call.
 */
export function readOptions(opts: OpOptions): ReadOptions {
  read.signal = undefined;
  read.keep = undefined;
  read.timespec = undefined;
  read.aborted = false;
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
  read.flags = sqeFlags(flags, fixedFile);
  if (timeout !== undefined) read.timespec = makeTimespec(timeout);
  read.signal = signal;
  read.keep = kept;
  read.aborted = aborted;
  return read;
}
