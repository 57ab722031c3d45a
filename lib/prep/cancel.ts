// ASYNC_CANCEL encoders. What a cancel matches is chosen by
// IORING_ASYNC_CANCEL_* in `flags`: user_data (the default, or
// IORING_ASYNC_CANCEL_USERDATA), the fd (IORING_ASYNC_CANCEL_FD, with
// IORING_ASYNC_CANCEL_FD_FIXED for a registered-file index), the opcode
// (IORING_ASYNC_CANCEL_OP) or anything (IORING_ASYNC_CANCEL_ANY); the keys
// given must all match. IORING_ASYNC_CANCEL_ALL cancels every match instead
// of the first. No memory is named, so nothing is kept.
//
// Unlike liburing, each encoder takes the opcode to match as a last
// argument: liburing leaves writing it to `sqe->len` to the caller.

import { IORING_ASYNC_CANCEL_FD, IORING_OP_ASYNC_CANCEL } from '../uapi/constants.ts';
import { checkBits32, checkFd, checkU32, checkU64 } from '../check.ts';
import { checkUserData, type Sqe } from '../ring/sqe.ts';
import { putU64 } from '../ring/sqe.ts';
import { rw } from './rw.ts';

/**
 * Prepare an `IORING_OP_ASYNC_CANCEL`: cancels the request whose user_data
 * is `userData` (a number up to 2^53-1 or a bigint), or what `flags` says
 * (IORING_ASYNC_CANCEL_*; `opcode` is the IORING_OP_* that
 * IORING_ASYNC_CANCEL_OP matches).
 *
 * The cancel runs at submission; its res is 0 (the target completes with
 * -ECANCELED, or -EINTR for some blocking operations), -ENOENT (nothing
 * matched: the target may already have completed), or -EALREADY (the target
 * is running and was told to stop; its CQE follows). With
 * IORING_ASYNC_CANCEL_ALL or IORING_ASYNC_CANCEL_ANY res is the number
 * canceled (ANY implies ALL); so is it for a futex or waitid target even
 * without them: 1, not 0 (measured on 6.18). Either way the target posts
 * exactly one final CQE of its own.
 *
 * Differs from liburing: a trailing `opcode` serves IORING_ASYNC_CANCEL_OP.
 * @since Linux 5.5; IORING_ASYNC_CANCEL_ALL, _FD and _ANY 5.19; _FD_FIXED 6.0; _USERDATA and _OP 6.6
 * @see io_uring_prep_cancel64(3)
 */
export function prepCancel64(sqe: Sqe, userData: number | bigint, flags = 0, opcode = 0): void {
  checkU64(userData, 'userData');
  checkBits32(flags, 'flags');
  checkU32(opcode, 'opcode');
  rw(IORING_OP_ASYNC_CANCEL, sqe, -1, 0, opcode, 0); // len: the opcode IORING_ASYNC_CANCEL_OP matches
  putU64(sqe.u32, sqe.w + 4, userData); // addr: the target's user_data
  sqe.u32[sqe.w + 7] = flags; // cancel_flags
}

/**
 * Prepare an `IORING_OP_ASYNC_CANCEL` by user_data: prepCancel64 for a
 * `userData` number (liburing's takes a pointer).
 *
 * Differs from liburing: `userData` is a number (or bigint) where liburing
 * takes a pointer, and a trailing `opcode` serves IORING_ASYNC_CANCEL_OP.
 * @since Linux 5.5
 * @see io_uring_prep_cancel(3)
 */
export function prepCancel(sqe: Sqe, userData: number, flags = 0, opcode = 0): void {
  checkUserData(userData);
  prepCancel64(sqe, userData, flags, opcode);
}

/**
 * Prepare an `IORING_OP_ASYNC_CANCEL` by file: cancels the first request on
 * `fd` (IORING_ASYNC_CANCEL_FD is added to `flags`; add
 * IORING_ASYNC_CANCEL_FD_FIXED when `fd` is a registered-file index,
 * IORING_ASYNC_CANCEL_ALL for every request on it, IORING_ASYNC_CANCEL_OP
 * with `opcode` to match only that operation). Results as prepCancel64.
 *
 * Differs from liburing: a trailing `opcode` serves IORING_ASYNC_CANCEL_OP.
 * @since Linux 5.19
 * @see io_uring_prep_cancel_fd(3)
 */
export function prepCancelFd(sqe: Sqe, fd: number, flags = 0, opcode = 0): void {
  checkFd(fd, 'fd');
  checkBits32(flags, 'flags');
  checkU32(opcode, 'opcode');
  rw(IORING_OP_ASYNC_CANCEL, sqe, fd, 0, opcode, 0); // len: the opcode IORING_ASYNC_CANCEL_OP matches
  sqe.u32[sqe.w + 7] = flags | IORING_ASYNC_CANCEL_FD; // cancel_flags
}
