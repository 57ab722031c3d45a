// What each opcode reads of a submission entry: per IORING_OP_*, the SQE
// fields its prep function in io_uring/*.c reads, under the member of the
// SQE's unions it reads them as (`timeout_flags` for a TIMEOUT, `addr2` for
// ACCEPT's addrlen pointer, `splice_fd_in` for a SPLICE), each with how its
// value is shown: flag words named through lib/uapi/names.ts, enumerations
// by value, addresses in hex, modes in octal. decode.ts walks these tables;
// the rules they follow are at its top.

import * as C from '../uapi/constants.ts';
import { io_uring_sqe } from '../uapi/layout.ts';
import { flagNames, flagTable, prefixFlags, valueNames, type FlagTable } from '../uapi/names.ts';
import { EPOLLET, EPOLLEXCLUSIVE, EPOLLONESHOT, EPOLLWAKEUP, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD } from '../uapi/poll.ts';
import {
  AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_REMOVEDIR, AT_STATX_DONT_SYNC, AT_STATX_FORCE_SYNC, AT_SYMLINK_FOLLOW,
  AT_SYMLINK_NOFOLLOW, FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE,
  FALLOC_FL_ZERO_RANGE, MADV_DONTNEED, MADV_FREE, MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED,
  POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE, POSIX_FADV_NORMAL, POSIX_FADV_RANDOM, POSIX_FADV_SEQUENTIAL, POSIX_FADV_WILLNEED,
  RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT, RWF_APPEND, RWF_ATOMIC, RWF_DONTCACHE, RWF_DSYNC, RWF_HIPRI,
  RWF_NOAPPEND, RWF_NOWAIT, RWF_SYNC, STATX_ATIME, STATX_BASIC_STATS, STATX_BLOCKS, STATX_BTIME, STATX_CTIME,
  STATX_DIOALIGN, STATX_DIO_READ_ALIGN, STATX_GID, STATX_INO, STATX_MNT_ID, STATX_MNT_ID_UNIQUE, STATX_MODE, STATX_MTIME,
  STATX_NLINK, STATX_SIZE, STATX_SUBVOL, STATX_TYPE, STATX_UID, STATX_WRITE_ATOMIC, SYNC_FILE_RANGE_WAIT_AFTER,
  SYNC_FILE_RANGE_WAIT_BEFORE, SYNC_FILE_RANGE_WRITE,
  O_ACCMODE, O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECT, O_DIRECTORY, O_DSYNC, O_EXCL, O_LARGEFILE, O_NOATIME, O_NOCTTY,
  O_NOFOLLOW, O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR, O_SYNC, O_TMPFILE, O_TRUNC, O_WRONLY, FASYNC,
} from '../uapi/fs.ts';
import { FUTEX2_MPOL, FUTEX2_NUMA, FUTEX2_PRIVATE, FUTEX2_SIZE_MASK, FUTEX2_SIZE_U16, FUTEX2_SIZE_U32, FUTEX2_SIZE_U64, FUTEX2_SIZE_U8 } from '../uapi/futex.ts';
import { POLLERR, POLLHUP, POLLIN, POLLMSG, POLLNVAL, POLLOUT, POLLPRI, POLLRDBAND, POLLRDHUP, POLLRDNORM, POLLWRBAND, POLLWRNORM } from '../uapi/poll.ts';
import { SPLICE_F_GIFT, SPLICE_F_MORE, SPLICE_F_MOVE, SPLICE_F_NONBLOCK } from '../uapi/fs.ts';
import { P_ALL, P_PGID, P_PID, P_PIDFD, WCONTINUED, WEXITED, WNOHANG, WNOWAIT, WSTOPPED } from '../uapi/wait.ts';
import { XATTR_CREATE, XATTR_REPLACE } from '../uapi/fs.ts';
import {
  MSG_CMSG_CLOEXEC, MSG_CONFIRM, MSG_CTRUNC, MSG_DONTROUTE, MSG_DONTWAIT, MSG_EOR, MSG_ERRQUEUE, MSG_FASTOPEN, MSG_MORE, MSG_NOSIGNAL,
  MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, MSG_WAITFORONE, MSG_ZEROCOPY, SHUT_RD, SHUT_RDWR, SHUT_WR, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_SEQPACKET, SOCK_STREAM, AF_INET, AF_INET6, AF_UNIX,
} from '../uapi/net.ts';

/**
 * A decoded field: a number (a u64 above 2^53-1 is a bigint), a name, an
 * address ('0x7f...') or mode ('0o644') as a string, flag names, or bytes.
 */
export type DecodedValue = number | bigint | string | boolean | string[] | Uint8Array | (number | bigint)[];

// ------------------------------------------------------------- name tables

// Where every constant of a prefix in the pinned header belongs to the field,
// the prefix names it, and a constant the header gains is named at once;
// elsewhere the names are listed, so a field shows only what it takes.
const TIMEOUT_FLAGS = prefixFlags('IORING_TIMEOUT_', 'IORING_LINK_TIMEOUT_');
// poll(2) names for the low 16 bits (the same values as EPOLLIN...), epoll's
// for the bits only it has: io_uring takes either.
export const POLL_EVENTS = flagTable({
  POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL, POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND, POLLMSG, POLLRDHUP,
  EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLONESHOT, EPOLLET,
});
const POLL_ADD_FLAGS = prefixFlags('IORING_POLL_ADD_');
// io_poll_remove_prep (io_uring/poll.c): ADD_MULTI, and the UPDATE_* bits.
const POLL_UPDATE_FLAGS = flagTable({
  IORING_POLL_ADD_MULTI: C.IORING_POLL_ADD_MULTI, IORING_POLL_UPDATE_EVENTS: C.IORING_POLL_UPDATE_EVENTS,
  IORING_POLL_UPDATE_USER_DATA: C.IORING_POLL_UPDATE_USER_DATA,
});
const CANCEL_FLAGS = prefixFlags('IORING_ASYNC_CANCEL_');
const RECVSEND_FLAGS = prefixFlags('IORING_RECVSEND_', 'IORING_RECV_', 'IORING_SEND_');
const ACCEPT_FLAGS = prefixFlags('IORING_ACCEPT_');
const MSG_RING_FLAGS = prefixFlags('IORING_MSG_RING_');
const MSG_RING_CMDS = valueNames({ IORING_MSG_DATA: C.IORING_MSG_DATA, IORING_MSG_SEND_FD: C.IORING_MSG_SEND_FD });
const FSYNC_FLAGS = prefixFlags('IORING_FSYNC_');
const NOP_FLAGS = prefixFlags('IORING_NOP_');
const URING_CMD_FLAGS = prefixFlags('IORING_URING_CMD_');
const INSTALL_FD_FLAGS = prefixFlags('IORING_FIXED_FD_');
const RW_ATTR_FLAGS = prefixFlags('IORING_RW_ATTR_FLAG_');
const RW_FLAGS = flagTable({ RWF_HIPRI, RWF_DSYNC, RWF_SYNC, RWF_NOWAIT, RWF_APPEND, RWF_NOAPPEND, RWF_ATOMIC, RWF_DONTCACHE });
const SPLICE_FLAGS = flagTable({
  SPLICE_F_MOVE, SPLICE_F_NONBLOCK, SPLICE_F_MORE, SPLICE_F_GIFT, SPLICE_F_FD_IN_FIXED: C.SPLICE_F_FD_IN_FIXED,
});
const SYNC_RANGE_FLAGS = flagTable({ SYNC_FILE_RANGE_WAIT_BEFORE, SYNC_FILE_RANGE_WRITE, SYNC_FILE_RANGE_WAIT_AFTER });
const FALLOC_MODES = flagTable({ FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_ZERO_RANGE, FALLOC_FL_INSERT_RANGE });
const FADV = valueNames({ POSIX_FADV_NORMAL, POSIX_FADV_RANDOM, POSIX_FADV_SEQUENTIAL, POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE });
const MADV = valueNames({ MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED, MADV_FREE });
const STATX_AT_FLAGS = flagTable({ AT_SYMLINK_NOFOLLOW, AT_NO_AUTOMOUNT, AT_EMPTY_PATH, AT_STATX_FORCE_SYNC, AT_STATX_DONT_SYNC });
const STATX_MASK = flagTable({
  STATX_BASIC_STATS, STATX_TYPE, STATX_MODE, STATX_NLINK, STATX_UID, STATX_GID, STATX_ATIME, STATX_MTIME, STATX_CTIME,
  STATX_INO, STATX_SIZE, STATX_BLOCKS, STATX_BTIME, STATX_MNT_ID, STATX_DIOALIGN, STATX_MNT_ID_UNIQUE, STATX_SUBVOL,
  STATX_WRITE_ATOMIC, STATX_DIO_READ_ALIGN,
});
const UNLINK_FLAGS = flagTable({ AT_REMOVEDIR });
const LINK_FLAGS = flagTable({ AT_SYMLINK_FOLLOW, AT_EMPTY_PATH });
const RENAME_FLAGS = flagTable({ RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT });
const XATTR_FLAGS = flagTable({ XATTR_CREATE, XATTR_REPLACE });
const EPOLL_CTL_OPS = valueNames({ EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD });
const SHUT_HOW = valueNames({ SHUT_RD, SHUT_WR, SHUT_RDWR });
const FUTEX2_SIZES = valueNames({ FUTEX2_SIZE_U8, FUTEX2_SIZE_U16, FUTEX2_SIZE_U32, FUTEX2_SIZE_U64 });
const FUTEX2_FLAGS = flagTable({ FUTEX2_NUMA, FUTEX2_MPOL, FUTEX2_PRIVATE });
const WAITID_TYPES = valueNames({ P_ALL, P_PID, P_PGID, P_PIDFD });
const WAITID_OPTIONS = flagTable({ WNOHANG, WSTOPPED, WEXITED, WCONTINUED, WNOWAIT });
const AF = valueNames({ AF_UNIX, AF_INET, AF_INET6 });
// include/linux/net.h: the type is the low 4 bits, the flags above them.
const SOCK_TYPE_MASK = 0xf;
const SOCK_TYPES = valueNames({ SOCK_STREAM, SOCK_DGRAM, SOCK_RAW: 3, SOCK_SEQPACKET });
const SOCK_FLAGS = flagTable({ SOCK_NONBLOCK, SOCK_CLOEXEC });
const MSG_FLAGS = flagTable({
  MSG_OOB, MSG_PEEK, MSG_DONTROUTE, MSG_CTRUNC, MSG_TRUNC, MSG_DONTWAIT, MSG_EOR, MSG_WAITALL, MSG_CONFIRM, MSG_ERRQUEUE,
  MSG_NOSIGNAL, MSG_MORE, MSG_WAITFORONE, MSG_ZEROCOPY, MSG_FASTOPEN, MSG_CMSG_CLOEXEC,
});

// Open flags (lib/uapi/fs.ts). O_SYNC and O_TMPFILE are two bits each, named whole.
const ACCESS_MODES = valueNames({ O_RDONLY, O_WRONLY, O_RDWR });
const OPEN_FLAGS = flagTable({
  O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK, O_DSYNC, FASYNC, O_DIRECT, O_LARGEFILE, O_DIRECTORY,
  O_NOFOLLOW, O_NOATIME, O_CLOEXEC, O_SYNC, O_PATH, O_TMPFILE,
});
// pipe2(2) flags; O_NOTIFICATION_PIPE is O_EXCL (include/uapi/linux/watch_queue.h).
const PIPE_FLAGS = flagTable({ O_NONBLOCK, O_CLOEXEC, O_DIRECT, O_NOTIFICATION_PIPE: O_EXCL });

/** 'IORING_OP_READ' for 22; 'unknown' past the pinned header's opcodes. */
export function opName(opcode: number): string {
  const name = C.IORING_OP_NAMES[opcode];
  return name === undefined ? 'unknown' : `IORING_OP_${name}`;
}

// ------------------------------------------------------------ field formats

/** What a format sees of the entry besides its field: the op-flags word some fields depend on. */
export interface Entry {
  readonly opFlags: number;
}

/** Turns a field's raw bits (unsigned, as a bigint) into what the decoding shows. */
type Fmt = (v: bigint, e: Entry) => DecodedValue;

const TWO53 = 1n << 53n;

export function u64Value(v: bigint): number | bigint {
  return v < TWO53 && v > -TWO53 ? Number(v) : v;
}

const num: Fmt = (v) => u64Value(v);
const s32: Fmt = (v) => Number(BigInt.asIntN(32, v));
const offset: Fmt = (v) => u64Value(BigInt.asIntN(64, v));
/** An int the kernel takes from a u64 field (EPOLL_CTL's fd in `off`): the whole value when the top half is set. */
const intIn64: Fmt = (v, e) => (v >> 32n === 0n ? s32(v, e) : offset(v, e));
const ptr: Fmt = (v) => `0x${v.toString(16)}`;
const mode: Fmt = (v) => `0o${v.toString(8)}`;
const mask: Fmt = (v) => `0x${v.toString(16)}`;
const dfd: Fmt = (v) => {
  const fd = Number(BigInt.asIntN(32, v));
  return fd === AT_FDCWD ? 'AT_FDCWD' : fd;
};
const fileIndex: Fmt = (v) => (v === BigInt(C.IORING_FILE_INDEX_ALLOC) ? 'IORING_FILE_INDEX_ALLOC' : Number(v));
/** flagNames for a field of up to 64 bits: the flags are in the low 32; anything above is leftover. */
function flagNames64(v: bigint, table: FlagTable): string[] {
  const out = flagNames(Number(v & 0xffffffffn), table);
  if (v > 0xffffffffn) out.push(`0x${(v & ~0xffffffffn).toString(16)}`);
  return out;
}

const bits = (table: FlagTable): Fmt => (v) => flagNames64(v, table);
/** A name from `table`, or the value as `otherwise` writes it. */
const oneOf = (table: ReadonlyMap<number, string>, otherwise: Fmt = num): Fmt => (v, e) => table.get(Number(v)) ?? otherwise(v, e);
/** An enumeration in the bits of `m`, with flags above it (O_ACCMODE, FUTEX2_SIZE_MASK, SOCK_TYPE_MASK). */
const kindAndBits = (m: number, kinds: ReadonlyMap<number, string>, table: FlagTable): Fmt => (v) => {
  const kind = v & BigInt(m);
  return [kinds.get(Number(kind)) ?? `0x${kind.toString(16)}`, ...flagNames64(v & ~BigInt(m), table)];
};

// ------------------------------------------------------ per-opcode layouts

export type SqeField = Exclude<keyof typeof io_uring_sqe, 'sizeof'>;

export interface Field {
  readonly name: SqeField;
  readonly fmt: Fmt;
  /** Shown only when nonzero: a field the opcode reads in some modes only. */
  readonly optional: boolean;
}

const f = (name: SqeField, fmt: Fmt = num): Field => ({ name, fmt, optional: false });
const opt = (name: SqeField, fmt: Fmt = num): Field => ({ name, fmt, optional: true });

// Field widths in bytes; the op-flags union (rw_flags and its aliases) and
// the rest are 32-bit, and `cmd` runs to the end of the entry.
const WIDTH: Partial<Record<SqeField, number>> = {
  opcode: 1, flags: 1, ioprio: 2, buf_index: 2, buf_group: 2, personality: 2, addr_len: 2, __pad3: 2, poll_events: 2,
  off: 8, addr2: 8, addr: 8, splice_off_in: 8, user_data: 8, addr3: 8, __pad2: 8, attr_ptr: 8, attr_type_mask: 8, optval: 8,
};

export function widthOf(name: SqeField): number {
  return WIDTH[name] ?? 4;
}

// The read/write family: io_prep_rw (io_uring/rw.c) reads attr_ptr only when
// attr_type_mask is set (Linux 6.16).
const RW: readonly Field[] = [
  opt('ioprio'), f('off', offset), f('addr', ptr), f('len'), f('rw_flags', bits(RW_FLAGS)),
  opt('attr_ptr', ptr), opt('attr_type_mask', bits(RW_ATTR_FLAGS)),
];
const RW_FIXED: readonly Field[] = [...RW, f('buf_index')];
const NOP: readonly Field[] = [opt('len', s32), f('nop_flags', bits(NOP_FLAGS))];
const MSG: readonly Field[] = [f('ioprio', bits(RECVSEND_FLAGS)), f('addr', ptr), f('len'), f('msg_flags', bits(MSG_FLAGS))];
const SEND: readonly Field[] = [...MSG, opt('addr2', ptr), opt('addr_len'), opt('__pad3')];
const TIMEOUT_ADDR: Fmt = (v, e) => ((e.opFlags & C.IORING_TIMEOUT_IMMEDIATE_ARG) !== 0 ? u64Value(v) : ptr(v, e));
const XATTR: readonly Field[] = [f('addr2', ptr), f('addr', ptr), f('len'), f('xattr_flags', bits(XATTR_FLAGS))];
const FUTEX: readonly Field[] = [
  f('fd', kindAndBits(FUTEX2_SIZE_MASK, FUTEX2_SIZES, FUTEX2_FLAGS)), f('addr2'), f('addr', ptr), f('futex_flags'),
  f('addr3', mask),
];
// The driver reads the rest of the entry (addr, len, buf_index, the cmd
// bytes): they show when set.
const URING_CMD: readonly Field[] = [
  f('cmd_op'), opt('__pad1'), opt('addr'), opt('len'), f('uring_cmd_flags', bits(URING_CMD_FLAGS)), f('cmd'),
];

/**
 * Per opcode, the fields its prep function reads, by their union names
 * there. `fd` and `user_data` always show; so does `buf_group` with
 * IOSQE_BUFFER_SELECT.
 */
export const LAYOUTS: readonly (readonly Field[])[] = [
  /* NOP */ NOP,
  /* READV */ RW,
  /* WRITEV */ RW,
  /* FSYNC */ [f('off', offset), f('len'), f('fsync_flags', bits(FSYNC_FLAGS))],
  /* READ_FIXED */ RW_FIXED,
  /* WRITE_FIXED */ RW_FIXED,
  /* POLL_ADD */ [f('len', bits(POLL_ADD_FLAGS)), f('poll32_events', bits(POLL_EVENTS))],
  // off: the new user_data, addr: the target's, len: IORING_POLL_UPDATE_*
  /* POLL_REMOVE */ [opt('off'), f('addr'), f('len', bits(POLL_UPDATE_FLAGS)), opt('poll32_events', bits(POLL_EVENTS))],
  /* SYNC_FILE_RANGE */ [f('off', offset), f('len'), f('sync_range_flags', bits(SYNC_RANGE_FLAGS))],
  /* SENDMSG */ MSG,
  /* RECVMSG */ MSG,
  // off: the completion count; addr: the timespec (nanoseconds with IMMEDIATE_ARG)
  /* TIMEOUT */ [f('off'), f('addr', TIMEOUT_ADDR), f('len'), f('timeout_flags', bits(TIMEOUT_FLAGS))],
  // addr2: the new timespec (with IORING_TIMEOUT_UPDATE); addr: the target's user_data
  /* TIMEOUT_REMOVE */ [opt('addr2', ptr), f('addr'), f('timeout_flags', bits(TIMEOUT_FLAGS))],
  // addr2: the socklen_t pointer
  /* ACCEPT */ [
    f('ioprio', bits(ACCEPT_FLAGS)), f('addr2', ptr), f('addr', ptr), f('accept_flags', bits(SOCK_FLAGS)), opt('file_index', fileIndex),
  ],
  // addr: the target's user_data; len: the opcode IORING_ASYNC_CANCEL_OP matches
  /* ASYNC_CANCEL */ [
    f('addr'), opt('len', (v, e) => ((e.opFlags & C.IORING_ASYNC_CANCEL_OP) !== 0 ? opName(Number(v)) : Number(v))),
    f('cancel_flags', bits(CANCEL_FLAGS)),
  ],
  /* LINK_TIMEOUT */ [f('addr', ptr), f('len'), f('timeout_flags', bits(TIMEOUT_FLAGS))],
  // addr2: the address length (a value, not a pointer)
  /* CONNECT */ [f('addr2'), f('addr', ptr)],
  // addr: the length; len: the FALLOC_FL_* mode
  /* FALLOCATE */ [f('off', offset), f('addr'), f('len', bits(FALLOC_MODES))],
  // len: the mode
  /* OPENAT */ [
    f('fd', dfd), f('addr', ptr), f('len', mode), f('open_flags', kindAndBits(O_ACCMODE, ACCESS_MODES, OPEN_FLAGS)),
    opt('file_index', fileIndex),
  ],
  /* CLOSE */ [opt('file_index', fileIndex)],
  // off: the first slot (-1: IORING_FILE_INDEX_ALLOC); addr: the fds; len: how many
  /* FILES_UPDATE */ [f('off', offset), f('addr', ptr), f('len')],
  // addr2: the statx buffer; len: the STATX_* mask
  /* STATX */ [f('fd', dfd), f('addr2', ptr), f('addr', ptr), f('len', bits(STATX_MASK)), f('statx_flags', bits(STATX_AT_FLAGS))],
  /* READ */ RW,
  /* WRITE */ RW,
  // addr: the length as a u64 (Linux 6.11); len is read only when it is 0
  /* FADVISE */ [f('off', offset), opt('addr'), f('len'), f('fadvise_advice', oneOf(FADV))],
  // off: the length as a u64 (Linux 6.11); len is read only when it is 0
  /* MADVISE */ [opt('off'), f('addr', ptr), f('len'), f('fadvise_advice', oneOf(MADV))],
  // addr2 and addr_len: sendto's destination
  /* SEND */ SEND,
  /* RECV */ MSG,
  // addr2: the struct open_how; len: its size
  /* OPENAT2 */ [f('fd', dfd), f('addr2', ptr), f('addr', ptr), f('len'), opt('file_index', fileIndex)],
  // fd: the epoll fd; off: the fd to add, modify or delete; len: the operation
  /* EPOLL_CTL */ [f('off', intIn64), f('addr', ptr), f('len', oneOf(EPOLL_CTL_OPS))],
  // fd, off: the output; splice_fd_in, splice_off_in: the input
  /* SPLICE */ [
    f('off', offset), f('splice_off_in', offset), f('len'), f('splice_flags', bits(SPLICE_FLAGS)), f('splice_fd_in', s32),
  ],
  // fd: how many buffers; off: the first buffer id
  /* PROVIDE_BUFFERS */ [f('off'), f('addr', ptr), f('len'), f('buf_group')],
  // fd: how many buffers
  /* REMOVE_BUFFERS */ [f('buf_group')],
  /* TEE */ [f('len'), f('splice_flags', bits(SPLICE_FLAGS)), f('splice_fd_in', s32)],
  // len: how
  /* SHUTDOWN */ [f('len', oneOf(SHUT_HOW))],
  // fd, addr: the old dir and path; len, addr2: the new ones
  /* RENAMEAT */ [f('fd', dfd), f('addr2', ptr), f('addr', ptr), f('len', dfd), f('rename_flags', bits(RENAME_FLAGS))],
  /* UNLINKAT */ [f('fd', dfd), f('addr', ptr), f('unlink_flags', bits(UNLINK_FLAGS))],
  // len: the mode
  /* MKDIRAT */ [f('fd', dfd), f('addr', ptr), f('len', mode)],
  // addr: the target; fd, addr2: where the link goes
  /* SYMLINKAT */ [f('fd', dfd), f('addr2', ptr), f('addr', ptr)],
  // fd, addr: the old dir and path; len, addr2: the new ones
  /* LINKAT */ [f('fd', dfd), f('addr2', ptr), f('addr', ptr), f('len', dfd), f('hardlink_flags', bits(LINK_FLAGS))],
  // fd: the target ring; addr: the command; off: the target CQE's user_data;
  // len: its res; addr3, file_index: the source and target slots (SEND_FD),
  // or file_index the target CQE's flags (IORING_MSG_RING_FLAGS_PASS)
  /* MSG_RING */ [
    f('off'), f('addr', oneOf(MSG_RING_CMDS)), f('len'), f('msg_ring_flags', bits(MSG_RING_FLAGS)),
    opt('file_index', (v, e) => ((e.opFlags & C.IORING_MSG_RING_FLAGS_PASS) !== 0 ? mask(v, e) : fileIndex(v, e))), opt('addr3'),
  ],
  // addr: the name; addr2: the value; len: its size
  /* FSETXATTR */ XATTR,
  // addr3: the path
  /* SETXATTR */ [...XATTR, f('addr3', ptr)],
  /* FGETXATTR */ XATTR,
  /* GETXATTR */ [...XATTR, f('addr3', ptr)],
  // fd: the domain; off: the type and SOCK_* flags; len: the protocol
  /* SOCKET */ [f('fd', oneOf(AF, s32)), f('off', kindAndBits(SOCK_TYPE_MASK, SOCK_TYPES, SOCK_FLAGS)), f('len'), opt('file_index', fileIndex)],
  /* URING_CMD */ URING_CMD,
  // ioprio: the zero-copy flags
  /* SEND_ZC */ SEND,
  /* SENDMSG_ZC */ MSG,
  /* READ_MULTISHOT */ [opt('ioprio'), f('off', offset), opt('addr', ptr), f('len'), opt('rw_flags', bits(RW_FLAGS))],
  // fd: the id; len: the idtype; addr2: the siginfo; file_index: the options
  /* WAITID */ [f('fd', s32), f('addr2', ptr), f('len', oneOf(WAITID_TYPES)), f('waitid_flags'), f('file_index', bits(WAITID_OPTIONS))],
  // fd: the futex2 flags; addr: the futex; addr2: the value; addr3: the mask
  /* FUTEX_WAIT */ FUTEX,
  /* FUTEX_WAKE */ FUTEX,
  // addr: the struct futex_waitv array; len: its length
  /* FUTEX_WAITV */ [f('addr', ptr), f('len'), f('futex_flags')],
  /* FIXED_FD_INSTALL */ [f('install_fd_flags', bits(INSTALL_FD_FLAGS))],
  // off: the length
  /* FTRUNCATE */ [f('off', offset)],
  // addr2: the address length
  /* BIND */ [f('addr2'), f('addr', ptr)],
  // len: the backlog
  /* LISTEN */ [f('len')],
  /* RECV_ZC */ [f('ioprio', bits(RECVSEND_FLAGS)), f('len'), f('zcrx_ifq_idx')],
  // addr: the events; len: maxevents
  /* EPOLL_WAIT */ [f('addr', ptr), f('len')],
  /* READV_FIXED */ RW_FIXED,
  /* WRITEV_FIXED */ RW_FIXED,
  // addr: the int[2] the kernel fills
  /* PIPE */ [f('addr', ptr), f('pipe_flags', bits(PIPE_FLAGS)), opt('file_index', fileIndex)],
  /* NOP128 */ NOP,
  /* URING_CMD128 */ URING_CMD,
];

if (LAYOUTS.length !== C.IORING_OP_LAST) throw new Error('lib/debug/sqe-fields.ts has a layout per opcode; it is out of step with IORING_OP_LAST');

// What a field shows under when the opcode doesn't name it: the first member
// of each union, and every raw field of an unknown opcode.
export const SLOTS: readonly Field[] = [
  f('ioprio'), f('fd', s32), f('off'), f('addr'), f('len'), f('rw_flags'), f('user_data'), f('buf_index'),
  f('personality'), f('splice_fd_in', s32), f('addr3'), f('__pad2'),
];
