// MSG_RING encoders: post a CQE into another ring (or this one), or pass it a
// registered file. `fd` is the target ring's fd (or, with IOSQE_FIXED_FILE,
// its index in this ring's registered files). No memory is named, so nothing
// is kept.

import {
  IORING_FILE_INDEX_ALLOC, IORING_MSG_RING_FLAGS_PASS, IORING_MSG_SEND_FD, IORING_OP_MSG_RING,
} from '../uapi/constants.ts';
import { checkBits32, checkFd, checkLength, checkU64 } from '../check.ts';
import type { Sqe } from '../ring/sqe.ts';
import { putU64 } from '../ring/sqe.ts';
import { rw } from './rw.ts';

/**
 * Prepare an `IORING_OP_MSG_RING` (IORING_MSG_DATA): posts a CQE on the ring
 * `fd` with res = `len` (a u32, read there as an s32) and user_data =
 * `data` (a number up to 2^53-1 or a bigint). `flags` must be 0
 * (IORING_MSG_RING_CQE_SKIP is for prepMsgRingFd: here it is -EINVAL). This
 * entry's own res is 0, or -EBADFD (not a ring, or a disabled one),
 * -EOVERFLOW (the target's CQ is full and can't overflow).
 * @since Linux 5.18
 * @see io_uring_prep_msg_ring(3)
 */
export function prepMsgRing(sqe: Sqe, fd: number, len: number, data: number | bigint, flags = 0): void {
  checkFd(fd, 'fd');
  checkBits32(len, 'len');
  checkU64(data, 'data');
  checkBits32(flags, 'flags');
  rw(IORING_OP_MSG_RING, sqe, fd, 0, len, 0); // addr: IORING_MSG_DATA (0)
  putU64(sqe.u32, sqe.w + 2, data); // off: the target CQE's user_data
  sqe.u32[sqe.w + 7] = flags; // msg_ring_flags
}

/**
 * Prepare an `IORING_OP_MSG_RING` whose target CQE carries `cqeFlags` in its
 * flags (IORING_MSG_RING_FLAGS_PASS is added to `flags`); otherwise as
 * prepMsgRing. The kernel may set other bits of that CQE's flags as well.
 * @since Linux 6.3
 * @see io_uring_prep_msg_ring_cqe_flags(3)
 */
export function prepMsgRingCqeFlags(sqe: Sqe, fd: number, len: number, data: number | bigint, flags: number, cqeFlags: number): void {
  checkBits32(cqeFlags, 'cqeFlags');
  checkBits32(flags, 'flags'); // before the | below, which would coerce
  prepMsgRing(sqe, fd, len, data, flags | IORING_MSG_RING_FLAGS_PASS);
  sqe.u32[sqe.w + 11] = cqeFlags; // file_index: copied to the target cqe->flags
}

/**
 * Prepare an `IORING_OP_MSG_RING` (IORING_MSG_SEND_FD): installs this ring's
 * registered file `sourceFd` (an index into its file table) into the file
 * table of the ring `fd` at index `targetFd`, or at a free slot when
 * `targetFd` is IORING_FILE_INDEX_ALLOC. The target ring posts a CQE with
 * user_data `data` and res 0, or the slot chosen with
 * IORING_FILE_INDEX_ALLOC, or -errno (-ENFILE: no free slot; -ENXIO: no
 * table); IORING_MSG_RING_CQE_SKIP in `flags` posts none there. This entry's
 * res is the same.
 * @since Linux 6.0
 * @see io_uring_prep_msg_ring_fd(3)
 */
export function prepMsgRingFd(sqe: Sqe, fd: number, sourceFd: number, targetFd: number, data: number | bigint, flags = 0): void {
  checkFd(fd, 'fd');
  checkFd(sourceFd, 'sourceFd');
  // -1 is IORING_FILE_INDEX_ALLOC as a C int (liburing's target_fd is one).
  const alloc = targetFd === IORING_FILE_INDEX_ALLOC || targetFd === -1;
  if (!alloc) checkFd(targetFd, 'targetFd');
  checkU64(data, 'data');
  checkBits32(flags, 'flags');
  rw(IORING_OP_MSG_RING, sqe, fd, IORING_MSG_SEND_FD, 0, 0); // addr: the command
  const u = sqe.u32;
  const w = sqe.w;
  putU64(u, w + 2, data); // off: the target CQE's user_data
  u[w + 7] = flags; // msg_ring_flags
  // file_index is stored +1 (0 means "none"); IORING_FILE_INDEX_ALLOC stays
  // as it is, which is what liburing's decrement-then-add gives too.
  u[w + 11] = alloc ? IORING_FILE_INDEX_ALLOC : targetFd + 1;
  u[w + 12] = sourceFd; // addr3: the source slot
}

/**
 * Prepare an `IORING_OP_MSG_RING` that passes the registered file
 * `sourceFd` into a free slot of the ring `fd`'s file table: prepMsgRingFd
 * with IORING_FILE_INDEX_ALLOC. The target CQE's res is the slot chosen.
 * @since Linux 6.0
 * @see io_uring_prep_msg_ring_fd_alloc(3)
 */
export function prepMsgRingFdAlloc(sqe: Sqe, fd: number, sourceFd: number, data: number | bigint, flags = 0): void {
  prepMsgRingFd(sqe, fd, sourceFd, IORING_FILE_INDEX_ALLOC, data, flags);
}
