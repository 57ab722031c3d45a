// Timeout encoders. A timeout's `struct __kernel_timespec` is built from
// milliseconds or { sec, nsec } (makeTimespec, lib/ring/timespec.ts) into
// memory the entry keeps.

import {
  IORING_OP_LINK_TIMEOUT, IORING_OP_TIMEOUT, IORING_OP_TIMEOUT_REMOVE, IORING_TIMEOUT_UPDATE,
} from '../uapi/constants.ts';
import { __kernel_timespec } from '../uapi/layout.ts';
import { checkBits32, checkU32, checkU64 } from '../check.ts';
import { addressFor } from '../ring/memory.ts';
import type { Sqe } from '../ring/sqe.ts';
import { makeTimespec, type Timeout } from '../ring/timespec.ts';
import { putU64 } from '../ring/sqe.ts';
import { rw } from './rw.ts';

/**
 * Prepare an `IORING_OP_TIMEOUT`: completes with -ETIME once `ts` has passed,
 * or with 0 once `count` other completions have been posted (0: time only).
 * `flags` are IORING_TIMEOUT_* (ABS, BOOTTIME, REALTIME, ETIME_SUCCESS,
 * MULTISHOT). `ts` is milliseconds, { sec, nsec }, or a 16-byte
 * `__kernel_timespec` you built (then nothing is allocated).
 *
 * Lifetime: the timespec is kept referenced until the CQE is consumed (the
 * kernel reads it at submission, but a linked or drained timeout is read
 * later).
 * @since Linux 5.4
 * @see io_uring_prep_timeout(3)
 */
export function prepTimeout(sqe: Sqe, ts: Timeout | Uint8Array, count = 0, flags = 0): void {
  checkU32(count, 'count');
  checkBits32(flags, 'flags');
  const spec = ts instanceof Uint8Array ? ts : makeTimespec(ts);
  const addr = addressFor(spec, __kernel_timespec.sizeof, 'ts');
  rw(IORING_OP_TIMEOUT, sqe, -1, addr, 1, count);
  sqe.u32[sqe.w + 7] = flags; // timeout_flags
  sqe.keep(spec);
}

/**
 * Prepare an `IORING_OP_TIMEOUT_REMOVE`: cancels the timeout whose user_data
 * is `userData` (a number up to 2^53-1 or a bigint). Its res is 0 (the
 * timeout then completes with -ECANCELED), -ENOENT (no such timeout: it
 * fired already) or -EALREADY (it is firing). `flags` must be 0 here; see
 * prepTimeoutUpdate for the update form.
 * @since Linux 5.5
 * @see io_uring_prep_timeout_remove(3)
 */
export function prepTimeoutRemove(sqe: Sqe, userData: number | bigint, flags = 0): void {
  checkU64(userData, 'userData');
  checkBits32(flags, 'flags');
  rw(IORING_OP_TIMEOUT_REMOVE, sqe, -1, 0, 0, 0);
  putU64(sqe.u32, sqe.w + 4, userData); // addr: the target's user_data
  sqe.u32[sqe.w + 7] = flags; // timeout_flags
}

/**
 * Prepare an `IORING_OP_TIMEOUT_REMOVE` with IORING_TIMEOUT_UPDATE: re-arms
 * the timeout whose user_data is `userData` to expire after `ts`
 * (milliseconds, { sec, nsec } or a 16-byte `__kernel_timespec`), counted
 * from now. `flags`: IORING_TIMEOUT_ABS (and a clock, BOOTTIME or
 * REALTIME), or IORING_LINK_TIMEOUT_UPDATE to re-arm a linked timeout (from
 * prepLinkTimeout) instead. Its res is 0, -ENOENT (no such timeout) or
 * -EALREADY (it is firing).
 *
 * Lifetime: the timespec is kept referenced until the CQE is consumed (the
 * kernel reads it when the entry is submitted).
 * @since Linux 5.11; IORING_LINK_TIMEOUT_UPDATE 5.15
 * @see io_uring_prep_timeout_update(3)
 */
export function prepTimeoutUpdate(sqe: Sqe, ts: Timeout | Uint8Array, userData: number | bigint, flags = 0): void {
  checkU64(userData, 'userData');
  checkBits32(flags, 'flags');
  const spec = ts instanceof Uint8Array ? ts : makeTimespec(ts);
  const addr = addressFor(spec, __kernel_timespec.sizeof, 'ts');
  rw(IORING_OP_TIMEOUT_REMOVE, sqe, -1, 0, 0, addr); // off (addr2): the new timespec
  putU64(sqe.u32, sqe.w + 4, userData); // addr: the target's user_data
  sqe.u32[sqe.w + 7] = flags | IORING_TIMEOUT_UPDATE; // timeout_flags
  sqe.keep(spec);
}

/**
 * Prepare an `IORING_OP_LINK_TIMEOUT`: a deadline for the entry before it,
 * which must carry IOSQE_IO_LINK. If that operation is still running once
 * `ts` has passed it is canceled (its CQE says -ECANCELED, or -EINTR) and
 * this one completes with -ETIME; if it finishes first, this one completes
 * with -ECANCELED. `flags`: IORING_TIMEOUT_ABS, BOOTTIME, REALTIME,
 * ETIME_SUCCESS. A chain of a link timeout alone is -EINVAL.
 *
 * Lifetime: the timespec is kept referenced until the CQE is consumed.
 * @since Linux 5.5
 * @see io_uring_prep_link_timeout(3)
 */
export function prepLinkTimeout(sqe: Sqe, ts: Timeout | Uint8Array, flags = 0): void {
  checkBits32(flags, 'flags');
  const spec = ts instanceof Uint8Array ? ts : makeTimespec(ts);
  const addr = addressFor(spec, __kernel_timespec.sizeof, 'ts');
  rw(IORING_OP_LINK_TIMEOUT, sqe, -1, addr, 1, 0);
  sqe.u32[sqe.w + 7] = flags; // timeout_flags
  sqe.keep(spec);
}
