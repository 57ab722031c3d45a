// Opening and closing files, and moving them in and out of the ring's table
// of registered files ("direct descriptors"): openat, openat2 (struct
// open_how from a JS object), close, files_update and fixed_fd_install.
//
// A direct descriptor lives only in the ring's file table (registered with
// IORING_REGISTER_FILES / FILES2, sparse or not) and is used by setting
// IOSQE_FIXED_FILE with its slot as the fd. The *Direct encoders store the
// slot + 1 in `file_index` (0 means "a normal fd"), or
// IORING_FILE_INDEX_ALLOC for "any free slot", as liburing does.

import {
  IORING_FILE_INDEX_ALLOC, IORING_OP_CLOSE, IORING_OP_FILES_UPDATE, IORING_OP_FIXED_FD_INSTALL, IORING_OP_OPENAT,
  IORING_OP_OPENAT2, IOSQE_FIXED_FILE,
} from '../uapi/constants.ts';
import { open_how } from '../uapi/layout.ts';
import { checkBits32, checkFd, checkLength, checkSafeU64, checkU32, shown } from '../check.ts';
import { addressFor } from '../ring/memory.ts';
import type { Sqe } from '../ring/sqe.ts';
import { AT_FDCWD } from '../uapi/fs.ts';
import { fileIndexWord } from './fs.ts';
import { cString } from './path.ts';
import { rw } from './rw.ts';

/** The JS form of `struct open_how` (include/uapi/linux/openat2.h). */
export interface OpenHow {
  /** O_* flags (node:fs `constants` has them). */
  flags: number;
  /** Permission bits for O_CREAT / O_TMPFILE; must be 0 otherwise. Default 0. */
  mode?: number;
  /** RESOLVE_* bits. Default 0. */
  resolve?: number;
}

/**
 * A `struct open_how` (24 bytes) holding `how`: a Uint8Array ready to keep
 * and pass by address.
 */
export function makeOpenHow(how: OpenHow): Uint8Array {
  if (how === null || typeof how !== 'object') throw new TypeError('how must be an object { flags, mode?, resolve? }');
  const { flags, mode = 0, resolve = 0 } = how;
  checkSafeU64(flags, 'how.flags');
  checkSafeU64(mode, 'how.mode');
  checkSafeU64(resolve, 'how.resolve');
  const out = new Uint8Array(new ArrayBuffer(open_how.sizeof));
  const dv = new DataView(out.buffer);
  dv.setBigUint64(open_how.flags, BigInt(flags), true);
  dv.setBigUint64(open_how.mode, BigInt(mode), true);
  dv.setBigUint64(open_how.resolve, BigInt(resolve), true);
  return out;
}

/**
 * Prepare an `IORING_OP_OPENAT`: openat(2) of `path` relative to `dfd`
 * (AT_FDCWD or a directory fd) with O_* `flags` (default O_RDONLY) and
 * `mode` (default 0o666, less the umask; used with O_CREAT / O_TMPFILE; it
 * travels in `len`). The CQE's res is the new fd or -errno.
 *
 * Lifetime: the path is kept referenced until the CQE is consumed.
 * @since Linux 5.6
 * @see io_uring_prep_openat(3)
 */
export function prepOpenat(sqe: Sqe, dfd: number, path: string | Uint8Array, flags = 0, mode = 0o666): void {
  checkFd(dfd, 'dfd');
  checkBits32(flags, 'flags');
  checkU32(mode, 'mode');
  const p = cString(path, 'path');
  rw(IORING_OP_OPENAT, sqe, dfd, addressFor(p, p.length, 'path'), mode, 0);
  sqe.u32[sqe.w + 7] = flags; // open_flags
  sqe.keep(p);
}

/**
 * Prepare an `IORING_OP_OPENAT` into the ring's file table: as prepOpenat,
 * but the file goes to direct descriptor slot `fileIndex` (replacing what
 * was there), or to any free slot with IORING_FILE_INDEX_ALLOC. The CQE's
 * res is 0, or the slot picked with ALLOC, or -errno. O_CLOEXEC makes no
 * sense for a descriptor with no fd: the kernel answers -EINVAL.
 *
 * Lifetime: as prepOpenat.
 * @since Linux 5.15; IORING_FILE_INDEX_ALLOC since Linux 5.19
 * @see io_uring_prep_openat_direct(3)
 */
export function prepOpenatDirect(sqe: Sqe, dfd: number, path: string | Uint8Array, flags: number, mode: number, fileIndex: number): void {
  const slot = fileIndexWord(fileIndex, true);
  prepOpenat(sqe, dfd, path, flags, mode);
  sqe.u32[sqe.w + 11] = slot; // file_index
}

/**
 * Prepare an `IORING_OP_OPENAT` relative to the current directory: open(2).
 *
 * Lifetime: as prepOpenat.
 * @since Linux 5.6
 * @see io_uring_prep_open(3)
 */
export function prepOpen(sqe: Sqe, path: string | Uint8Array, flags = 0, mode = 0o666): void {
  prepOpenat(sqe, AT_FDCWD, path, flags, mode);
}

/**
 * Prepare an `IORING_OP_OPENAT` relative to the current directory into the
 * ring's file table: see prepOpenatDirect.
 *
 * Lifetime: as prepOpenat.
 * @since Linux 5.15; IORING_FILE_INDEX_ALLOC since Linux 5.19
 * @see io_uring_prep_open_direct(3)
 */
export function prepOpenDirect(sqe: Sqe, path: string | Uint8Array, flags: number, mode: number, fileIndex: number): void {
  prepOpenatDirect(sqe, AT_FDCWD, path, flags, mode, fileIndex);
}

/**
 * Prepare an `IORING_OP_OPENAT2`: openat2(2) of `path` relative to `dfd`,
 * as `how` says: { flags, mode, resolve } (RESOLVE_* bits confine the
 * lookup; a refused path completes with -EXDEV or -ELOOP), or a 24-byte
 * `struct open_how` you built with makeOpenHow. The struct's address
 * travels in `off`, its size in `len`. Unlike openat, a `mode` without
 * O_CREAT / O_TMPFILE, or unknown flag bits, are -EINVAL. The CQE's res is
 * the new fd or -errno.
 *
 * Lifetime: the path and the open_how are kept referenced until the CQE is
 * consumed.
 * @since Linux 5.6
 * @see io_uring_prep_openat2(3)
 */
export function prepOpenat2(sqe: Sqe, dfd: number, path: string | Uint8Array, how: OpenHow | Uint8Array): void {
  checkFd(dfd, 'dfd');
  const p = cString(path, 'path');
  const h = how instanceof Uint8Array ? how : makeOpenHow(how);
  const howAddr = addressFor(h, open_how.sizeof, 'how');
  rw(IORING_OP_OPENAT2, sqe, dfd, addressFor(p, p.length, 'path'), open_how.sizeof, howAddr);
  sqe.keep(p);
  sqe.keep(h);
}

/**
 * Prepare an `IORING_OP_OPENAT2` into the ring's file table: as prepOpenat2,
 * with the direct descriptor slot as in prepOpenatDirect.
 *
 * Lifetime: as prepOpenat2.
 * @since Linux 5.15; IORING_FILE_INDEX_ALLOC since Linux 5.19
 * @see io_uring_prep_openat2_direct(3)
 */
export function prepOpenat2Direct(sqe: Sqe, dfd: number, path: string | Uint8Array, how: OpenHow | Uint8Array, fileIndex: number): void {
  const slot = fileIndexWord(fileIndex, true);
  prepOpenat2(sqe, dfd, path, how);
  sqe.u32[sqe.w + 11] = slot; // file_index
}

/**
 * Prepare an `IORING_OP_CLOSE`: close(2) of `fd`. The CQE's res is 0 or
 * -errno (-EBADF for an io_uring fd, which io_uring won't close).
 * @since Linux 5.6
 * @see io_uring_prep_close(3)
 */
export function prepClose(sqe: Sqe, fd: number): void {
  checkFd(fd, 'fd');
  rw(IORING_OP_CLOSE, sqe, fd, 0, 0, 0);
}

/**
 * Prepare an `IORING_OP_CLOSE` of direct descriptor slot `fileIndex`: the
 * slot is emptied (fd 0, `file_index` slot + 1). The CQE's res is 0, or
 * -EBADF for an empty slot. IORING_FILE_INDEX_ALLOC means nothing here and
 * is refused: liburing would turn it into file_index 0, a close of fd 0.
 * @since Linux 5.15
 * @see io_uring_prep_close_direct(3)
 */
export function prepCloseDirect(sqe: Sqe, fileIndex: number): void {
  const slot = fileIndexWord(fileIndex, false);
  rw(IORING_OP_CLOSE, sqe, 0, 0, 0, 0);
  sqe.u32[sqe.w + 11] = slot; // file_index
}

/**
 * Prepare an `IORING_OP_FILES_UPDATE`: io_uring_register_files_update(3)
 * as an operation. Puts the first `nrFds` fds of `fds` (an Int32Array; -1
 * empties a slot, IORING_REGISTER_FILES_SKIP leaves it) into the registered
 * file table from slot `offset`. With `offset` IORING_FILE_INDEX_ALLOC (or
 * -1) the kernel picks free slots and writes them back into `fds`. The
 * CQE's res is the number of slots updated, or -errno.
 *
 * Lifetime: `fds` is kept referenced until the CQE is consumed.
 * @since Linux 5.6; IORING_FILE_INDEX_ALLOC since Linux 5.19
 * @see io_uring_prep_files_update(3)
 */
export function prepFilesUpdate(sqe: Sqe, fds: Int32Array, nrFds: number = fds?.length, offset = 0): void {
  if (!(fds instanceof Int32Array)) throw new TypeError('fds must be an Int32Array');
  checkLength(nrFds, 'nrFds');
  const alloc = offset === IORING_FILE_INDEX_ALLOC || offset === -1;
  if (!alloc && (typeof offset !== 'number' || (offset | 0) !== offset || offset < 0)) {
    throw new (typeof offset === 'number' ? RangeError : TypeError)(`offset must be a slot from 0 to 2^31-1, or IORING_FILE_INDEX_ALLOC (got ${shown(offset)})`);
  }
  const addr = addressFor(fds, nrFds * 4, 'fds');
  // liburing stores the int offset sign-extended: ALLOC is all ones.
  rw(IORING_OP_FILES_UPDATE, sqe, -1, addr, nrFds, alloc ? -1 : offset);
  sqe.keep(fds);
}

/**
 * Prepare an `IORING_OP_FIXED_FD_INSTALL`: a normal fd for direct
 * descriptor `fd` (a slot; the entry's IOSQE_FIXED_FILE flag is set here).
 * The new fd is O_CLOEXEC unless `flags` has IORING_FIXED_FD_NO_CLOEXEC.
 * Both descriptors stay valid and close independently. The CQE's res is the
 * new fd or -errno.
 * @since Linux 6.8
 * @see io_uring_prep_fixed_fd_install(3)
 */
export function prepFixedFdInstall(sqe: Sqe, fd: number, flags = 0): void {
  checkFd(fd, 'fd');
  checkBits32(flags, 'flags');
  rw(IORING_OP_FIXED_FD_INSTALL, sqe, fd, 0, 0, 0);
  sqe.u8[sqe.w * 4 + 1] = IOSQE_FIXED_FILE; // flags
  sqe.u32[sqe.w + 7] = flags; // install_fd_flags
}
