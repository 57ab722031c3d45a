// A MSG_RING sent from no ring at all (IORING_REGISTER_SEND_MSG_RING with
// fd -1): a CQE posted to a ring by a thread that has none.
//
// Throws an IoUringError (syscall 'io_uring_register', the detail naming the
// liburing call) where liburing would return -errno.

import { checkFd, checkU32, checkU64 } from '../check.ts';
import {
  IORING_MSG_DATA, IORING_MSG_RING_FLAGS_PASS, IORING_OP_MSG_RING, IORING_REGISTER_SEND_MSG_RING,
} from '../uapi/constants.ts';
import { io_uring_sqe } from '../uapi/layout.ts';
import { registerRingless } from './syscall.ts';

/**
 * io_uring_register_sync_msg(3): posts a CQE to the ring with fd `fd` from
 * no ring at all (IORING_REGISTER_SEND_MSG_RING, with fd -1): `res` is `len`,
 * `user_data` is `data`. liburing takes an SQE prepared with
 * io_uring_prep_msg_ring(); this builds that IORING_MSG_DATA entry from the
 * same arguments. `flags` may be IORING_MSG_RING_FLAGS_PASS, which puts
 * `cqeFlags` in the target CQE's flags.
 * Differs from liburing: the MSG_RING fields, not a prepared SQE.
 * @since Linux 6.13
 * @see io_uring_register_sync_msg(3)
 */
export function registerSyncMsg(fd: number, len: number, data: number | bigint, flags = 0, cqeFlags = 0): void {
  checkFd(fd, 'fd');
  checkU32(len, 'len');
  checkU32(flags, 'flags');
  checkU32(cqeFlags, 'cqeFlags');
  checkU64(data, 'data');
  const sqe = new Uint8Array(new ArrayBuffer(io_uring_sqe.sizeof));
  const dv = new DataView(sqe.buffer);
  dv.setUint8(io_uring_sqe.opcode, IORING_OP_MSG_RING);
  dv.setInt32(io_uring_sqe.fd, fd, true);
  dv.setBigUint64(io_uring_sqe.off, BigInt(data), true); // off: the target's user_data
  dv.setBigUint64(io_uring_sqe.addr, BigInt(IORING_MSG_DATA), true); // addr: the MSG_RING command
  dv.setUint32(io_uring_sqe.len, len, true); // len: the target's res
  dv.setUint32(io_uring_sqe.msg_ring_flags, flags, true);
  if (flags & IORING_MSG_RING_FLAGS_PASS) dv.setUint32(io_uring_sqe.file_index, cqeFlags, true); // file_index: the target's cqe flags
  registerRingless(IORING_REGISTER_SEND_MSG_RING, sqe, 1, 'register_sync_msg', []);
}
