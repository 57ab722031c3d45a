// URING_CMD encoders: a command for the file's own driver (a socket, an NVMe
// character device, a block device), and NOP128. The command number goes in
// `cmd_op` (the low half of `off`); its arguments in the fields the driver
// names, or in the `cmd` area (sqe.cmd: bytes 48.. of the entry, 80 bytes on
// IORING_SETUP_SQE128 rings), which the caller fills after the encoder.

import { IORING_OP_NOP128, IORING_OP_URING_CMD, IORING_OP_URING_CMD128 } from '../uapi/constants.ts';
import { checkBits32, checkFd, checkSafeU64 } from '../check.ts';
import type { Sqe } from '../ring/sqe.ts';
import { rw } from './rw.ts';
import { BLOCK_URING_CMD_DISCARD, BLOCK_URING_CMD_ZONE_RESET_ALL } from '../uapi/fs.ts';

function prepCmd(op: number, sqe: Sqe, cmdOp: number, fd: number): void {
  checkBits32(cmdOp, 'cmdOp');
  checkFd(fd, 'fd');
  rw(op, sqe, fd, 0, 0, 0);
  sqe.u32[sqe.w + 2] = cmdOp; // cmd_op (and __pad1 = 0, the high half of off)
  // The second half of a 128-byte entry is all command payload: clear it
  // too, so a stale command from the slot's last use can't reach the driver.
  if (sqe.size > 64) sqe.u8.fill(0, sqe.w * 4 + 64, sqe.w * 4 + sqe.size);
}

/**
 * Prepare an `IORING_OP_URING_CMD`: the driver command `cmdOp` on `fd` (a
 * u32; an ioctl-style number with bit 31 set may be given as the negative
 * int32 JS bit operators make). Every other field is zeroed: the caller
 * writes the command's arguments after this (`sqe.addr`, `sqe.len`,
 * `sqe.cmd`, ...), and keeps any memory they point to with `sqe.keep()`. res
 * is the driver's; -EOPNOTSUPP when the file has no uring_cmd handler.
 * @since Linux 5.19
 * @see io_uring_prep_uring_cmd(3)
 */
export function prepUringCmd(sqe: Sqe, cmdOp: number, fd: number): void {
  prepCmd(IORING_OP_URING_CMD, sqe, cmdOp, fd);
}

/**
 * Prepare an `IORING_OP_URING_CMD128`: prepUringCmd for a 128-byte entry (80
 * bytes of `cmd`): on an IORING_SETUP_SQE128 ring, where the whole entry is
 * zeroed but user_data, or in a 128-byte slot of an IORING_SETUP_SQE_MIXED
 * ring, where `sqe` spans the first 64 bytes and the caller writes the other
 * 64.
 * @since Linux 6.19
 * @see io_uring_prep_uring_cmd128(3)
 */
export function prepUringCmd128(sqe: Sqe, cmdOp: number, fd: number): void {
  prepCmd(IORING_OP_URING_CMD128, sqe, cmdOp, fd);
}

/**
 * Prepare an `IORING_OP_NOP128`: a NOP in a 128-byte entry (an
 * IORING_SETUP_SQE128 ring's, or a 128-byte slot of an
 * IORING_SETUP_SQE_MIXED ring); completes with res 0.
 * @since Linux 6.19
 * @see io_uring_prep_nop128(3)
 */
export function prepNop128(sqe: Sqe): void {
  rw(IORING_OP_NOP128, sqe, -1, 0, 0, 0);
}

/**
 * Prepare an `IORING_OP_URING_CMD` with BLOCK_URING_CMD_DISCARD: discards
 * `nbytes` at `offset` of the block device `fd` (opened for writing), like
 * the BLKDISCARD ioctl, but several may run at once and nothing excludes
 * reads and writes of the same range: order them yourself. `offset` and
 * `nbytes` must be multiples of the device's logical block size (-EINVAL).
 * res is 0 or -errno.
 * @since Linux 6.12
 * @see io_uring_prep_cmd_discard(3)
 */
export function prepCmdDiscard(sqe: Sqe, fd: number, offset: number, nbytes: number): void {
  checkSafeU64(offset, 'offset');
  checkSafeU64(nbytes, 'nbytes');
  prepCmd(IORING_OP_URING_CMD, sqe, BLOCK_URING_CMD_DISCARD, fd);
  sqe.addr = offset; // addr: the start
  sqe.addr3 = nbytes; // addr3: the length
}

/**
 * Prepare an `IORING_OP_URING_CMD` with BLOCK_URING_CMD_ZONE_RESET_ALL: resets
 * every sequential-write-required zone of the zoned block device `fd`. Only
 * a best effort is made to invalidate the page cache of the device. res is 0
 * or -errno.
 * @since no released kernel yet (liburing 2.16's man page says "Linux 7.TBD")
 * @see io_uring_prep_cmd_zone_reset_all(3)
 */
export function prepCmdZoneResetAll(sqe: Sqe, fd: number): void {
  prepCmd(IORING_OP_URING_CMD, sqe, BLOCK_URING_CMD_ZONE_RESET_ALL, fd);
}
