// Pipes and moving data through them without a copy to user space: splice,
// tee, and pipe creation (into normal fds or the ring's file table).

import { IORING_OP_PIPE, IORING_OP_SPLICE, IORING_OP_TEE } from '../uapi/constants.ts';
import { checkBits32, checkFd, checkOffset, checkU32 } from '../check.ts';
import { addressFor } from '../ring/memory.ts';
import { setU64, type Sqe } from '../ring/sqe.ts';
import { fileIndexWord } from './fs.ts';
import { rw } from './rw.ts';

/**
 * Prepare an `IORING_OP_SPLICE`: splice(2) of up to `nbytes` from `fdIn` at
 * `offIn` to `fdOut` at `offOut`; one of them must be a pipe, whose offset
 * must be -1 (a file's -1 means its file position). With
 * SPLICE_F_FD_IN_FIXED in `spliceFlags`, `fdIn` is a registered file slot
 * (IOSQE_FIXED_FILE on the entry does the same for `fdOut`). `fdIn` travels
 * in `splice_fd_in`, `offIn` in `splice_off_in` (addr). The CQE's res is
 * the byte count (0 at end of input) or -errno.
 * @since Linux 5.7
 * @see io_uring_prep_splice(3)
 */
export function prepSplice(
  sqe: Sqe, fdIn: number, offIn: number, fdOut: number, offOut: number, nbytes: number, spliceFlags = 0,
): void {
  checkFd(fdIn, 'fdIn');
  checkFd(fdOut, 'fdOut');
  checkOffset(offIn, 'offIn');
  checkOffset(offOut, 'offOut');
  checkU32(nbytes, 'nbytes');
  checkBits32(spliceFlags, 'spliceFlags');
  rw(IORING_OP_SPLICE, sqe, fdOut, 0, nbytes, offOut);
  setU64(sqe.u32, sqe.w + 4, offIn); // splice_off_in
  sqe.u32[sqe.w + 7] = spliceFlags; // splice_flags
  sqe.u32[sqe.w + 11] = fdIn; // splice_fd_in
}

/**
 * Prepare an `IORING_OP_TEE`: tee(2), duplicating up to `nbytes` from pipe
 * `fdIn` into pipe `fdOut` without consuming them. SPLICE_F_FD_IN_FIXED in
 * `spliceFlags` makes `fdIn` a registered file slot. The CQE's res is the
 * byte count or -errno.
 * @since Linux 5.8
 * @see io_uring_prep_tee(3)
 */
export function prepTee(sqe: Sqe, fdIn: number, fdOut: number, nbytes: number, spliceFlags = 0): void {
  checkFd(fdIn, 'fdIn');
  checkFd(fdOut, 'fdOut');
  checkU32(nbytes, 'nbytes');
  checkBits32(spliceFlags, 'spliceFlags');
  rw(IORING_OP_TEE, sqe, fdOut, 0, nbytes, 0);
  sqe.u32[sqe.w + 7] = spliceFlags; // splice_flags
  sqe.u32[sqe.w + 11] = fdIn; // splice_fd_in
}

function checkPipeFds(fds: Int32Array): number {
  if (!(fds instanceof Int32Array)) throw new TypeError('fds must be an Int32Array(2)');
  return addressFor(fds, 8, 'fds');
}

/**
 * Prepare an `IORING_OP_PIPE`: pipe2(2) with O_CLOEXEC / O_NONBLOCK /
 * O_DIRECT `pipeFlags`. On success the kernel writes the read end to
 * `fds[0]` and the write end to `fds[1]`; the CQE's res is 0 or -errno.
 *
 * Lifetime: `fds` is kept referenced until the CQE is consumed.
 * @since Linux 6.16
 * @see io_uring_prep_pipe(3)
 */
export function prepPipe(sqe: Sqe, fds: Int32Array, pipeFlags = 0): void {
  checkBits32(pipeFlags, 'pipeFlags');
  const addr = checkPipeFds(fds);
  rw(IORING_OP_PIPE, sqe, 0, addr, 0, 0);
  sqe.u32[sqe.w + 7] = pipeFlags; // pipe_flags
  sqe.keep(fds);
}

/**
 * Prepare an `IORING_OP_PIPE` into the ring's file table: the read end goes
 * to direct descriptor slot `fileIndex` and the write end to the next one
 * (both must be free), or to any free slots with IORING_FILE_INDEX_ALLOC.
 * The kernel writes the two slots to `fds`.
 *
 * Lifetime: as prepPipe.
 * @since Linux 6.16
 * @see io_uring_prep_pipe_direct(3)
 */
export function prepPipeDirect(sqe: Sqe, fds: Int32Array, pipeFlags: number, fileIndex: number): void {
  const slot = fileIndexWord(fileIndex, true);
  prepPipe(sqe, fds, pipeFlags);
  sqe.u32[sqe.w + 11] = slot; // file_index
}
