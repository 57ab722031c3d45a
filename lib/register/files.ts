// Registered ("fixed") files: IORING_REGISTER_FILES and its successors
// (FILES2 with tags and sparse tables, FILES_UPDATE, FILES_UPDATE2), and the
// range of the table the kernel allocates direct descriptors from
// (IORING_REGISTER_FILE_ALLOC_RANGE), as
// liburing's src/register.c offers them. An entry with IOSQE_FIXED_FILE names
// a slot of this table in `fd`; direct opens and accepts fill its slots.
//
// The kernel holds its own reference to each registered file, so no JS
// memory has to be kept: the fd may even be closed once registered.

import * as ffi from '../../ffi/index.ts';
import { IoUringError } from '../errors.ts';
import { checkU32 } from '../check.ts';
import type { IoUring } from '../ring/io-uring.ts';
import { addressFor, snapshotList } from '../ring/memory.ts';
import {
  IORING_REGISTER_FILES, IORING_REGISTER_FILES2, IORING_REGISTER_FILES_UPDATE, IORING_REGISTER_FILES_UPDATE2,
  IORING_REGISTER_FILE_ALLOC_RANGE, IORING_RSRC_REGISTER_SPARSE, IORING_UNREGISTER_FILES,
} from '../uapi/constants.ts';
import { io_uring_file_index_range, io_uring_rsrc_register, io_uring_rsrc_update, io_uring_rsrc_update2 } from '../uapi/layout.ts';
import { expectTags, makeTags, rsrcRegister, rsrcUpdate2 } from './buffers.ts';
import { registerCall } from './syscall.ts';

// <sys/resource.h>: the resource number of the open-files limit.
const RLIMIT_NOFILE = 7;

// fds as the kernel reads them (__s32 each). -1 leaves a slot empty, and in an
// update IORING_REGISTER_FILES_SKIP (-2) leaves it as it is; the kernel
// answers anything else that is not an open fd with EBADF.
// The caller's list is read once; callers take the count from the result's
// `n`, never from the list again (a Proxy's length could have changed, and
// the kernel reads `n` fds from the copy).
function fdArray(fds: readonly number[] | Int32Array): { a: Int32Array; n: number } {
  if (!(fds instanceof Int32Array) && !Array.isArray(fds)) throw new TypeError('fds must be an array of file descriptors');
  const list = fds instanceof Int32Array ? Array.from(fds) : snapshotList(fds, 'fds');
  const out = new Int32Array(Math.max(1, list.length));
  for (let i = 0; i < list.length; i++) {
    const fd = list[i]!;
    if ((fd | 0) !== fd) throw new TypeError(`fds[${i}] must be an integer fd, -1 (empty) or IORING_REGISTER_FILES_SKIP (got ${String(fd)})`);
    out[i] = fd;
  }
  return { a: out, n: list.length };
}

// liburing's increase_rlimit_nofile: the kernel refuses a table larger than
// RLIMIT_NOFILE with EMFILE, so raise the soft limit by `nr` (within the hard
// limit; a failure is left for the retry to report).
function raiseNofile(nr: number): void {
  const lim = ffi.getrlimit(RLIMIT_NOFILE);
  if (typeof lim === 'number') return;
  const [soft, hard] = lim;
  if (soft >= BigInt(nr)) return;
  let want = soft + BigInt(nr);
  if (want > hard) want = hard;
  ffi.setrlimit(RLIMIT_NOFILE, want, hard);
}

// A table registration, retried once after raising RLIMIT_NOFILE on EMFILE.
function registerTable(ring: IoUring, opcode: number, arg: ArrayBufferView, nrArgs: number, nr: number, call: string, refs: readonly unknown[]): void {
  try {
    registerCall(ring, opcode, arg, nrArgs, call, refs);
  } catch (err) {
    if (!(err instanceof IoUringError) || err.code !== 'EMFILE') throw err;
    raiseNofile(nr);
    try {
      registerCall(ring, opcode, arg, nrArgs, call, refs);
    } catch (again) {
      if (!(again instanceof IoUringError) || again.code !== 'EMFILE') throw again;
      throw new IoUringError(again.errno, 'io_uring_register', call,
        `the table of ${nr} files is larger than RLIMIT_NOFILE (or the kernel's limit of 2^20), even after raising the soft limit`);
    }
  }
}

/**
 * io_uring_register_files(3): registers `fds` as the ring's file table, slot
 * i holding fds[i] (-1 leaves a slot empty). EBUSY when files are registered
 * already; EMFILE when there are more than RLIMIT_NOFILE, which, as liburing
 * does, is raised once by the table's size and the call retried.
 *
 * Differs from liburing: takes the fds as a list where liburing takes an array
 * and its count; throws an IoUringError where liburing returns -errno.
 * @since Linux 5.1
 * @see io_uring_register_files(3)
 */
export function registerFiles(ring: IoUring, fds: readonly number[] | Int32Array): void {
  const { a, n } = fdArray(fds);
  registerTable(ring, IORING_REGISTER_FILES, a, n, n, 'register_files', []);
}

/**
 * io_uring_register_files_tags(3): registerFiles with a tag per slot (0 for
 * none, and for empty slots). When a tagged file leaves the table
 * (unregistered, replaced, or closed as a direct descriptor), the kernel
 * posts a CQE with `user_data` = the tag, res 0. Pick tags no operation uses
 * as its user_data.
 *
 * Differs from liburing: takes the lists where liburing takes the fd and tag
 * arrays and their count.
 * @since Linux 5.13
 * @see io_uring_register_files_tags(3)
 */
export function registerFilesTags(ring: IoUring, fds: readonly number[] | Int32Array, tags: readonly (number | bigint)[]): void {
  const { a, n } = fdArray(fds);
  const t = makeTags(tags, n);
  const reg = rsrcRegister(n, 0, a, t);
  registerTable(ring, IORING_REGISTER_FILES2, reg, io_uring_rsrc_register.sizeof, n, 'register_files_tags', [a, t]);
  expectTags(ring, t, n);
}

/**
 * io_uring_register_files_sparse(3): a file table of `nr` empty slots, for
 * direct descriptors (IORING_FILE_INDEX_ALLOC, or an explicit slot) and
 * registerFilesUpdate().
 * @since Linux 5.19
 * @see io_uring_register_files_sparse(3)
 */
export function registerFilesSparse(ring: IoUring, nr: number): void {
  checkU32(nr, 'nr');
  const reg = rsrcRegister(nr, IORING_RSRC_REGISTER_SPARSE, null, null);
  registerTable(ring, IORING_REGISTER_FILES2, reg, io_uring_rsrc_register.sizeof, nr, 'register_files_sparse', []);
}

/**
 * io_uring_register_files_update(3): puts `fds` in slots [off, off +
 * fds.length): -1 empties a slot, IORING_REGISTER_FILES_SKIP leaves it.
 * Returns how many slots were updated (the kernel stops at the first fd it
 * refuses, and only throws if that was the first).
 *
 * Differs from liburing: takes the fds as a list where liburing takes an array
 * and its count.
 * @since Linux 5.5
 * @see io_uring_register_files_update(3)
 */
export function registerFilesUpdate(ring: IoUring, off: number, fds: readonly number[] | Int32Array): number {
  checkU32(off, 'off');
  const { a, n } = fdArray(fds);
  const up = new Uint8Array(new ArrayBuffer(io_uring_rsrc_update.sizeof));
  const dv = new DataView(up.buffer);
  dv.setUint32(io_uring_rsrc_update.offset, off, true);
  dv.setBigUint64(io_uring_rsrc_update.data, BigInt(addressFor(a, 0, 'fds')), true);
  return registerCall(ring, IORING_REGISTER_FILES_UPDATE, up, n, 'register_files_update', [a]);
}

/**
 * io_uring_register_files_update_tag(3): registerFilesUpdate with a tag for
 * each new file (a skipped or emptied slot takes none). The replaced files'
 * tags are posted as CQEs.
 *
 * Differs from liburing: takes the lists where liburing takes the fd and tag
 * arrays and their count.
 * @since Linux 5.13
 * @see io_uring_register_files_update_tag(3)
 */
export function registerFilesUpdateTag(ring: IoUring, off: number, fds: readonly number[] | Int32Array, tags: readonly (number | bigint)[]): number {
  checkU32(off, 'off');
  const { a, n } = fdArray(fds);
  const t = makeTags(tags, n);
  const up = rsrcUpdate2(off, n, a, t);
  const done = registerCall(ring, IORING_REGISTER_FILES_UPDATE2, up, io_uring_rsrc_update2.sizeof, 'register_files_update_tag', [a, t]);
  expectTags(ring, t, done);
  return done;
}

/**
 * io_uring_unregister_files(3): drops the file table (ENXIO when there is
 * none), direct descriptors included. Requests in flight keep their files.
 * @since Linux 5.1
 * @see io_uring_unregister_files(3)
 */
export function unregisterFiles(ring: IoUring): void {
  registerCall(ring, IORING_UNREGISTER_FILES, null, 0, 'unregister_files');
}

/**
 * io_uring_register_file_alloc_range(3): direct descriptors the kernel
 * allocates (IORING_FILE_INDEX_ALLOC) come from slots [off, off + len) of
 * the registered file table only. The range must fit in the table (EINVAL,
 * also when there is none).
 * @since Linux 6.0
 * @see io_uring_register_file_alloc_range(3)
 */
export function registerFileAllocRange(ring: IoUring, off: number, len: number): void {
  checkU32(off, 'off');
  checkU32(len, 'len');
  const buf = new Uint8Array(new ArrayBuffer(io_uring_file_index_range.sizeof));
  const dv = new DataView(buf.buffer);
  dv.setUint32(io_uring_file_index_range.off, off, true);
  dv.setUint32(io_uring_file_index_range.len, len, true);
  registerCall(ring, IORING_REGISTER_FILE_ALLOC_RANGE, buf, 0, 'register_file_alloc_range');
}
