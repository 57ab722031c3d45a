// Encoders for the basic operations, each one `prepRw` plus a field or two,
// as in liburing.h. They check every argument that could let the kernel touch
// memory it shouldn't (a length past the end of a buffer, a detached buffer,
// a bad fd) and throw TypeError or RangeError before writing a byte of the
// entry; then they keep the memory they name referenced until the final CQE.

import {
  IORING_OP_FSYNC, IORING_OP_NOP, IORING_OP_READ, IORING_OP_READV, IORING_OP_WRITE, IORING_OP_WRITEV,
} from '../uapi/constants.ts';
import { iovec } from '../uapi/layout.ts';
import { addressFor, checkFd, checkLength, checkOffset } from '../ring/memory.ts';
import type { Sqe } from '../ring/sqe.ts';

// 2^-32: multiplying by it is exact (a power of two) and far cheaper than
// dividing by 2^32 to take the high word of a u64.
const INV_TWO32 = 1 / 4294967296;

/**
 * io_uring_prep_rw(3): the base encoder. Writes `op`, `fd`, `addr`, `len`
 * and `offset`, and zeroes everything else but user_data (flags, ioprio, the
 * op-flags union, buf_index, personality, file_index, addr3). Unchecked:
 * `addr` is a raw address, and any memory it names must be kept with
 * `sqe.keep()`.
 */
export function prepRw(op: number, sqe: Sqe, fd: number, addr: number, len: number, offset: number): void {
  const u = sqe.u32;
  const w = sqe.w;
  u[w] = op; // opcode; flags 0; ioprio 0
  u[w + 1] = fd;
  u[w + 2] = offset >>> 0; // off (u64); -1 is all ones
  u[w + 3] = Math.floor(offset * INV_TWO32) >>> 0;
  u[w + 4] = addr >>> 0; // addr (u64)
  u[w + 5] = (addr * INV_TWO32) >>> 0;
  u[w + 6] = len;
  u[w + 7] = 0; // rw_flags and its union
  // A double 0 is eight zero bytes: half the stores.
  const d = sqe.f64;
  const h = w >>> 1;
  d[h + 5] = 0; // buf_index, personality, splice_fd_in / file_index
  d[h + 6] = 0; // addr3
  d[h + 7] = 0; // __pad2[0]
  if (sqe.kept !== 0) sqe.forget();
}

/**
 * Prepare an `IORING_OP_NOP`: completes with res 0, doing nothing.
 * @since Linux 5.1
 * @see io_uring_prep_nop(3)
 */
export function prepNop(sqe: Sqe): void {
  // prepRw(IORING_OP_NOP, sqe, -1, 0, 0, 0), written out: the NOP is the
  // benchmark of the ring's own overhead.
  const u = sqe.u32;
  const w = sqe.w;
  u[w] = 0; // IORING_OP_NOP, written as the literal: an imported constant is a module cell the JIT loads and checks every time
  u[w + 1] = -1; // fd
  const d = sqe.f64;
  const h = w >>> 1;
  d[h + 1] = 0; // off
  d[h + 2] = 0; // addr
  d[h + 3] = 0; // len, rw_flags
  d[h + 5] = 0; // buf_index, personality, file_index
  d[h + 6] = 0; // addr3
  d[h + 7] = 0; // __pad2[0]
  if (sqe.kept !== 0) sqe.forget();
}

/**
 * Prepare an `IORING_OP_READ`: pread(2) of up to `nbytes` (default the whole
 * buffer) into `buf` at `offset` (-1: the file position, which it advances).
 * The CQE's res is the byte count or -errno; a short read is not an error.
 *
 * Lifetime: `buf` is kept referenced until the CQE is consumed.
 * @since Linux 5.6
 * @see io_uring_prep_read(3)
 */
export function prepRead(sqe: Sqe, fd: number, buf: ArrayBufferView, nbytes: number = buf?.byteLength, offset = 0): void {
  prepRwBuffer(IORING_OP_READ, sqe, fd, buf, nbytes, offset);
}

/**
 * Prepare an `IORING_OP_WRITE`: pwrite(2) of `nbytes` (default the whole
 * buffer) from `buf` at `offset` (-1: the file position).
 *
 * Lifetime: `buf` is kept referenced until the CQE is consumed.
 * @since Linux 5.6
 * @see io_uring_prep_write(3)
 */
export function prepWrite(sqe: Sqe, fd: number, buf: ArrayBufferView, nbytes: number = buf?.byteLength, offset = 0): void {
  prepRwBuffer(IORING_OP_WRITE, sqe, fd, buf, nbytes, offset);
}

/**
 * prepRw for an operation on `nbytes` of one buffer at a file offset (READ,
 * WRITE, SEND-like ops without an offset pass 0): checks the fd, the buffer
 * and the length before writing anything, and keeps the buffer.
 */
export function prepRwBuffer(op: number, sqe: Sqe, fd: number, buf: ArrayBufferView, nbytes: number, offset: number): void {
  checkFd(fd);
  const addr = addressFor(buf, nbytes, 'buf');
  checkLength(nbytes, 'nbytes');
  checkOffset(offset);
  prepRw(op, sqe, fd, addr, nbytes, offset);
  sqe.keep(buf);
}

/**
 * Builds a `struct iovec` array over `bufs` (each whole), checked like a
 * single buffer. Returns the array; keep it and the buffers alive together.
 */
export function makeIovecs(bufs: readonly ArrayBufferView[], what = 'iovecs'): Uint32Array {
  if (!Array.isArray(bufs)) throw new TypeError(`${what} must be an array of buffers`);
  if (bufs.length > 1024) throw new RangeError(`${what} has ${bufs.length} buffers; the kernel takes at most 1024 (UIO_MAXIOV)`);
  const v = new Uint32Array((bufs.length * iovec.sizeof) / 4 || 4);
  for (let i = 0; i < bufs.length; i++) {
    const b = bufs[i]!;
    const a = addressFor(b, 0, `${what}[${i}]`);
    const w = (i * iovec.sizeof) / 4;
    v[w] = a >>> 0; // iov_base
    v[w + 1] = (a * INV_TWO32) >>> 0;
    v[w + 2] = b.byteLength; // iov_len
    v[w + 3] = 0;
  }
  return v;
}

function prepVec(op: number, sqe: Sqe, fd: number, bufs: readonly ArrayBufferView[], offset: number): void {
  checkFd(fd);
  checkOffset(offset);
  const v = makeIovecs(bufs);
  prepRw(op, sqe, fd, addressFor(v, 0, 'iovecs'), bufs.length, offset);
  sqe.keep(v);
  sqe.keep(bufs);
}

/**
 * Prepare an `IORING_OP_READV`: preadv(2) into `bufs`, filled in order.
 *
 * Lifetime: the buffers and the iovec array built for them are kept
 * referenced until the CQE is consumed.
 * @since Linux 5.1
 * @see io_uring_prep_readv(3)
 */
export function prepReadv(sqe: Sqe, fd: number, bufs: readonly ArrayBufferView[], offset = 0): void {
  prepVec(IORING_OP_READV, sqe, fd, bufs, offset);
}

/**
 * Prepare an `IORING_OP_WRITEV`: pwritev(2) from `bufs`, in order.
 *
 * Lifetime: as prepReadv.
 * @since Linux 5.1
 * @see io_uring_prep_writev(3)
 */
export function prepWritev(sqe: Sqe, fd: number, bufs: readonly ArrayBufferView[], offset = 0): void {
  prepVec(IORING_OP_WRITEV, sqe, fd, bufs, offset);
}

/**
 * Prepare an `IORING_OP_FSYNC`: fsync(2), or fdatasync(2) with
 * IORING_FSYNC_DATASYNC in `fsyncFlags`.
 * @since Linux 5.1
 * @see io_uring_prep_fsync(3)
 */
export function prepFsync(sqe: Sqe, fd: number, fsyncFlags = 0): void {
  checkFd(fd);
  prepRw(IORING_OP_FSYNC, sqe, fd, 0, 0, 0);
  sqe.u32[sqe.w + 7] = fsyncFlags; // fsync_flags
}
