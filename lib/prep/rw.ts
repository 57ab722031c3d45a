// Encoders for the basic operations, each one `prepRw` plus a field or two,
// as in liburing.h. They check every argument that could let the kernel touch
// memory it shouldn't (a length past the end of a buffer, a detached buffer,
// a bad fd) and throw TypeError or RangeError before writing a byte of the
// entry; then they keep the memory they name referenced until the final CQE.

import {
  IORING_OP_FSYNC, IORING_OP_NOP, IORING_OP_READ, IORING_OP_READV, IORING_OP_WRITE, IORING_OP_WRITEV,
} from '../uapi/constants.ts';
import { iovec } from '../uapi/layout.ts';
import { checkBits32, checkFd, checkLength, checkOffset, checkU32, checkU8, shown } from '../check.ts';
import { addressFor, byteLengthOf } from '../ring/memory.ts';
import { setU64, type Sqe } from '../ring/sqe.ts';

// 2^-32: multiplying by it is exact (a power of two) and far cheaper than
// dividing by 2^32 to take the high word of a u64. sqe.ts's setU64 does the
// same; rw() writes its two u64s inline, which measured 4-5 ns an encoder
// less than calling it (a prepRead in a loop that never enters the kernel).
const INV_TWO32 = 1 / 4294967296;

/**
 * io_uring_prep_rw(3): the base encoder. Writes `op`, `fd`, `addr`, `len`
 * and `offset`, and zeroes everything else but user_data (flags, ioprio, the
 * op-flags union, buf_index, personality, file_index, addr3). Each value is
 * checked to fit its field (op a u8, fd an int32, addr an integer from 0 to
 * 2^53-1, len a u32, offset a safe integer: a negative one is stored as its
 * two's complement, so -1 is all ones), but `addr` is a raw address: any
 * memory it names must be kept with `sqe.keep()`.
 */
export function prepRw(op: number, sqe: Sqe, fd: number, addr: number, len: number, offset: number): void {
  checkU8(op, 'op');
  checkFd(fd, 'fd');
  // addr and offset are tested inline, not with check.ts: prepRw is a per-op
  // path (every op without an encoder of its own goes through it), and a
  // call each would be two more per entry.
  if (typeof addr !== 'number' || !Number.isSafeInteger(addr) || addr < 0) {
    throw new (typeof addr === 'number' ? RangeError : TypeError)(`addr must be an integer from 0 to 2^53-1 (got ${shown(addr)})`);
  }
  checkU32(len, 'len'); // raw: the memory it may name is the caller's to keep
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset)) {
    throw new (typeof offset === 'number' ? RangeError : TypeError)(`offset must be an integer from -(2^53-1) to 2^53-1 (got ${shown(offset)})`);
  }
  rw(op, sqe, fd, addr, len, offset);
}

/**
 * @internal prepRw without the checks, for the encoders, which have checked
 * every value before they call it (their first write to the entry).
 */
export function rw(op: number, sqe: Sqe, fd: number, addr: number, len: number, offset: number): void {
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
 * Differs from liburing: `offset` may be left out; it is then -1, the
 * file position, as node:fs reads and writes with `position` null.
 */
export function prepRead(sqe: Sqe, fd: number, buf: ArrayBufferView, nbytes: number = buf?.byteLength, offset = -1): void {
  prepRwBuffer(IORING_OP_READ, sqe, fd, buf, nbytes, offset);
}

/**
 * Prepare an `IORING_OP_WRITE`: pwrite(2) of `nbytes` (default the whole
 * buffer) from `buf` at `offset` (-1: the file position).
 *
 * Lifetime: `buf` is kept referenced until the CQE is consumed.
 * @since Linux 5.6
 * @see io_uring_prep_write(3)
 * Differs from liburing: `offset` may be left out; it is then -1, the
 * file position, as node:fs reads and writes with `position` null.
 */
export function prepWrite(sqe: Sqe, fd: number, buf: ArrayBufferView, nbytes: number = buf?.byteLength, offset = -1): void {
  prepRwBuffer(IORING_OP_WRITE, sqe, fd, buf, nbytes, offset);
}

/**
 * prepRw for an operation on `nbytes` of one buffer at a file offset (READ,
 * WRITE, SEND-like ops without an offset pass 0): checks the fd, the buffer
 * and the length before writing anything, and keeps the buffer.
 */
export function prepRwBuffer(op: number, sqe: Sqe, fd: number, buf: ArrayBufferView, nbytes: number, offset: number): void {
  checkU8(op, 'op');
  checkFd(fd, 'fd');
  // Numbers before the buffer: addressFor compares nbytes with the length.
  checkLength(nbytes, 'nbytes');
  checkOffset(offset);
  const addr = addressFor(buf, nbytes, 'buf');
  rw(op, sqe, fd, addr, nbytes, offset);
  sqe.keep(buf);
}

/**
 * @internal The caller's array of buffers, read once: its length once and
 * each element once, into a fresh array. Everything after works on the copy,
 * so a Proxy (or a getter, or another prep emptying the array) can't make
 * the count encoded differ from the views checked and kept.
 */
export function snapshotViews(bufs: readonly ArrayBufferView[], what: string): ArrayBufferView[] {
  if (!Array.isArray(bufs)) throw new TypeError(`${what} must be an array of buffers`);
  const n = bufs.length;
  if (typeof n !== 'number' || (n >>> 0) !== n) throw new TypeError(`${what} has no valid length (got ${shown(n)})`);
  if (n > 1024) throw new RangeError(`${what} has ${n} buffers; the kernel takes at most 1024 (UIO_MAXIOV)`);
  const views = new Array<ArrayBufferView>(n);
  for (let i = 0; i < n; i++) views[i] = bufs[i]!;
  return views;
}

/**
 * @internal The `struct iovec` array for views already snapshotted: each
 * address and length from the view's internal slots.
 */
export function encodeIovecs(views: readonly ArrayBufferView[], what: string): Uint32Array {
  const v = new Uint32Array((views.length * iovec.sizeof) / 4 || 4);
  for (let i = 0; i < views.length; i++) {
    const b = views[i]!;
    const len = byteLengthOf(b, `${what}[${i}]`);
    const a = addressFor(b, len, `${what}[${i}]`);
    const w = (i * iovec.sizeof) / 4;
    setU64(v, w, a); // iov_base
    v[w + 2] = len; // iov_len
    v[w + 3] = 0;
  }
  return v;
}

/**
 * Builds a `struct iovec` array over `bufs` (each whole), checked like a
 * single buffer. `bufs` is read once (its length, then each element).
 * Returns the array; keep it and the buffers alive together.
 */
export function makeIovecs(bufs: readonly ArrayBufferView[], what = 'iovecs'): Uint32Array {
  return encodeIovecs(snapshotViews(bufs, what), what);
}

/**
 * @internal readv/writev and their variants: fd and offset checked, `bufs`
 * snapshotted and encoded, then the entry written with `flags` in rw_flags.
 * The copy of the array is kept, never the caller's array: emptying that
 * after prep can't let a buffer go while the kernel uses it.
 */
export function prepVec(op: number, sqe: Sqe, fd: number, bufs: readonly ArrayBufferView[], offset: number, flags: number): void {
  checkFd(fd, 'fd');
  checkOffset(offset);
  checkBits32(flags, 'flags');
  const views = snapshotViews(bufs, 'iovecs');
  const v = encodeIovecs(views, 'iovecs');
  const addr = addressFor(v, 0, 'iovecs');
  rw(op, sqe, fd, addr, views.length, offset);
  sqe.u32[sqe.w + 7] = flags; // rw_flags
  sqe.keep(v);
  sqe.keep(views);
}

/**
 * Prepare an `IORING_OP_READV`: preadv(2) into `bufs`, filled in order.
 *
 * Lifetime: the buffers and the iovec array built for them are kept
 * referenced until the CQE is consumed. `bufs` is read once, when the entry
 * is prepared: what the array holds afterwards changes nothing.
 * @since Linux 5.1
 * @see io_uring_prep_readv(3)
 * Differs from liburing: `offset` may be left out; it is then -1, the
 * file position, as node:fs reads and writes with `position` null.
 */
export function prepReadv(sqe: Sqe, fd: number, bufs: readonly ArrayBufferView[], offset = -1): void {
  prepVec(IORING_OP_READV, sqe, fd, bufs, offset, 0);
}

/**
 * Prepare an `IORING_OP_WRITEV`: pwritev(2) from `bufs`, in order.
 *
 * Lifetime: as prepReadv.
 * @since Linux 5.1
 * @see io_uring_prep_writev(3)
 * Differs from liburing: `offset` may be left out; it is then -1, the
 * file position, as node:fs reads and writes with `position` null.
 */
export function prepWritev(sqe: Sqe, fd: number, bufs: readonly ArrayBufferView[], offset = -1): void {
  prepVec(IORING_OP_WRITEV, sqe, fd, bufs, offset, 0);
}

/**
 * Prepare an `IORING_OP_FSYNC`: fsync(2), or fdatasync(2) with
 * IORING_FSYNC_DATASYNC in `fsyncFlags`.
 * @since Linux 5.1
 * @see io_uring_prep_fsync(3)
 */
export function prepFsync(sqe: Sqe, fd: number, fsyncFlags = 0): void {
  checkFd(fd, 'fd');
  checkBits32(fsyncFlags, 'fsyncFlags');
  rw(IORING_OP_FSYNC, sqe, fd, 0, 0, 0);
  sqe.u32[sqe.w + 7] = fsyncFlags; // fsync_flags
}
