// One row per io_uring opcode: its name, the Linux release that added it, and
// the liburing man page of its encoder. It drives the messages for operations
// the running kernel lacks, the capability report, and the coverage test
// that every opcode has an encoder. Versions are from the kernel's history of
// include/uapi/linux/io_uring.h (the release whose merge window added the
// opcode); RECV_ZC's encoder has no liburing man page, and the name given is
// this library's.

import { IORING_OP_NAMES } from './constants.ts';

/** One row of {@link OPCODES}. */
export interface OpcodeInfo {
  /** The IORING_OP_* number. */
  readonly op: number;
  /** The name without IORING_OP_ ('READ', 'SEND_ZC'). */
  readonly name: string;
  /** The first Linux release that has it, as 'major.minor'. */
  readonly since: string;
  /** The man page of its liburing encoder. */
  readonly man: string;
}

/** Every io_uring opcode, by number: its name, the release that added it, its encoder's man page. */
export const OPCODES: readonly OpcodeInfo[] = Object.freeze([
  { op: 0, name: 'NOP', since: '5.1', man: 'io_uring_prep_nop(3)' },
  { op: 1, name: 'READV', since: '5.1', man: 'io_uring_prep_readv(3)' },
  { op: 2, name: 'WRITEV', since: '5.1', man: 'io_uring_prep_writev(3)' },
  { op: 3, name: 'FSYNC', since: '5.1', man: 'io_uring_prep_fsync(3)' },
  { op: 4, name: 'READ_FIXED', since: '5.1', man: 'io_uring_prep_read_fixed(3)' },
  { op: 5, name: 'WRITE_FIXED', since: '5.1', man: 'io_uring_prep_write_fixed(3)' },
  { op: 6, name: 'POLL_ADD', since: '5.1', man: 'io_uring_prep_poll_add(3)' },
  { op: 7, name: 'POLL_REMOVE', since: '5.1', man: 'io_uring_prep_poll_remove(3)' },
  { op: 8, name: 'SYNC_FILE_RANGE', since: '5.2', man: 'io_uring_prep_sync_file_range(3)' },
  { op: 9, name: 'SENDMSG', since: '5.3', man: 'io_uring_prep_sendmsg(3)' },
  { op: 10, name: 'RECVMSG', since: '5.3', man: 'io_uring_prep_recvmsg(3)' },
  { op: 11, name: 'TIMEOUT', since: '5.4', man: 'io_uring_prep_timeout(3)' },
  { op: 12, name: 'TIMEOUT_REMOVE', since: '5.5', man: 'io_uring_prep_timeout_remove(3)' },
  { op: 13, name: 'ACCEPT', since: '5.5', man: 'io_uring_prep_accept(3)' },
  { op: 14, name: 'ASYNC_CANCEL', since: '5.5', man: 'io_uring_prep_cancel(3)' },
  { op: 15, name: 'LINK_TIMEOUT', since: '5.5', man: 'io_uring_prep_link_timeout(3)' },
  { op: 16, name: 'CONNECT', since: '5.5', man: 'io_uring_prep_connect(3)' },
  { op: 17, name: 'FALLOCATE', since: '5.6', man: 'io_uring_prep_fallocate(3)' },
  { op: 18, name: 'OPENAT', since: '5.6', man: 'io_uring_prep_openat(3)' },
  { op: 19, name: 'CLOSE', since: '5.6', man: 'io_uring_prep_close(3)' },
  { op: 20, name: 'FILES_UPDATE', since: '5.6', man: 'io_uring_prep_files_update(3)' },
  { op: 21, name: 'STATX', since: '5.6', man: 'io_uring_prep_statx(3)' },
  { op: 22, name: 'READ', since: '5.6', man: 'io_uring_prep_read(3)' },
  { op: 23, name: 'WRITE', since: '5.6', man: 'io_uring_prep_write(3)' },
  { op: 24, name: 'FADVISE', since: '5.6', man: 'io_uring_prep_fadvise(3)' },
  { op: 25, name: 'MADVISE', since: '5.6', man: 'io_uring_prep_madvise(3)' },
  { op: 26, name: 'SEND', since: '5.6', man: 'io_uring_prep_send(3)' },
  { op: 27, name: 'RECV', since: '5.6', man: 'io_uring_prep_recv(3)' },
  { op: 28, name: 'OPENAT2', since: '5.6', man: 'io_uring_prep_openat2(3)' },
  { op: 29, name: 'EPOLL_CTL', since: '5.6', man: 'io_uring_prep_epoll_ctl(3)' },
  { op: 30, name: 'SPLICE', since: '5.7', man: 'io_uring_prep_splice(3)' },
  { op: 31, name: 'PROVIDE_BUFFERS', since: '5.7', man: 'io_uring_prep_provide_buffers(3)' },
  { op: 32, name: 'REMOVE_BUFFERS', since: '5.7', man: 'io_uring_prep_remove_buffers(3)' },
  { op: 33, name: 'TEE', since: '5.8', man: 'io_uring_prep_tee(3)' },
  { op: 34, name: 'SHUTDOWN', since: '5.11', man: 'io_uring_prep_shutdown(3)' },
  { op: 35, name: 'RENAMEAT', since: '5.11', man: 'io_uring_prep_renameat(3)' },
  { op: 36, name: 'UNLINKAT', since: '5.11', man: 'io_uring_prep_unlinkat(3)' },
  { op: 37, name: 'MKDIRAT', since: '5.15', man: 'io_uring_prep_mkdirat(3)' },
  { op: 38, name: 'SYMLINKAT', since: '5.15', man: 'io_uring_prep_symlinkat(3)' },
  { op: 39, name: 'LINKAT', since: '5.15', man: 'io_uring_prep_linkat(3)' },
  { op: 40, name: 'MSG_RING', since: '5.18', man: 'io_uring_prep_msg_ring(3)' },
  { op: 41, name: 'FSETXATTR', since: '5.19', man: 'io_uring_prep_fsetxattr(3)' },
  { op: 42, name: 'SETXATTR', since: '5.19', man: 'io_uring_prep_setxattr(3)' },
  { op: 43, name: 'FGETXATTR', since: '5.19', man: 'io_uring_prep_fgetxattr(3)' },
  { op: 44, name: 'GETXATTR', since: '5.19', man: 'io_uring_prep_getxattr(3)' },
  { op: 45, name: 'SOCKET', since: '5.19', man: 'io_uring_prep_socket(3)' },
  { op: 46, name: 'URING_CMD', since: '5.19', man: 'io_uring_prep_uring_cmd(3)' },
  { op: 47, name: 'SEND_ZC', since: '6.0', man: 'io_uring_prep_send_zc(3)' },
  { op: 48, name: 'SENDMSG_ZC', since: '6.1', man: 'io_uring_prep_sendmsg_zc(3)' },
  { op: 49, name: 'READ_MULTISHOT', since: '6.7', man: 'io_uring_prep_read_multishot(3)' },
  { op: 50, name: 'WAITID', since: '6.7', man: 'io_uring_prep_waitid(3)' },
  { op: 51, name: 'FUTEX_WAIT', since: '6.7', man: 'io_uring_prep_futex_wait(3)' },
  { op: 52, name: 'FUTEX_WAKE', since: '6.7', man: 'io_uring_prep_futex_wake(3)' },
  { op: 53, name: 'FUTEX_WAITV', since: '6.7', man: 'io_uring_prep_futex_waitv(3)' },
  { op: 54, name: 'FIXED_FD_INSTALL', since: '6.8', man: 'io_uring_prep_fixed_fd_install(3)' },
  { op: 55, name: 'FTRUNCATE', since: '6.9', man: 'io_uring_prep_ftruncate(3)' },
  { op: 56, name: 'BIND', since: '6.11', man: 'io_uring_prep_bind(3)' },
  { op: 57, name: 'LISTEN', since: '6.11', man: 'io_uring_prep_listen(3)' },
  { op: 58, name: 'RECV_ZC', since: '6.15', man: 'io_uring_prep_recv_zc(3)' },
  { op: 59, name: 'EPOLL_WAIT', since: '6.15', man: 'io_uring_prep_epoll_wait(3)' },
  { op: 60, name: 'READV_FIXED', since: '6.15', man: 'io_uring_prep_readv_fixed(3)' },
  { op: 61, name: 'WRITEV_FIXED', since: '6.15', man: 'io_uring_prep_writev_fixed(3)' },
  { op: 62, name: 'PIPE', since: '6.16', man: 'io_uring_prep_pipe(3)' },
  { op: 63, name: 'NOP128', since: '6.19', man: 'io_uring_prep_nop128(3)' },
  { op: 64, name: 'URING_CMD128', since: '6.19', man: 'io_uring_prep_uring_cmd128(3)' },
]);

if (OPCODES.length !== IORING_OP_NAMES.length || OPCODES.some((o, i) => o.op !== i || o.name !== IORING_OP_NAMES[i])) {
  throw new Error('lib/uapi/opcodes.ts is out of step with IORING_OP_NAMES');
}

/** The row for an opcode, or undefined past the known ones. */
export function opcodeInfo(op: number): OpcodeInfo | undefined {
  return OPCODES[op];
}
