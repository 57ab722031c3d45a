// The library's one timeout type and its one reader and writer: milliseconds
// or { sec, nsec }, checked once, written as a `struct __kernel_timespec`
// (include/uapi/linux/time_types.h: two s64, tv_sec and tv_nsec). The ring's
// timed waits write it into their EXT_ARG argument and its registered wait
// slots; the timeout encoders, registerSyncCancel and AsyncRing's linked
// timeouts take a copy of their own from makeTimespec.

import { __kernel_timespec } from '../uapi/layout.ts';

/** A timeout: milliseconds (a finite number >= 0; fractions kept to the nanosecond), or a `__kernel_timespec` as { sec, nsec }. */
export type Timeout = number | {
  /** Whole seconds. */
  sec: number;
  /** Nanoseconds, below 1e9. */
  nsec: number;
};

const TWO32 = 4294967296;
const TV_SEC = __kernel_timespec.tv_sec >>> 2;
const TV_NSEC = __kernel_timespec.tv_nsec >>> 2;

/**
 * Writes `t` as a `struct __kernel_timespec` at word `w` of `u32`, in the
 * machine's byte order (the kernel's). Refuses, before writing anything, a
 * number that is negative, not finite or 2^53 seconds or more, and a
 * { sec, nsec } outside integer sec >= 0 and 0 <= nsec < 1e9 (RangeError),
 * and anything else (TypeError). Allocates nothing: the timed waits call it
 * on every wait.
 */
export function writeTimespec(u32: Uint32Array, w: number, t: Timeout): void {
  let sec: number;
  let nsec: number;
  if (typeof t === 'number') {
    if (!Number.isFinite(t) || t < 0) throw new RangeError(`a timeout must be a finite number of milliseconds >= 0 (got ${t})`);
    sec = Math.floor(t / 1000);
    // Past 2^53 seconds the seconds would no longer be exact, and in time
    // tv_sec's s64 would wrap to a time already gone; { sec, nsec } has the same bound.
    if (!Number.isSafeInteger(sec)) throw new RangeError(`a timeout must be below 2^53 seconds (got ${t} ms)`);
    nsec = Math.round((t - sec * 1000) * 1e6);
    if (nsec >= 1e9) { sec++; nsec -= 1e9; }
  } else if (t !== null && typeof t === 'object') {
    ({ sec, nsec } = t);
    if (!Number.isSafeInteger(sec) || sec < 0 || !Number.isInteger(nsec) || nsec < 0 || nsec >= 1e9) {
      throw new RangeError('a timeout { sec, nsec } needs integers sec >= 0 and 0 <= nsec < 1e9');
    }
  } else {
    throw new TypeError('a timeout must be milliseconds or { sec, nsec }');
  }
  u32[w + TV_SEC] = sec >>> 0; // tv_sec, low word
  u32[w + TV_SEC + 1] = Math.floor(sec / TWO32); // tv_sec, high word (sec < 2^53)
  u32[w + TV_NSEC] = nsec; // tv_nsec
  u32[w + TV_NSEC + 1] = 0;
}

/**
 * A `struct __kernel_timespec` holding `t` (milliseconds, or { sec, nsec }):
 * 16 bytes of its own, ready to keep and pass by address. Refuses what
 * writeTimespec refuses.
 */
export function makeTimespec(t: Timeout): Uint8Array {
  const words = new Uint32Array(__kernel_timespec.sizeof >>> 2);
  writeTimespec(words, 0, t);
  return new Uint8Array(words.buffer);
}

/** `t` in milliseconds, once writeTimespec has taken it: for a deadline. */
export function timeoutMs(t: Timeout): number {
  return typeof t === 'number' ? t : t.sec * 1000 + t.nsec / 1e6;
}
