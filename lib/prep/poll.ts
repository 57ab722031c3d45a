// Poll encoders: POLL_ADD (one-shot and multishot) and POLL_REMOVE (remove,
// or update a poll in flight). The event mask goes in the 32-bit
// `poll32_events` (IORING_FEAT_POLL_32BITS, Linux 5.9); on a little-endian
// machine that is the same word liburing writes, unswapped. No memory is
// named, so nothing is kept.

import { IORING_OP_POLL_ADD, IORING_OP_POLL_REMOVE, IORING_POLL_ADD_MULTI } from '../uapi/constants.ts';
import { checkBits32, checkFd, checkU32, checkU64 } from '../check.ts';
import type { Sqe } from '../ring/sqe.ts';
import { putU64 } from '../ring/sqe.ts';
import { rw } from './rw.ts';
import { POLLIN, POLLOUT } from '../uapi/poll.ts';

/**
 * Prepare an `IORING_OP_POLL_ADD`: poll(2) of one fd for `pollMask`
 * (POLLIN, POLLOUT, ...). One-shot: the CQE's res is the mask of events that
 * fired, or -errno; -ECANCELED when removed or canceled.
 * @since Linux 5.1
 * @see io_uring_prep_poll_add(3)
 */
export function prepPollAdd(sqe: Sqe, fd: number, pollMask: number): void {
  checkFd(fd, 'fd');
  checkBits32(pollMask, 'pollMask');
  rw(IORING_OP_POLL_ADD, sqe, fd, 0, 0, 0);
  sqe.u32[sqe.w + 7] = pollMask; // poll32_events
}

/**
 * Prepare an `IORING_OP_POLL_ADD` with IORING_POLL_ADD_MULTI: a poll that
 * stays armed, posting a CQE (res: the events) with IORING_CQE_F_MORE for
 * each wakeup. It ends with a CQE without F_MORE: -ECANCELED after
 * prepPollRemove or a cancel, or an error.
 * @since Linux 5.13
 * @see io_uring_prep_poll_multishot(3)
 */
export function prepPollMultishot(sqe: Sqe, fd: number, pollMask: number): void {
  prepPollAdd(sqe, fd, pollMask);
  sqe.u32[sqe.w + 6] = IORING_POLL_ADD_MULTI; // len
}

/**
 * Prepare an `IORING_OP_POLL_REMOVE`: removes the poll whose user_data is
 * `userData` (a number up to 2^53-1 or a bigint). Its own res is 0, or
 * -ENOENT when no such poll is armed (it already fired); the poll then
 * completes with -ECANCELED.
 * @since Linux 5.1
 * @see io_uring_prep_poll_remove(3)
 */
export function prepPollRemove(sqe: Sqe, userData: number | bigint): void {
  checkU64(userData, 'userData');
  rw(IORING_OP_POLL_REMOVE, sqe, -1, 0, 0, 0);
  putU64(sqe.u32, sqe.w + 4, userData); // addr: the target's user_data
}

/**
 * Prepare an `IORING_OP_POLL_REMOVE` that updates the armed poll
 * `oldUserData` in place. `flags`: IORING_POLL_UPDATE_EVENTS (the mask
 * becomes `pollMask`; only its low 16 bits can change),
 * IORING_POLL_UPDATE_USER_DATA (its user_data becomes `newUserData`), and
 * IORING_POLL_ADD_MULTI (with UPDATE_EVENTS: make it multishot). Its own res
 * is 0, -ENOENT (no such poll) or -EALREADY; a poll that can't be re-armed
 * ends with its own CQE.
 * @since Linux 5.13
 * @see io_uring_prep_poll_update(3)
 */
export function prepPollUpdate(sqe: Sqe, oldUserData: number | bigint, newUserData: number | bigint, pollMask: number, flags: number): void {
  checkU64(oldUserData, 'oldUserData');
  checkU64(newUserData, 'newUserData');
  checkBits32(pollMask, 'pollMask');
  checkU32(flags, 'flags');
  rw(IORING_OP_POLL_REMOVE, sqe, -1, 0, flags, 0); // len: IORING_POLL_UPDATE_*
  const u = sqe.u32;
  const w = sqe.w;
  putU64(u, w + 2, newUserData); // off (addr2): the new user_data
  putU64(u, w + 4, oldUserData); // addr: the target's user_data
  u[w + 7] = pollMask; // poll32_events
}
