// Synchronous cancellation (IORING_REGISTER_SYNC_CANCEL): cancel matching
// requests and wait, in the call, until they are gone.
//
// Throws an IoUringError (syscall 'io_uring_register', the detail naming the
// liburing call) where liburing would return -errno.

import { checkFd, checkU32, checkU64, checkU8 } from '../check.ts';
import { IoUringError } from '../errors.ts';
import type { IoUring } from '../ring/io-uring.ts';
import { makeTimespec, type Timeout } from '../ring/timespec.ts';
import {
  IORING_ASYNC_CANCEL_ALL, IORING_ASYNC_CANCEL_ANY, IORING_ASYNC_CANCEL_FD, IORING_ASYNC_CANCEL_FD_FIXED,
  IORING_ASYNC_CANCEL_OP, IORING_ASYNC_CANCEL_USERDATA, IORING_REGISTER_SYNC_CANCEL,
} from '../uapi/constants.ts';
import { __kernel_timespec, io_uring_sync_cancel_reg } from '../uapi/layout.ts';
import { registerCall } from './syscall.ts';

/** What registerSyncCancel cancels (a `struct io_uring_sync_cancel_reg`). */
export interface SyncCancel {
  /** user_data to match (the default match; `addr` in the struct). */
  userData?: number | bigint;
  /** fd to match, with IORING_ASYNC_CANCEL_FD (and _FD_FIXED for a registered index). */
  fd?: number;
  /** IORING_ASYNC_CANCEL_* (ALL, FD, ANY, FD_FIXED, USERDATA, OP). Default 0: the first match on userData. */
  flags?: number;
  /** How long to wait for the matched requests to finish; default: as long as it takes. */
  timeout?: Timeout;
  /** IORING_OP_* to match, with IORING_ASYNC_CANCEL_OP. */
  opcode?: number;
}

const CANCEL_FLAGS = IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ANY
  | IORING_ASYNC_CANCEL_FD_FIXED | IORING_ASYNC_CANCEL_USERDATA | IORING_ASYNC_CANCEL_OP;

/**
 * io_uring_register_sync_cancel(3): cancels the matching requests and waits
 * until they have completed (each posts its own CQE, usually -ECANCELED).
 * Returns the kernel's result: 0, or with IORING_ASYNC_CANCEL_ALL the number
 * cancelled. Throws IoUringError ENOENT when nothing matched, ETIME when the
 * timeout passed first, EALREADY when the match could not be stopped.
 * Differs from liburing: an object, not a struct io_uring_sync_cancel_reg.
 * @since Linux 6.0
 * @see io_uring_register_sync_cancel(3)
 */
export function registerSyncCancel(ring: IoUring, what: SyncCancel): number {
  if (what === null || typeof what !== 'object') throw new TypeError('registerSyncCancel takes { userData?, fd?, flags?, timeout?, opcode? }');
  const flags = what.flags ?? 0;
  checkU32(flags, 'flags');
  if (flags & ~CANCEL_FLAGS) throw new RangeError(`unknown IORING_ASYNC_CANCEL_* bits 0x${(flags & ~CANCEL_FLAGS).toString(16)}`);
  const ud = what.userData ?? 0;
  checkU64(ud, 'userData');
  if (what.fd !== undefined) checkFd(what.fd, 'fd');
  if (what.opcode !== undefined) checkU8(what.opcode, 'opcode');
  // makeTimespec checks the timeout before the struct is filled.
  const ts = what.timeout === undefined ? null : makeTimespec(what.timeout);
  const buf = new Uint8Array(new ArrayBuffer(io_uring_sync_cancel_reg.sizeof));
  const dv = new DataView(buf.buffer);
  dv.setBigUint64(io_uring_sync_cancel_reg.addr, BigInt(ud), true);
  dv.setInt32(io_uring_sync_cancel_reg.fd, what.fd ?? -1, true);
  dv.setUint32(io_uring_sync_cancel_reg.flags, flags, true);
  if (ts === null) {
    // -1 / -1: no timeout (the kernel's own convention for this struct).
    dv.setBigInt64(io_uring_sync_cancel_reg.timeout + __kernel_timespec.tv_sec, -1n, true);
    dv.setBigInt64(io_uring_sync_cancel_reg.timeout + __kernel_timespec.tv_nsec, -1n, true);
  } else {
    buf.set(ts, io_uring_sync_cancel_reg.timeout);
  }
  if (what.opcode !== undefined) dv.setUint8(io_uring_sync_cancel_reg.opcode, what.opcode);
  return registerCall(ring, IORING_REGISTER_SYNC_CANCEL, buf, 1, 'register_sync_cancel');
}
