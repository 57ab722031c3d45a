// Extended attributes: getxattr / setxattr by path, fgetxattr / fsetxattr
// by fd. The name goes in `addr`, the value buffer in `off` (addr2), its
// length in `len`, and the path (by-path forms) in `addr3`.

import {
  IORING_OP_FGETXATTR, IORING_OP_FSETXATTR, IORING_OP_GETXATTR, IORING_OP_SETXATTR,
} from '../uapi/constants.ts';
import { checkBits32, checkFd, checkLength } from '../check.ts';
import { addressFor } from '../ring/memory.ts';
import { setU64, type Sqe } from '../ring/sqe.ts';
import { cString } from './path.ts';
import { rw } from './rw.ts';
import { XATTR_CREATE, XATTR_REPLACE } from '../uapi/fs.ts';

// The value buffer's address, checked to hold `len` bytes; a get may pass
// null with len 0 to learn the value's size.
function valueAddress(value: ArrayBufferView | null, len: number): number {
  checkLength(len, 'len');
  if (value === null) {
    if (len !== 0) throw new RangeError(`value is null; len must be 0 (got ${len})`);
    return 0;
  }
  return addressFor(value, len, 'value');
}

function prepXattr(
  op: number, sqe: Sqe, fd: number, name: string | Uint8Array, value: ArrayBufferView | null, len: number,
  path: string | Uint8Array | null, flags: number,
): void {
  checkBits32(flags, 'flags');
  const n = cString(name, 'name');
  const p = path === null ? null : cString(path, 'path');
  const valueAddr = valueAddress(value, len);
  const nameAddr = addressFor(n, n.length, 'name');
  const pathAddr = p === null ? 0 : addressFor(p, p.length, 'path');
  rw(op, sqe, fd, nameAddr, len, valueAddr); // off is addr2: the value
  sqe.u32[sqe.w + 7] = flags; // xattr_flags
  if (p !== null) {
    setU64(sqe.u32, sqe.w + 12, pathAddr); // addr3: the path
    sqe.keep(p);
  }
  sqe.keep(n);
  if (value !== null) sqe.keep(value);
}

/**
 * Prepare an `IORING_OP_FGETXATTR`: fgetxattr(2) of attribute `name` (with
 * its namespace: 'user.x') of `fd`, into the first `len` bytes of `value`
 * (default all of it). The CQE's res is the value's length, -ERANGE when it
 * does not fit, -ENODATA when there is none; with `value` null and `len` 0,
 * the length alone.
 *
 * Lifetime: the name and `value` are kept referenced until the CQE is
 * consumed.
 * @since Linux 5.19
 * @see io_uring_prep_fgetxattr(3)
 */
export function prepFgetxattr(sqe: Sqe, fd: number, name: string | Uint8Array, value: ArrayBufferView | null, len = value?.byteLength ?? 0): void {
  checkFd(fd, 'fd');
  prepXattr(IORING_OP_FGETXATTR, sqe, fd, name, value, len, null, 0);
}

/**
 * Prepare an `IORING_OP_FSETXATTR`: fsetxattr(2), attribute `name` of `fd`
 * set to the first `len` bytes of `value` (default all of it), with
 * XATTR_CREATE / XATTR_REPLACE `flags`. The CQE's res is 0 or -errno
 * (-EOPNOTSUPP where the file system has no such namespace).
 *
 * Lifetime: the name and `value` are kept referenced until the CQE is
 * consumed.
 * @since Linux 5.19
 * @see io_uring_prep_fsetxattr(3)
 */
export function prepFsetxattr(sqe: Sqe, fd: number, name: string | Uint8Array, value: ArrayBufferView, flags = 0, len = value?.byteLength): void {
  checkFd(fd, 'fd');
  prepXattr(IORING_OP_FSETXATTR, sqe, fd, name, value, len, null, flags);
}

/**
 * Prepare an `IORING_OP_GETXATTR`: getxattr(2) of attribute `name` of the
 * file at `path` (following symlinks), into `value` as prepFgetxattr.
 *
 * Lifetime: the name, the path and `value` are kept referenced until the
 * CQE is consumed.
 * @since Linux 5.19
 * @see io_uring_prep_getxattr(3)
 */
export function prepGetxattr(
  sqe: Sqe, name: string | Uint8Array, value: ArrayBufferView | null, path: string | Uint8Array, len = value?.byteLength ?? 0,
): void {
  if (path === null || path === undefined) throw new TypeError('path must be a string or a Uint8Array');
  prepXattr(IORING_OP_GETXATTR, sqe, 0, name, value, len, path, 0);
}

/**
 * Prepare an `IORING_OP_SETXATTR`: setxattr(2) of attribute `name` of the
 * file at `path`, as prepFsetxattr.
 *
 * Lifetime: the name, the path and `value` are kept referenced until the
 * CQE is consumed.
 * @since Linux 5.19
 * @see io_uring_prep_setxattr(3)
 */
export function prepSetxattr(
  sqe: Sqe, name: string | Uint8Array, value: ArrayBufferView, path: string | Uint8Array, flags = 0, len = value?.byteLength,
): void {
  if (path === null || path === undefined) throw new TypeError('path must be a string or a Uint8Array');
  prepXattr(IORING_OP_SETXATTR, sqe, 0, name, value, len, path, flags);
}
