// File-system encoders: the *at() path operations, statx, advice,
// allocation and truncation, sync_file_range, and readv2/writev2 with
// per-call RWF_* flags, each `prepRw` plus the fields liburing.h writes.
// Opening and closing (and direct descriptors) are in open.ts, extended
// attributes in xattr.ts, splice, tee and pipes in splice.ts.
//
// Their flags and the statx layout are in lib/uapi/fs.ts.

import {
  IORING_FILE_INDEX_ALLOC,
  IORING_OP_FADVISE, IORING_OP_FALLOCATE, IORING_OP_FTRUNCATE, IORING_OP_LINKAT, IORING_OP_MADVISE, IORING_OP_MKDIRAT,
  IORING_OP_READV, IORING_OP_RENAMEAT, IORING_OP_STATX, IORING_OP_SYMLINKAT, IORING_OP_SYNC_FILE_RANGE,
  IORING_OP_UNLINKAT, IORING_OP_WRITEV,
} from '../uapi/constants.ts';
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_EMPTY_PATH, RWF_HIPRI, RWF_DSYNC, RWF_NOWAIT, RWF_APPEND, MADV_DONTNEED, STATX_BASIC_STATS, STATX_BTIME, statx, statx_timestamp } from '../uapi/fs.ts';
import { checkBits32, checkFd, checkLength, checkSafeU64, checkU32 } from '../check.ts';
import { addressFor } from '../ring/memory.ts';
import type { Sqe } from '../ring/sqe.ts';
import { cString } from './path.ts';
import { prepVec, rw } from './rw.ts';

// ---------------------------------------------------------- direct descriptors

/**
 * @internal The `file_index` word for a direct descriptor slot: the slot + 1 (0 means
 * "not direct"), or IORING_FILE_INDEX_ALLOC unchanged (the kernel picks a
 * free slot and returns it as the result) when `allowAlloc`.
 */
export function fileIndexWord(fileIndex: number, allowAlloc: boolean): number {
  if (typeof fileIndex !== 'number') throw new TypeError(`fileIndex must be a number (got ${typeof fileIndex})`);
  if (fileIndex === IORING_FILE_INDEX_ALLOC) {
    if (allowAlloc) return IORING_FILE_INDEX_ALLOC;
  } else if ((fileIndex >>> 0) === fileIndex && fileIndex < IORING_FILE_INDEX_ALLOC - 1) {
    return fileIndex + 1;
  }
  throw new RangeError(`fileIndex must be a direct descriptor slot from 0 to 2^32-3${allowAlloc ? ', or IORING_FILE_INDEX_ALLOC' : ''} (got ${fileIndex})`);
}

// --------------------------------------------------------------------- statx

/**
 * Prepare an `IORING_OP_STATX`: statx(2) of `path` relative to `dfd`
 * (AT_FDCWD, or a directory fd; with AT_EMPTY_PATH and path '' the file `dfd`
 * itself). `flags` are AT_* (AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH,
 * AT_STATX_*); `mask` the STATX_* fields wanted (default the basic stats and
 * the birth time). Fills `statxbuf` (at least 256 bytes), or a new buffer,
 * and returns it: read it with `decodeStatx` once the CQE's res is 0.
 *
 * Lifetime: the path and the buffer are kept referenced until the CQE is
 * consumed (the kernel writes the buffer at completion).
 * @since Linux 5.6
 * @see io_uring_prep_statx(3)
 */
export function prepStatx<T extends ArrayBufferView = Uint8Array>(
  sqe: Sqe, dfd: number, path: string | Uint8Array, flags = 0, mask = STATX_BASIC_STATS | STATX_BTIME, statxbuf?: T,
): T {
  checkFd(dfd, 'dfd');
  checkBits32(flags, 'flags');
  checkBits32(mask, 'mask');
  const p = cString(path, 'path');
  const buf = statxbuf ?? (new Uint8Array(new ArrayBuffer(statx.sizeof)) as unknown as T);
  const bufAddr = addressFor(buf, statx.sizeof, 'statxbuf');
  const pathAddr = addressFor(p, p.length, 'path');
  rw(IORING_OP_STATX, sqe, dfd, pathAddr, mask, bufAddr); // off is addr2: the statx buffer
  sqe.u32[sqe.w + 7] = flags; // statx_flags
  sqe.keep(p);
  sqe.keep(buf);
  return buf;
}

/** A `struct statx_timestamp`. */
export interface StatxTimestamp {
  /** Seconds since the epoch (`tv_sec`). */
  sec: number;
  /** Nanoseconds (`tv_nsec`). */
  nsec: number;
}

/**
 * A decoded `struct statx`, with the header's field names minus `stx_`.
 * Fields not in the result `mask` are 0. The 64-bit fields are numbers:
 * exact up to 2^53 (inode numbers and sizes above that lose precision; the
 * raw buffer still holds them).
 */
export interface Statx {
  /** STATX_* bits: which fields the kernel filled. */
  mask: number;
  /** The preferred I/O block size. */
  blksize: number;
  /** STATX_ATTR_* bits of the file. */
  attributes: number;
  /** Hard links. */
  nlink: number;
  /** Owner user id. */
  uid: number;
  /** Owner group id. */
  gid: number;
  /** File type and permission bits (S_IF*, 0o7777). */
  mode: number;
  /** Inode number. */
  ino: number;
  /** Size in bytes. */
  size: number;
  /** 512-byte blocks allocated. */
  blocks: number;
  /** Which STATX_ATTR_* bits this file system supports. */
  attributes_mask: number;
  /** Last access. */
  atime: StatxTimestamp;
  /** Creation (STATX_BTIME). */
  btime: StatxTimestamp;
  /** Last status change. */
  ctime: StatxTimestamp;
  /** Last modification. */
  mtime: StatxTimestamp;
  /** Device major number, for a device file. */
  rdev_major: number;
  /** Device minor number, for a device file. */
  rdev_minor: number;
  /** Major number of the device the file is on. */
  dev_major: number;
  /** Minor number of the device the file is on. */
  dev_minor: number;
  /** Mount id (STATX_MNT_ID or STATX_MNT_ID_UNIQUE). */
  mnt_id: number;
  /** O_DIRECT memory alignment (STATX_DIOALIGN). */
  dio_mem_align: number;
  /** O_DIRECT offset and length alignment (STATX_DIOALIGN). */
  dio_offset_align: number;
  /** Subvolume id (STATX_SUBVOL). */
  subvol: number;
  /** Smallest atomic write, bytes (STATX_WRITE_ATOMIC). */
  atomic_write_unit_min: number;
  /** Largest atomic write, bytes (STATX_WRITE_ATOMIC). */
  atomic_write_unit_max: number;
  /** Most iovecs an atomic write may have (STATX_WRITE_ATOMIC). */
  atomic_write_segments_max: number;
  /** O_DIRECT read offset alignment (STATX_DIO_READ_ALIGN). */
  dio_read_offset_align: number;
  /** Largest atomic write the device does well, bytes (STATX_WRITE_ATOMIC). */
  atomic_write_unit_max_opt: number;
}

/** Decodes the `struct statx` a STATX filled (little-endian, as on x86_64 and arm64). */
export function decodeStatx(buf: ArrayBufferView): Statx {
  if (!ArrayBuffer.isView(buf)) throw new TypeError('buf must be a Buffer, TypedArray or DataView');
  if (buf.byteLength < statx.sizeof) throw new RangeError(`buf holds ${buf.byteLength} bytes; a struct statx is ${statx.sizeof}`);
  const dv = new DataView(buf.buffer, buf.byteOffset, statx.sizeof);
  const u32 = (at: number) => dv.getUint32(at, true);
  const u64 = (at: number) => Number(dv.getBigUint64(at, true));
  const ts = (at: number): StatxTimestamp => ({
    sec: Number(dv.getBigInt64(at + statx_timestamp.tv_sec, true)),
    nsec: dv.getUint32(at + statx_timestamp.tv_nsec, true),
  });
  return {
    mask: u32(statx.stx_mask),
    blksize: u32(statx.stx_blksize),
    attributes: u64(statx.stx_attributes),
    nlink: u32(statx.stx_nlink),
    uid: u32(statx.stx_uid),
    gid: u32(statx.stx_gid),
    mode: dv.getUint16(statx.stx_mode, true),
    ino: u64(statx.stx_ino),
    size: u64(statx.stx_size),
    blocks: u64(statx.stx_blocks),
    attributes_mask: u64(statx.stx_attributes_mask),
    atime: ts(statx.stx_atime),
    btime: ts(statx.stx_btime),
    ctime: ts(statx.stx_ctime),
    mtime: ts(statx.stx_mtime),
    rdev_major: u32(statx.stx_rdev_major),
    rdev_minor: u32(statx.stx_rdev_minor),
    dev_major: u32(statx.stx_dev_major),
    dev_minor: u32(statx.stx_dev_minor),
    mnt_id: u64(statx.stx_mnt_id),
    dio_mem_align: u32(statx.stx_dio_mem_align),
    dio_offset_align: u32(statx.stx_dio_offset_align),
    subvol: u64(statx.stx_subvol),
    atomic_write_unit_min: u32(statx.stx_atomic_write_unit_min),
    atomic_write_unit_max: u32(statx.stx_atomic_write_unit_max),
    atomic_write_segments_max: u32(statx.stx_atomic_write_segments_max),
    dio_read_offset_align: u32(statx.stx_dio_read_offset_align),
    atomic_write_unit_max_opt: u32(statx.stx_atomic_write_unit_max_opt),
  };
}

// -------------------------------------------------------------------- advice

/**
 * Prepare an `IORING_OP_FADVISE`: posix_fadvise(2) of `len` bytes (0: to
 * the end of the file) of `fd` from `offset`, with POSIX_FADV_* `advice`.
 * The CQE's res is 0 or -errno.
 * @since Linux 5.6
 * @see io_uring_prep_fadvise(3)
 */
export function prepFadvise(sqe: Sqe, fd: number, offset: number, len: number, advice: number): void {
  checkFd(fd, 'fd');
  checkSafeU64(offset, 'offset');
  checkU32(len, 'len');
  checkBits32(advice, 'advice');
  rw(IORING_OP_FADVISE, sqe, fd, 0, len, offset);
  sqe.u32[sqe.w + 7] = advice; // fadvise_advice
}

/**
 * Prepare an `IORING_OP_FADVISE` with a 64-bit length: as prepFadvise, the
 * length carried in `addr` instead of `len` (which stays 0).
 * @since Linux 6.11 (earlier kernels complete it with -EINVAL)
 * @see io_uring_prep_fadvise64(3)
 */
export function prepFadvise64(sqe: Sqe, fd: number, offset: number, len: number, advice: number): void {
  checkFd(fd, 'fd');
  checkSafeU64(offset, 'offset');
  checkSafeU64(len, 'len');
  checkBits32(advice, 'advice');
  rw(IORING_OP_FADVISE, sqe, fd, len, 0, offset); // addr: the 64-bit length
  sqe.u32[sqe.w + 7] = advice; // fadvise_advice
}

// The address of a madvise range: a view of memory (checked against
// `length`) or a raw address the caller owns.
function adviseAddress(addr: ArrayBufferView | number, length: number): number {
  if (typeof addr === 'number') {
    if (!Number.isSafeInteger(addr) || addr < 0) throw new RangeError(`addr must be a buffer or an address from 0 to 2^53-1 (got ${addr})`);
    return addr;
  }
  return addressFor(addr, length, 'addr');
}

/**
 * Prepare an `IORING_OP_MADVISE`: madvise(2) of `length` bytes at `addr`
 * with MADV_* `advice`. `addr` is a view of the memory (usually of an mmap,
 * see ffi.view: the range must be page-aligned, and the view at least
 * `length` bytes), or a raw address you own, which is not checked. Advice
 * such as MADV_DONTNEED discards the contents: never give it memory the JS
 * heap owns. The CQE's res is 0 or -errno.
 *
 * Lifetime: a view is kept referenced until the CQE is consumed.
 * @since Linux 5.6
 * @see io_uring_prep_madvise(3)
 */
export function prepMadvise(sqe: Sqe, addr: ArrayBufferView | number, length: number, advice: number): void {
  checkLength(length, 'length');
  checkBits32(advice, 'advice');
  const a = adviseAddress(addr, length);
  rw(IORING_OP_MADVISE, sqe, -1, a, length, 0);
  sqe.u32[sqe.w + 7] = advice; // fadvise_advice
  if (typeof addr !== 'number') sqe.keep(addr);
}

/**
 * Prepare an `IORING_OP_MADVISE` with a 64-bit length: as prepMadvise, the
 * length carried in `off` instead of `len` (which stays 0).
 *
 * Lifetime: as prepMadvise.
 * @since Linux 6.11 (earlier kernels complete it with -EINVAL)
 * @see io_uring_prep_madvise64(3)
 */
export function prepMadvise64(sqe: Sqe, addr: ArrayBufferView | number, length: number, advice: number): void {
  checkSafeU64(length, 'length');
  checkBits32(advice, 'advice');
  const a = adviseAddress(addr, length);
  rw(IORING_OP_MADVISE, sqe, -1, a, 0, length); // off: the 64-bit length
  sqe.u32[sqe.w + 7] = advice; // fadvise_advice
  if (typeof addr !== 'number') sqe.keep(addr);
}

// ------------------------------------------------------- allocation and sync

/**
 * Prepare an `IORING_OP_FALLOCATE`: fallocate(2) of `len` bytes of `fd` from
 * `offset`, with FALLOC_FL_* `mode` (0: allocate, growing the file). The
 * mode travels in `len` and the length in `addr`. The CQE's res is 0 or
 * -errno.
 * @since Linux 5.6
 * @see io_uring_prep_fallocate(3)
 */
export function prepFallocate(sqe: Sqe, fd: number, mode: number, offset: number, len: number): void {
  checkFd(fd, 'fd');
  checkSafeU64(offset, 'offset');
  checkSafeU64(len, 'len');
  checkBits32(mode, 'mode');
  rw(IORING_OP_FALLOCATE, sqe, fd, len, mode, offset); // addr: length; len: mode
}

/**
 * Prepare an `IORING_OP_FTRUNCATE`: ftruncate(2) of `fd` to `len` bytes (in
 * `off`). The CQE's res is 0 or -errno.
 * @since Linux 6.9
 * @see io_uring_prep_ftruncate(3)
 */
export function prepFtruncate(sqe: Sqe, fd: number, len: number): void {
  checkFd(fd, 'fd');
  checkSafeU64(len, 'len');
  rw(IORING_OP_FTRUNCATE, sqe, fd, 0, 0, len);
}

/**
 * Prepare an `IORING_OP_SYNC_FILE_RANGE`: sync_file_range(2) of `len` bytes
 * (0: to the end of the file) of `fd` from `offset`, with
 * SYNC_FILE_RANGE_* `flags`. The CQE's res is 0 or -errno.
 * @since Linux 5.2
 * @see io_uring_prep_sync_file_range(3)
 */
export function prepSyncFileRange(sqe: Sqe, fd: number, len: number, offset: number, flags = 0): void {
  checkFd(fd, 'fd');
  checkU32(len, 'len');
  checkSafeU64(offset, 'offset');
  checkBits32(flags, 'flags');
  rw(IORING_OP_SYNC_FILE_RANGE, sqe, fd, 0, len, offset);
  sqe.u32[sqe.w + 7] = flags; // sync_range_flags
}

// ---------------------------------------------------------- path operations

/**
 * Prepare an `IORING_OP_UNLINKAT`: unlinkat(2) of `path` relative to `dfd`
 * (AT_FDCWD or a directory fd); with AT_REMOVEDIR in `flags`, rmdir. The
 * CQE's res is 0 or -errno.
 *
 * Lifetime: the path is kept referenced until the CQE is consumed.
 * @since Linux 5.11
 * @see io_uring_prep_unlinkat(3)
 */
export function prepUnlinkat(sqe: Sqe, dfd: number, path: string | Uint8Array, flags = 0): void {
  checkFd(dfd, 'dfd');
  checkBits32(flags, 'flags');
  const p = cString(path, 'path');
  rw(IORING_OP_UNLINKAT, sqe, dfd, addressFor(p, p.length, 'path'), 0, 0);
  sqe.u32[sqe.w + 7] = flags; // unlink_flags
  sqe.keep(p);
}

/**
 * Prepare an `IORING_OP_UNLINKAT` relative to the current directory:
 * unlink(2), or rmdir(2) with AT_REMOVEDIR.
 *
 * Lifetime: as prepUnlinkat.
 * @since Linux 5.11
 * @see io_uring_prep_unlink(3)
 */
export function prepUnlink(sqe: Sqe, path: string | Uint8Array, flags = 0): void {
  prepUnlinkat(sqe, AT_FDCWD, path, flags);
}

/**
 * Prepare an `IORING_OP_RENAMEAT`: renameat2(2) of `oldpath` (relative to
 * `olddfd`) to `newpath` (relative to `newdfd`), with RENAME_* `flags`. The
 * new directory fd travels in `len`, the new path in `off` (addr2). The
 * CQE's res is 0 or -errno.
 *
 * Lifetime: both paths are kept referenced until the CQE is consumed.
 * @since Linux 5.11
 * @see io_uring_prep_renameat(3)
 */
export function prepRenameat(
  sqe: Sqe, olddfd: number, oldpath: string | Uint8Array, newdfd: number, newpath: string | Uint8Array, flags = 0,
): void {
  checkFd(olddfd, 'olddfd');
  checkFd(newdfd, 'newdfd');
  checkBits32(flags, 'flags');
  const o = cString(oldpath, 'oldpath');
  const n = cString(newpath, 'newpath');
  const oAddr = addressFor(o, o.length, 'oldpath');
  const nAddr = addressFor(n, n.length, 'newpath');
  rw(IORING_OP_RENAMEAT, sqe, olddfd, oAddr, newdfd, nAddr);
  sqe.u32[sqe.w + 7] = flags; // rename_flags
  sqe.keep(o);
  sqe.keep(n);
}

/**
 * Prepare an `IORING_OP_RENAMEAT` relative to the current directory:
 * rename(2).
 *
 * Lifetime: as prepRenameat.
 * @since Linux 5.11
 * @see io_uring_prep_rename(3)
 */
export function prepRename(sqe: Sqe, oldpath: string | Uint8Array, newpath: string | Uint8Array): void {
  prepRenameat(sqe, AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

/**
 * Prepare an `IORING_OP_MKDIRAT`: mkdirat(2) of `path` relative to `dfd`,
 * with permission bits `mode` (default 0o777, less the umask; in `len`). The
 * CQE's res is 0 or -errno.
 *
 * Lifetime: the path is kept referenced until the CQE is consumed.
 * @since Linux 5.15
 * @see io_uring_prep_mkdirat(3)
 */
export function prepMkdirat(sqe: Sqe, dfd: number, path: string | Uint8Array, mode = 0o777): void {
  checkFd(dfd, 'dfd');
  checkU32(mode, 'mode');
  const p = cString(path, 'path');
  rw(IORING_OP_MKDIRAT, sqe, dfd, addressFor(p, p.length, 'path'), mode, 0);
  sqe.keep(p);
}

/**
 * Prepare an `IORING_OP_MKDIRAT` relative to the current directory: mkdir(2).
 *
 * Lifetime: as prepMkdirat.
 * @since Linux 5.15
 * @see io_uring_prep_mkdir(3)
 */
export function prepMkdir(sqe: Sqe, path: string | Uint8Array, mode = 0o777): void {
  prepMkdirat(sqe, AT_FDCWD, path, mode);
}

/**
 * Prepare an `IORING_OP_SYMLINKAT`: symlinkat(2), a symlink at `linkpath`
 * (relative to `newdirfd`, in `off`) holding `target` (in `addr`; stored as
 * given, not resolved). The CQE's res is 0 or -errno.
 *
 * Lifetime: both strings are kept referenced until the CQE is consumed.
 * @since Linux 5.15
 * @see io_uring_prep_symlinkat(3)
 */
export function prepSymlinkat(sqe: Sqe, target: string | Uint8Array, newdirfd: number, linkpath: string | Uint8Array): void {
  checkFd(newdirfd, 'newdirfd');
  const t = cString(target, 'target');
  const l = cString(linkpath, 'linkpath');
  const tAddr = addressFor(t, t.length, 'target');
  const lAddr = addressFor(l, l.length, 'linkpath');
  rw(IORING_OP_SYMLINKAT, sqe, newdirfd, tAddr, 0, lAddr);
  sqe.keep(t);
  sqe.keep(l);
}

/**
 * Prepare an `IORING_OP_SYMLINKAT` relative to the current directory:
 * symlink(2).
 *
 * Lifetime: as prepSymlinkat.
 * @since Linux 5.15
 * @see io_uring_prep_symlink(3)
 */
export function prepSymlink(sqe: Sqe, target: string | Uint8Array, linkpath: string | Uint8Array): void {
  prepSymlinkat(sqe, target, AT_FDCWD, linkpath);
}

/**
 * Prepare an `IORING_OP_LINKAT`: linkat(2), a hard link `newpath` (relative
 * to `newdfd`, which travels in `len`; the path in `off`) to `oldpath`
 * (relative to `olddfd`), with AT_SYMLINK_FOLLOW / AT_EMPTY_PATH `flags`.
 * The CQE's res is 0 or -errno.
 *
 * Lifetime: both paths are kept referenced until the CQE is consumed.
 * @since Linux 5.15
 * @see io_uring_prep_linkat(3)
 */
export function prepLinkat(
  sqe: Sqe, olddfd: number, oldpath: string | Uint8Array, newdfd: number, newpath: string | Uint8Array, flags = 0,
): void {
  checkFd(olddfd, 'olddfd');
  checkFd(newdfd, 'newdfd');
  checkBits32(flags, 'flags');
  const o = cString(oldpath, 'oldpath');
  const n = cString(newpath, 'newpath');
  const oAddr = addressFor(o, o.length, 'oldpath');
  const nAddr = addressFor(n, n.length, 'newpath');
  rw(IORING_OP_LINKAT, sqe, olddfd, oAddr, newdfd, nAddr);
  sqe.u32[sqe.w + 7] = flags; // hardlink_flags
  sqe.keep(o);
  sqe.keep(n);
}

/**
 * Prepare an `IORING_OP_LINKAT` relative to the current directory: link(2).
 *
 * Lifetime: as prepLinkat.
 * @since Linux 5.15
 * @see io_uring_prep_link(3)
 */
export function prepLink(sqe: Sqe, oldpath: string | Uint8Array, newpath: string | Uint8Array, flags = 0): void {
  prepLinkat(sqe, AT_FDCWD, oldpath, AT_FDCWD, newpath, flags);
}

// ------------------------------------------------- vectored I/O with RWF_*

/**
 * Prepare an `IORING_OP_READV` with per-call flags: preadv2(2) into `bufs`
 * at `offset` (-1: the file position), with RWF_* `flags` (RWF_NOWAIT:
 * -EAGAIN instead of waiting for data; RWF_HIPRI: only on an IOPOLL ring,
 * elsewhere -EINVAL). The CQE's res is the byte count or -errno.
 *
 * Lifetime: the buffers and the iovec array built for them are kept
 * referenced until the CQE is consumed.
 * @since Linux 5.1 (each RWF_* flag from its own release: see the constants)
 * @see io_uring_prep_readv2(3)
 * Differs from liburing: `offset` may be left out; it is then -1, the
 * file position, as node:fs reads and writes with `position` null.
 */
export function prepReadv2(sqe: Sqe, fd: number, bufs: readonly ArrayBufferView[], offset = -1, flags = 0): void {
  prepVec(IORING_OP_READV, sqe, fd, bufs, offset, flags);
}

/**
 * Prepare an `IORING_OP_WRITEV` with per-call flags: pwritev2(2) from
 * `bufs` at `offset` (-1: the file position), with RWF_* `flags`
 * (RWF_APPEND, RWF_DSYNC, RWF_NOWAIT, ...). The CQE's res is the byte count
 * or -errno.
 *
 * Lifetime: as prepReadv2.
 * @since Linux 5.1 (each RWF_* flag from its own release: see the constants)
 * @see io_uring_prep_writev2(3)
 * Differs from liburing: `offset` may be left out; it is then -1, the
 * file position, as node:fs reads and writes with `position` null.
 */
export function prepWritev2(sqe: Sqe, fd: number, bufs: readonly ArrayBufferView[], offset = -1, flags = 0): void {
  prepVec(IORING_OP_WRITEV, sqe, fd, bufs, offset, flags);
}
