// Futex encoders: the futex2 interface (futex_wait(2), futex_wake(2),
// futex_waitv(2)) as io_uring operations. A futex is a 32-bit word in JS
// memory, named by a view whose first 4 bytes it is: `u32.subarray(i, i + 1)`
// names word i. Waiters and wakers meet on the word's address, so an
// io_uring wait is woken by an io_uring wake, or a futex syscall, on the same
// word. V8's Atomics.wait/notify keep their own waiter lists and do not use
// futexes on the word: Atomics.notify does not wake these waiters.

import { IORING_OP_FUTEX_WAIT, IORING_OP_FUTEX_WAITV, IORING_OP_FUTEX_WAKE } from '../uapi/constants.ts';
import { checkBits32, checkU32, checkU64 } from '../check.ts';
import { addressFor } from '../ring/memory.ts';
import type { Sqe } from '../ring/sqe.ts';
import { putU64 } from '../ring/sqe.ts';
import { rw } from './rw.ts';
import { FUTEX2_SIZE_U32, FUTEX2_PRIVATE, FUTEX2_SIZE_MASK, FUTEX_BITSET_MATCH_ANY, FUTEX_WAITV_MAX } from '../uapi/futex.ts';

/**
 * `struct futex_waitv`, include/uapi/linux/futex.h.
 * @enum
 */
export const futex_waitv = Object.freeze({
  sizeof: 24,
  val: 0, // __u64: the value expected at uaddr
  uaddr: 8, // __u64: the futex's address
  flags: 16, // __u32: FUTEX2_*
  __reserved: 20, // __u32: must be 0
} as const);

/** One futex of a prepFutexWaitv vector. */
export interface FutexWaitv {
  /** The futex word: the first bytes of this view (4 for FUTEX2_SIZE_U32). */
  uaddr: ArrayBufferView;
  /** The value the word must hold for the wait to sleep (unsigned). */
  val: number | bigint;
  /** FUTEX2_SIZE_U32, usually with FUTEX2_PRIVATE. */
  flags: number;
}

// The futex's address, checked: `futexFlags`' size names how many bytes the
// kernel reads there, and the address must be aligned to that size.
function futexAddress(futex: ArrayBufferView, futexFlags: number, what: string): number {
  const size = 1 << (futexFlags & FUTEX2_SIZE_MASK);
  const addr = addressFor(futex, size, what);
  if (addr % size !== 0) throw new RangeError(`${what} must be aligned to ${size} bytes (its address is ${addr})`);
  return addr;
}

function prepFutex(op: number, sqe: Sqe, futex: ArrayBufferView, val: number | bigint, mask: number | bigint, futexFlags: number, flags: number): void {
  checkU32(futexFlags, 'futexFlags');
  checkBits32(flags, 'flags');
  checkU64(val, 'val');
  checkU64(mask, 'mask');
  const addr = futexAddress(futex, futexFlags, 'futex');
  rw(op, sqe, futexFlags, addr, 0, 0); // fd: the futex2 flags
  const u = sqe.u32;
  const w = sqe.w;
  putU64(u, w + 2, val); // off (addr2): the value
  u[w + 7] = flags; // futex_flags
  putU64(u, w + 12, mask); // addr3: the bitset mask
  sqe.keep(futex);
}

/**
 * Prepare an `IORING_OP_FUTEX_WAIT`: futex_wait(2). Sleeps while the word
 * `futex` holds `val`, until a wake on it whose mask shares a bit with
 * `mask` (FUTEX_BITSET_MATCH_ANY: any). res is 0 once woken, or -EAGAIN at
 * once when the word does not hold `val`; -ECANCELED if canceled. There is
 * no timeout argument: link a prepLinkTimeout. `futexFlags` are futex2 flags
 * (FUTEX2_SIZE_U32 | FUTEX2_PRIVATE); `flags` must be 0.
 *
 * Lifetime: `futex` is kept referenced until the CQE is consumed.
 * @since Linux 6.7
 * @see io_uring_prep_futex_wait(3)
 */
export function prepFutexWait(sqe: Sqe, futex: ArrayBufferView, val: number | bigint, mask: number | bigint, futexFlags: number, flags = 0): void {
  prepFutex(IORING_OP_FUTEX_WAIT, sqe, futex, val, mask, futexFlags, flags);
}

/**
 * Prepare an `IORING_OP_FUTEX_WAKE`: futex_wake(2). Wakes at most `val`
 * waiters on the word `futex` whose masks share a bit with `mask`; res is
 * the number woken.
 *
 * Lifetime: `futex` is kept referenced until the CQE is consumed.
 * @since Linux 6.7
 * @see io_uring_prep_futex_wake(3)
 */
export function prepFutexWake(sqe: Sqe, futex: ArrayBufferView, val: number | bigint, mask: number | bigint, futexFlags: number, flags = 0): void {
  prepFutex(IORING_OP_FUTEX_WAKE, sqe, futex, val, mask, futexFlags, flags);
}

/**
 * A `struct futex_waitv` array for `futexv`. Returns the bytes; keep them and
 * every `uaddr` view alive together while the kernel may read them.
 * `futexv` is read once: its length, each element, each element's fields.
 */
export function makeFutexWaitv(futexv: readonly FutexWaitv[]): Uint8Array {
  return encodeWaitv(futexv).bytes;
}

// The vector and the views it names, from one read of the caller's array.
function encodeWaitv(futexv: readonly FutexWaitv[]): { bytes: Uint8Array; views: ArrayBufferView[] } {
  if (!Array.isArray(futexv)) throw new TypeError('futexv must be an array of { uaddr, val, flags }');
  const n = futexv.length;
  if (typeof n !== 'number' || (n >>> 0) !== n) throw new TypeError('futexv has no valid length');
  if (n > FUTEX_WAITV_MAX) throw new RangeError(`futexv has ${n} entries; the kernel takes at most ${FUTEX_WAITV_MAX}`);
  const out = new Uint8Array(new ArrayBuffer(Math.max(n, 1) * futex_waitv.sizeof));
  const dv = new DataView(out.buffer);
  const views = new Array<ArrayBufferView>(n);
  for (let i = 0; i < n; i++) {
    const f = futexv[i]!;
    if (f === null || typeof f !== 'object') throw new TypeError(`futexv[${i}] must be { uaddr, val, flags }`);
    const { uaddr, val, flags } = f;
    checkU32(flags, `futexv[${i}].flags`);
    checkU64(val, `futexv[${i}].val`);
    const addr = futexAddress(uaddr, flags, `futexv[${i}].uaddr`);
    const at = i * futex_waitv.sizeof;
    dv.setBigUint64(at + futex_waitv.val, BigInt(val), true);
    dv.setBigUint64(at + futex_waitv.uaddr, BigInt(addr), true);
    dv.setUint32(at + futex_waitv.flags, flags, true);
    // __reserved stays 0: the buffer is fresh.
    views[i] = uaddr;
  }
  return { bytes: out, views };
}

/**
 * Prepare an `IORING_OP_FUTEX_WAITV`: futex_waitv(2). Sleeps until any of
 * the `futexv` words is woken (every mask matches); res is the index in
 * `futexv` of the one woken, or -EAGAIN at once when a word does not hold
 * its `val`. `flags` must be 0. liburing's takes a struct array and its
 * length; here the array of JS objects is turned into one.
 *
 * Lifetime: the `struct futex_waitv` array built here and every `uaddr`
 * view are kept referenced until the CQE is consumed.
 *
 * Differs from liburing: `futexv` is one view of the futex_waitv array; its
 * length gives the count.
 * @since Linux 6.7
 * @see io_uring_prep_futex_waitv(3)
 */
export function prepFutexWaitv(sqe: Sqe, futexv: readonly FutexWaitv[], flags = 0): void {
  checkBits32(flags, 'flags');
  const { bytes, views } = encodeWaitv(futexv);
  const addr = addressFor(bytes, 0, 'futexv');
  rw(IORING_OP_FUTEX_WAITV, sqe, 0, addr, views.length, 0);
  sqe.u32[sqe.w + 7] = flags; // futex_flags
  sqe.keep(bytes);
  sqe.keep(views); // the views encoded, not the caller's array
}
