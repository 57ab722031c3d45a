// liburing's small inline functions around an entry (io_uring_sqe_set_*) and a
// completion (io_uring_cqe_get_*), and readers for the IORING_CQE_F_* bits.
// The flag readers take anything with a `flags` number, so a Cqe or a copy of
// one made before cqeSeen() both work.

import {
  IORING_CQE_BUFFER_SHIFT, IORING_CQE_F_BUF_MORE, IORING_CQE_F_BUFFER, IORING_CQE_F_MORE, IORING_CQE_F_NOTIF,
  IORING_CQE_F_SOCK_NONEMPTY,
} from '../uapi/constants.ts';
import { checkU16, checkU64, checkU8 } from '../check.ts';
import type { Cqe } from '../ring/cqe.ts';
import { setU64Big, sqeSetData64, type Sqe } from '../ring/sqe.ts';

/** The part of a CQE the flag readers look at. */
export interface CqeFlags {
  /** IORING_CQE_F_* bits. */
  readonly flags: number;
}

/**
 * io_uring_sqe_set_flags(3): sets the entry's IOSQE_* bits (IOSQE_IO_LINK,
 * IOSQE_IO_HARDLINK, IOSQE_IO_DRAIN, IOSQE_ASYNC, IOSQE_BUFFER_SELECT,
 * IOSQE_CQE_SKIP_SUCCESS, IOSQE_FIXED_FILE), replacing any set before. Call
 * it after the encoder, which clears them. `flags` is the u8 `sqe->flags`: a
 * value outside 0..255 is a RangeError rather than silently cut to 8 bits.
 */
export function sqeSetFlags(sqe: Sqe, flags: number): void {
  checkU8(flags, 'sqe flags');
  sqe.u8[sqe.w * 4 + 1] = flags; // flags
}

/**
 * io_uring_sqe_set_data(3): sets user_data to any integer a u64 holds: a
 * number up to 2^53-1 or a bigint up to 2^64-1. liburing's takes a pointer;
 * here it is the one setter for both ranges (sqeSetData64 is the number-only
 * fast path). Read it back with cqeGetData.
 *
 * Differs from liburing: takes a number (or bigint) where liburing takes a
 * pointer.
 */
export function sqeSetData(sqe: Sqe, data: number | bigint): void {
  if (typeof data === 'bigint') {
    checkU64(data, 'data');
    setU64Big(sqe.u32, sqe.w + 8, data); // user_data
  } else {
    sqeSetData64(sqe, data);
  }
}

/**
 * io_uring_cqe_get_data(3): the completion's user_data, as set by
 * sqeSetData: a number when it is below 2^53 (so a bigint 5n reads back as
 * 5), a bigint above.
 */
export function cqeGetData(cqe: Cqe): number | bigint {
  return cqe.u32[cqe.w + 1]! >= 0x200000 ? cqe.userDataBig : cqe.userData;
}

/**
 * io_uring_cqe_get_data64(3): user_data as a number, the partner of
 * sqeSetData64; a RangeError above 2^53-1 (read those with cqe.userDataBig).
 */
export function cqeGetData64(cqe: Cqe): number {
  return cqe.userData;
}

/**
 * io_uring_sqe_set_buf_group(3): the provided-buffer group an entry with
 * IOSQE_BUFFER_SELECT picks from (`buf_group`, a u16; a RangeError outside
 * 0..65535).
 */
export function sqeSetBufGroup(sqe: Sqe, bgid: number): void {
  checkU16(bgid, 'buffer group');
  sqe.u16[sqe.w * 2 + 20] = bgid; // buf_group
}

/**
 * The provided buffer a completion consumed: `flags >>> IORING_CQE_BUFFER_SHIFT`
 * when IORING_CQE_F_BUFFER is set, undefined when the kernel picked none.
 */
export function cqeBufferId(cqe: CqeFlags): number | undefined {
  const f = cqe.flags;
  return (f & IORING_CQE_F_BUFFER) !== 0 ? f >>> IORING_CQE_BUFFER_SHIFT : undefined;
}

/** IORING_CQE_F_MORE: a multishot request will post more; the entry's memory stays in use. */
export function cqeHasMore(cqe: CqeFlags): boolean {
  return (cqe.flags & IORING_CQE_F_MORE) !== 0;
}

/** IORING_CQE_F_SOCK_NONEMPTY: the socket still held data after this receive. */
export function cqeSockNonempty(cqe: CqeFlags): boolean {
  return (cqe.flags & IORING_CQE_F_SOCK_NONEMPTY) !== 0;
}

/** IORING_CQE_F_NOTIF: the zero-copy send's notification (the buffer is free now), not its result. */
export function cqeIsNotif(cqe: CqeFlags): boolean {
  return (cqe.flags & IORING_CQE_F_NOTIF) !== 0;
}

/**
 * IORING_CQE_F_BUF_MORE: an incrementally consumed provided buffer
 * (IOU_PBUF_RING_INC) is not used up; the next completion continues in it.
 */
export function cqeBufMore(cqe: CqeFlags): boolean {
  return (cqe.flags & IORING_CQE_F_BUF_MORE) !== 0;
}
