// Encoders for registered buffers (READ_FIXED, WRITE_FIXED, READV_FIXED,
// WRITEV_FIXED), for the classic provided buffers (PROVIDE_BUFFERS,
// REMOVE_BUFFERS), and for READ_MULTISHOT, which reads into buffers from a
// provided-buffer ring. Each is prepRw plus a field or two, as in liburing.h.

import { checkFd, checkIntRange, checkLength, checkOffset, checkU16 } from '../check.ts';
import { RingLocal } from '../ring/held.ts';
import {
  IORING_OP_PROVIDE_BUFFERS, IORING_OP_READ_FIXED, IORING_OP_READ_MULTISHOT, IORING_OP_READV_FIXED,
  IORING_OP_REMOVE_BUFFERS, IORING_OP_WRITE_FIXED, IORING_OP_WRITEV_FIXED, IOSQE_BUFFER_SELECT,
} from '../uapi/constants.ts';
import { addressFor } from '../ring/memory.ts';
import type { IoUring } from '../ring/io-uring.ts';
import type { Sqe } from '../ring/sqe.ts';
import { viewBuffer } from '../ring/memory.ts';
import { prepVec, rw } from './rw.ts';

// The kernel's limit on buffers in one group (MAX_BIDS_PER_BGID).
const MAX_BIDS = 1 << 16;

function prepFixed(op: number, sqe: Sqe, fd: number, buf: ArrayBufferView, nbytes: number, offset: number, bufIndex: number): void {
  checkFd(fd, 'fd');
  checkLength(nbytes, 'nbytes');
  checkOffset(offset);
  checkU16(bufIndex, 'bufIndex');
  const addr = addressFor(buf, nbytes, 'buf');
  rw(op, sqe, fd, addr, nbytes, offset);
  sqe.u16[sqe.w * 2 + 20] = bufIndex; // buf_index (u16 at 40)
  sqe.keep(buf);
}

/**
 * Prepare an `IORING_OP_READ_FIXED`: pread(2) of `nbytes` into `buf`, which
 * must lie within registered buffer `bufIndex` (registerBuffers); the CQE's
 * res is the byte count, -EFAULT when `buf` is outside that buffer, -EINVAL
 * when no such buffer is registered. Offset -1 reads at the file position.
 *
 * Lifetime: `buf` is kept referenced until the CQE is consumed (the
 * registered buffer itself is kept while registered).
 * @since Linux 5.1
 * @see io_uring_prep_read_fixed(3)
 */
export function prepReadFixed(sqe: Sqe, fd: number, buf: ArrayBufferView, nbytes: number, offset: number, bufIndex: number): void {
  prepFixed(IORING_OP_READ_FIXED, sqe, fd, buf, nbytes, offset, bufIndex);
}

/**
 * Prepare an `IORING_OP_WRITE_FIXED`: pwrite(2) of `nbytes` from `buf`,
 * within registered buffer `bufIndex`; results as prepReadFixed.
 *
 * Lifetime: as prepReadFixed.
 * @since Linux 5.1
 * @see io_uring_prep_write_fixed(3)
 */
export function prepWriteFixed(sqe: Sqe, fd: number, buf: ArrayBufferView, nbytes: number, offset: number, bufIndex: number): void {
  prepFixed(IORING_OP_WRITE_FIXED, sqe, fd, buf, nbytes, offset, bufIndex);
}

function prepVecFixed(op: number, sqe: Sqe, fd: number, bufs: readonly ArrayBufferView[], offset: number, flags: number, bufIndex: number): void {
  checkU16(bufIndex, 'bufIndex');
  prepVec(op, sqe, fd, bufs, offset, flags); // checks the rest before it writes
  sqe.u16[sqe.w * 2 + 20] = bufIndex; // buf_index (u16 at 40)
}

/**
 * Prepare an `IORING_OP_READV_FIXED`: preadv2(2) into `bufs`, each of which
 * must lie within registered buffer `bufIndex` (-EFAULT otherwise), with
 * RWF_* `flags`.
 *
 * Lifetime: the buffers and the iovec array built for them are kept
 * referenced until the CQE is consumed.
 *
 * Differs from liburing: `bufs` is an array of views, not an iovec pointer
 * and a count.
 * @since Linux 6.15
 * @see io_uring_prep_readv_fixed(3)
 */
export function prepReadvFixed(sqe: Sqe, fd: number, bufs: readonly ArrayBufferView[], offset: number, flags: number, bufIndex: number): void {
  prepVecFixed(IORING_OP_READV_FIXED, sqe, fd, bufs, offset, flags, bufIndex);
}

/**
 * Prepare an `IORING_OP_WRITEV_FIXED`: pwritev2(2) from `bufs`, each within
 * registered buffer `bufIndex`, with RWF_* `flags`.
 *
 * Lifetime: as prepReadvFixed.
 *
 * Differs from liburing: `bufs` is an array of views, not an iovec pointer
 * and a count.
 * @since Linux 6.15
 * @see io_uring_prep_writev_fixed(3)
 */
export function prepWritevFixed(sqe: Sqe, fd: number, bufs: readonly ArrayBufferView[], offset: number, flags: number, bufIndex: number): void {
  prepVecFixed(IORING_OP_WRITEV_FIXED, sqe, fd, bufs, offset, flags, bufIndex);
}

// Per ring: the memory of every buffer handed to it with PROVIDE_BUFFERS.
const provided = new RingLocal<Set<ArrayBufferLike>>('provided buffers');

/**
 * Prepare an `IORING_OP_PROVIDE_BUFFERS`: gives buffer group `bgid` `nr`
 * buffers of `len` bytes, cut in order from the start of `buf`, with ids
 * `bid`, `bid` + 1, ... An operation with IOSQE_BUFFER_SELECT and that group
 * then takes one (the id comes back in its CQE's flags). Res: 0 (or the count
 * on old kernels) or -errno. The `fd` field carries `nr`, `off` the first id.
 *
 * Lifetime: the kernel holds the buffers until requests consume them or
 * REMOVE_BUFFERS takes them back, and reports neither per buffer; so `buf`'s
 * memory is kept referenced for as long as the ring lives. Provide the same
 * memory again to recycle buffers rather than fresh memory each time. A
 * provided-buffer ring (setupBufRing) is the faster, newer way.
 * @since Linux 5.7
 * @see io_uring_prep_provide_buffers(3)
 */
export function prepProvideBuffers(sqe: Sqe, buf: ArrayBufferView, len: number, nr: number, bgid: number, bid: number): void {
  checkLength(len, 'len');
  checkIntRange(nr, 1, MAX_BIDS, 'nr');
  checkU16(bgid, 'bgid');
  checkU16(bid, 'bid');
  const addr = addressFor(buf, len * nr, 'buf');
  const mem = viewBuffer(buf);
  rw(IORING_OP_PROVIDE_BUFFERS, sqe, nr, addr, len, bid);
  sqe.u16[sqe.w * 2 + 20] = bgid; // buf_group (u16 at 40)
  sqe.keep(buf);
  let held = provided.get(sqe.ring);
  if (held === undefined) provided.set(sqe.ring, (held = new Set()));
  held.add(mem);
}

/**
 * Prepare an `IORING_OP_REMOVE_BUFFERS`: takes back up to `nr` buffers of
 * group `bgid` that no request has taken. Res: how many were removed (0 once
 * the group is empty), -ENOENT for a group never provided, -EINVAL for a
 * buffer-ring group. The `fd` field carries `nr`.
 * @since Linux 5.7
 * @see io_uring_prep_remove_buffers(3)
 */
export function prepRemoveBuffers(sqe: Sqe, nr: number, bgid: number): void {
  checkIntRange(nr, 1, MAX_BIDS, 'nr');
  checkU16(bgid, 'bgid');
  rw(IORING_OP_REMOVE_BUFFERS, sqe, nr, 0, 0, 0);
  sqe.u16[sqe.w * 2 + 20] = bgid; // buf_group (u16 at 40)
}

/**
 * Prepare an `IORING_OP_READ_MULTISHOT`: reads from `fd` (a pipe, socket or
 * other pollable file) each time it has data, into buffers taken from the
 * provided-buffer ring of group `bufGroup` (setupBufRing; classic provided
 * buffers are refused), up to `nbytes` a read (0: the whole buffer). Posts a
 * CQE per read, with IORING_CQE_F_MORE while it stays armed and the buffer id
 * in the flags; it ends with a CQE without F_MORE (res 0 at end of file,
 * -ENOBUFS when the ring ran dry, or an error). Sets IOSQE_BUFFER_SELECT.
 * @since Linux 6.7
 * @see io_uring_prep_read_multishot(3)
 */
export function prepReadMultishot(sqe: Sqe, fd: number, nbytes: number, offset: number, bufGroup: number): void {
  checkFd(fd, 'fd');
  checkLength(nbytes, 'nbytes');
  checkOffset(offset);
  checkU16(bufGroup, 'bufGroup');
  rw(IORING_OP_READ_MULTISHOT, sqe, fd, 0, nbytes, offset);
  sqe.u8[sqe.w * 4 + 1] = IOSQE_BUFFER_SELECT; // flags
  sqe.u16[sqe.w * 2 + 20] = bufGroup; // buf_group (u16 at 40)
}
