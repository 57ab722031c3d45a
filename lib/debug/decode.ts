// Decoders for one submission or completion entry: its bytes as a plain
// object, each field under the name the kernel gives it for that opcode (the
// member of the SQE's unions that the opcode's prep function in io_uring/*.c
// reads: `timeout_flags` for a TIMEOUT, `addr2` for ACCEPT's addrlen pointer,
// `splice_fd_in` for a SPLICE) and every flag word as constant names. For
// learning, logging and bug reports; liburing has no counterpart (its tests
// print fields by hand). Nothing in lib/ring imports this file: a program
// that never decodes pays nothing for it.
//
// The rules, the same for every opcode:
//  - `op` is the kernel's name, 'IORING_OP_READ' (grep finds it in the
//    kernel, liburing and the man pages); 'unknown' past the opcodes of the
//    pinned header, and then every raw field is shown.
//  - A field the opcode reads is always shown; one it reads only in some
//    modes (file_index, attr_ptr, a 64-bit length) when nonzero. A field it
//    does not read is shown under its first union name when nonzero (the
//    kernel usually refuses such an entry with -EINVAL): nothing is dropped.
//  - Flag words are arrays of names; bits without a name stay as a hex
//    leftover ('0x80'). Enumerations (an advice, a socket domain) are a
//    name, or the number when unknown.
//  - u64 values (user_data, a target's user_data, futex values) are numbers
//    up to 2^53-1 and bigints above, as cqeGetData returns them; offsets are
//    signed (-1: the file position); addresses are hex strings; modes are
//    octal strings; a `dfd` of AT_FDCWD is 'AT_FDCWD'.
//  - `file_index` is as stored: the direct-descriptor slot + 1 (0: a normal
//    fd), or 'IORING_FILE_INDEX_ALLOC'.
//
// Little-endian only (x86_64, arm64), like the rest of the library.

import { Cqe } from '../ring/cqe.ts';
import { Sqe } from '../ring/sqe.ts';
import { errnoName } from '../errno.ts';
import * as C from '../uapi/constants.ts';
import { io_uring_cqe, io_uring_sqe } from '../uapi/layout.ts';
import { EPOLLET, EPOLLEXCLUSIVE, EPOLLONESHOT, EPOLLWAKEUP, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD } from '../prep/epoll.ts';
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
import {
  FUTEX2_MPOL, FUTEX2_NUMA, FUTEX2_PRIVATE, FUTEX2_SIZE_MASK, FUTEX2_SIZE_U16, FUTEX2_SIZE_U32, FUTEX2_SIZE_U64,
  FUTEX2_SIZE_U8,
} from '../prep/futex.ts';

import {
  POLLERR, POLLHUP, POLLIN, POLLMSG, POLLNVAL, POLLOUT, POLLPRI, POLLRDBAND, POLLRDHUP, POLLRDNORM, POLLWRBAND, POLLWRNORM,
} from '../prep/poll.ts';

import { SPLICE_F_GIFT, SPLICE_F_MORE, SPLICE_F_MOVE, SPLICE_F_NONBLOCK } from '../prep/splice.ts';
import { P_ALL, P_PGID, P_PID, P_PIDFD, WCONTINUED, WEXITED, WNOHANG, WNOWAIT, WSTOPPED } from '../prep/waitid.ts';
import { XATTR_CREATE, XATTR_REPLACE } from '../prep/xattr.ts';
import { MSG_CTRUNC, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, SHUT_RD, SHUT_RDWR, SHUT_WR, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_SEQPACKET, SOCK_STREAM, AF_INET, AF_INET6, AF_UNIX } from '../uapi/net.ts';

// ------------------------------------------------------------------- types

/**
 * A decoded field: a number (a u64 above 2^53-1 is a bigint), a name, an
 * address ('0x7f...') or mode ('0o644') as a string, flag names, or bytes.
 */
export type DecodedValue = number | bigint | string | boolean | string[] | Uint8Array | (number | bigint)[];

/** A decoded SQE: the header, then the fields in the order of struct io_uring_sqe. */
export interface DecodedSqe {
  /** The IORING_OP_* number. */
  opcode: number;
  /** Its name, 'IORING_OP_READ'; 'unknown' past the opcodes this library knows. */
  op: string;
  /** The IOSQE_* names of `sqe->flags`. */
  flags: string[];
  /** user_data: a number up to 2^53-1, a bigint above. */
  user_data: number | bigint;
  /** The other fields, by the names the opcode gives them (`fd`, `off`, `addr`, `len`, `rw_flags`, ...). */
  [field: string]: DecodedValue;
}

/** A decoded CQE. */
export interface DecodedCqe {
  /** The opcode given to decodeCqe, if one was. */
  opcode?: number;
  /** Its name, as DecodedSqe.op. */
  op?: string;
  /** user_data: a number up to 2^53-1, a bigint above. */
  user_data: number | bigint;
  /** The result: what the syscall would return, or -errno. */
  res: number;
  /** The errno name when res < 0 ('ENOENT'); absent on a zero-copy notification, whose res is not an error. */
  error?: string;
  /** res as a byte count (READ, RECV, SEND, SPLICE, ...), when the opcode was given and res >= 0. */
  bytes?: number;
  /** res as the new fd (OPENAT, ACCEPT, SOCKET, FIXED_FD_INSTALL; the slot for their direct forms). */
  fd?: number;
  /** res as a count (FILES_UPDATE, REMOVE_BUFFERS, EPOLL_WAIT, FUTEX_WAKE). */
  count?: number;
  /** res as an index into the vector (FUTEX_WAITV). */
  index?: number;
  /** res as the poll events that fired (POLL_ADD). */
  events?: string[];
  /** IORING_NOTIF_USAGE_* names of a notification's res (with IORING_SEND_ZC_REPORT_USAGE). */
  notif_usage?: string[];
  /** The IORING_CQE_F_* names of `cqe->flags` (the buffer id bits excluded). */
  flags: string[];
  /** The provided buffer's id, with IORING_CQE_F_BUFFER. */
  buffer_id?: number;
  /** IORING_CQE_F_MORE: the request will post more CQEs. */
  more: boolean;
  /** IORING_CQE_F_NOTIF: a zero-copy send's notification. */
  notif: boolean;
  /** big_cqe[0] and big_cqe[1], on a 32-byte CQE. */
  big_cqe?: (number | bigint)[];
}

/** A copy of a CQE's fields (Cqe.toJSON(), or one made before cqeSeen). */
export interface CqeFields {
  userData: number | bigint;
  res: number;
  flags: number;
}

// ------------------------------------------------------------- name tables

type Names = readonly (readonly [string, number])[];

function popcount(v: number): number {
  let n = 0;
  for (let x = v >>> 0; x !== 0; x >>>= 1) n += x & 1;
  return n;
}

/**
 * [name, value] pairs from `{ NAME }` shorthand, so a name can't drift from
 * its constant. Wider masks come first: O_SYNC is named before the O_DSYNC it
 * contains, STATX_BASIC_STATS before its parts.
 */
function names(o: Record<string, number>): Names {
  return Object.entries(o).filter(([, v]) => v !== 0).sort((a, b) => popcount(b[1]) - popcount(a[1]));
}

function enumOf(o: Record<string, number>): ReadonlyMap<number, string> {
  return new Map(Object.entries(o).map(([k, v]) => [v, k]));
}

function hex(v: number): string {
  return `0x${(v >>> 0).toString(16)}`;
}

/** The names of the bits set in `v`, then whatever is left as hex. */
function flagNames(v: number, table: Names): string[] {
  const out: string[] = [];
  let left = v >>> 0;
  for (const [name, mask] of table) {
    if (((left & mask) >>> 0) === mask) {
      out.push(name);
      left = (left & ~mask) >>> 0;
    }
  }
  if (left !== 0) out.push(hex(left));
  return out;
}

const SQE_FLAGS = names({
  IOSQE_FIXED_FILE: C.IOSQE_FIXED_FILE, IOSQE_IO_DRAIN: C.IOSQE_IO_DRAIN, IOSQE_IO_LINK: C.IOSQE_IO_LINK,
  IOSQE_IO_HARDLINK: C.IOSQE_IO_HARDLINK, IOSQE_ASYNC: C.IOSQE_ASYNC, IOSQE_BUFFER_SELECT: C.IOSQE_BUFFER_SELECT,
  IOSQE_CQE_SKIP_SUCCESS: C.IOSQE_CQE_SKIP_SUCCESS,
});
const CQE_FLAGS = names({
  IORING_CQE_F_BUFFER: C.IORING_CQE_F_BUFFER, IORING_CQE_F_MORE: C.IORING_CQE_F_MORE,
  IORING_CQE_F_SOCK_NONEMPTY: C.IORING_CQE_F_SOCK_NONEMPTY, IORING_CQE_F_NOTIF: C.IORING_CQE_F_NOTIF,
  IORING_CQE_F_BUF_MORE: C.IORING_CQE_F_BUF_MORE, IORING_CQE_F_SKIP: C.IORING_CQE_F_SKIP, IORING_CQE_F_32: C.IORING_CQE_F_32,
});
const NOTIF_USAGE = names({ IORING_NOTIF_USAGE_ZC_COPIED: C.IORING_NOTIF_USAGE_ZC_COPIED });
const TIMEOUT_FLAGS = names({
  IORING_TIMEOUT_ABS: C.IORING_TIMEOUT_ABS, IORING_TIMEOUT_UPDATE: C.IORING_TIMEOUT_UPDATE,
  IORING_TIMEOUT_BOOTTIME: C.IORING_TIMEOUT_BOOTTIME, IORING_TIMEOUT_REALTIME: C.IORING_TIMEOUT_REALTIME,
  IORING_LINK_TIMEOUT_UPDATE: C.IORING_LINK_TIMEOUT_UPDATE, IORING_TIMEOUT_ETIME_SUCCESS: C.IORING_TIMEOUT_ETIME_SUCCESS,
  IORING_TIMEOUT_MULTISHOT: C.IORING_TIMEOUT_MULTISHOT, IORING_TIMEOUT_IMMEDIATE_ARG: C.IORING_TIMEOUT_IMMEDIATE_ARG,
});
// poll(2) names for the low 16 bits (the same values as EPOLLIN...), epoll's
// for the bits only it has: io_uring takes either.
const POLL_EVENTS = names({
  POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL, POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND, POLLMSG, POLLRDHUP,
  EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLONESHOT, EPOLLET,
});
const POLL_ADD_FLAGS = names({ IORING_POLL_ADD_MULTI: C.IORING_POLL_ADD_MULTI, IORING_POLL_ADD_LEVEL: C.IORING_POLL_ADD_LEVEL });
const POLL_UPDATE_FLAGS = names({
  IORING_POLL_ADD_MULTI: C.IORING_POLL_ADD_MULTI, IORING_POLL_UPDATE_EVENTS: C.IORING_POLL_UPDATE_EVENTS,
  IORING_POLL_UPDATE_USER_DATA: C.IORING_POLL_UPDATE_USER_DATA,
});
const CANCEL_FLAGS = names({
  IORING_ASYNC_CANCEL_ALL: C.IORING_ASYNC_CANCEL_ALL, IORING_ASYNC_CANCEL_FD: C.IORING_ASYNC_CANCEL_FD,
  IORING_ASYNC_CANCEL_ANY: C.IORING_ASYNC_CANCEL_ANY, IORING_ASYNC_CANCEL_FD_FIXED: C.IORING_ASYNC_CANCEL_FD_FIXED,
  IORING_ASYNC_CANCEL_USERDATA: C.IORING_ASYNC_CANCEL_USERDATA, IORING_ASYNC_CANCEL_OP: C.IORING_ASYNC_CANCEL_OP,
});
const RECVSEND_FLAGS = names({
  IORING_RECVSEND_POLL_FIRST: C.IORING_RECVSEND_POLL_FIRST, IORING_RECV_MULTISHOT: C.IORING_RECV_MULTISHOT,
  IORING_RECVSEND_FIXED_BUF: C.IORING_RECVSEND_FIXED_BUF, IORING_SEND_ZC_REPORT_USAGE: C.IORING_SEND_ZC_REPORT_USAGE,
  IORING_RECVSEND_BUNDLE: C.IORING_RECVSEND_BUNDLE, IORING_SEND_VECTORIZED: C.IORING_SEND_VECTORIZED,
});
const ACCEPT_FLAGS = names({
  IORING_ACCEPT_MULTISHOT: C.IORING_ACCEPT_MULTISHOT, IORING_ACCEPT_DONTWAIT: C.IORING_ACCEPT_DONTWAIT,
  IORING_ACCEPT_POLL_FIRST: C.IORING_ACCEPT_POLL_FIRST,
});
const MSG_RING_FLAGS = names({
  IORING_MSG_RING_CQE_SKIP: C.IORING_MSG_RING_CQE_SKIP, IORING_MSG_RING_FLAGS_PASS: C.IORING_MSG_RING_FLAGS_PASS,
});
const MSG_RING_CMDS = enumOf({ IORING_MSG_DATA: C.IORING_MSG_DATA, IORING_MSG_SEND_FD: C.IORING_MSG_SEND_FD });
const FSYNC_FLAGS = names({ IORING_FSYNC_DATASYNC: C.IORING_FSYNC_DATASYNC });
const NOP_FLAGS = names({ IORING_NOP_INJECT_RESULT: C.IORING_NOP_INJECT_RESULT, IORING_NOP_CQE32: C.IORING_NOP_CQE32 });
const URING_CMD_FLAGS = names({ IORING_URING_CMD_FIXED: C.IORING_URING_CMD_FIXED });
const INSTALL_FD_FLAGS = names({ IORING_FIXED_FD_NO_CLOEXEC: C.IORING_FIXED_FD_NO_CLOEXEC });
const RW_ATTR_FLAGS = names({ IORING_RW_ATTR_FLAG_PI: C.IORING_RW_ATTR_FLAG_PI });
const RW_FLAGS = names({ RWF_HIPRI, RWF_DSYNC, RWF_SYNC, RWF_NOWAIT, RWF_APPEND, RWF_NOAPPEND, RWF_ATOMIC, RWF_DONTCACHE });
const SPLICE_FLAGS = names({
  SPLICE_F_MOVE, SPLICE_F_NONBLOCK, SPLICE_F_MORE, SPLICE_F_GIFT, SPLICE_F_FD_IN_FIXED: C.SPLICE_F_FD_IN_FIXED,
});
const SYNC_RANGE_FLAGS = names({ SYNC_FILE_RANGE_WAIT_BEFORE, SYNC_FILE_RANGE_WRITE, SYNC_FILE_RANGE_WAIT_AFTER });
const FALLOC_MODES = names({ FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_ZERO_RANGE, FALLOC_FL_INSERT_RANGE });
const FADV = enumOf({ POSIX_FADV_NORMAL, POSIX_FADV_RANDOM, POSIX_FADV_SEQUENTIAL, POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE });
const MADV = enumOf({ MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED, MADV_FREE });
const STATX_AT_FLAGS = names({ AT_SYMLINK_NOFOLLOW, AT_NO_AUTOMOUNT, AT_EMPTY_PATH, AT_STATX_FORCE_SYNC, AT_STATX_DONT_SYNC });
const STATX_MASK = names({
  STATX_BASIC_STATS, STATX_TYPE, STATX_MODE, STATX_NLINK, STATX_UID, STATX_GID, STATX_ATIME, STATX_MTIME, STATX_CTIME,
  STATX_INO, STATX_SIZE, STATX_BLOCKS, STATX_BTIME, STATX_MNT_ID, STATX_DIOALIGN, STATX_MNT_ID_UNIQUE, STATX_SUBVOL,
  STATX_WRITE_ATOMIC, STATX_DIO_READ_ALIGN,
});
const UNLINK_FLAGS = names({ AT_REMOVEDIR });
const LINK_FLAGS = names({ AT_SYMLINK_FOLLOW, AT_EMPTY_PATH });
const RENAME_FLAGS = names({ RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT });
const XATTR_FLAGS = names({ XATTR_CREATE, XATTR_REPLACE });
const EPOLL_CTL_OPS = enumOf({ EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD });
const SHUT_HOW = enumOf({ SHUT_RD, SHUT_WR, SHUT_RDWR });
const FUTEX2_SIZES = enumOf({ FUTEX2_SIZE_U8, FUTEX2_SIZE_U16, FUTEX2_SIZE_U32, FUTEX2_SIZE_U64 });
const FUTEX2_FLAGS = names({ FUTEX2_NUMA, FUTEX2_MPOL, FUTEX2_PRIVATE });
const WAITID_TYPES = enumOf({ P_ALL, P_PID, P_PGID, P_PIDFD });
const WAITID_OPTIONS = names({ WNOHANG, WSTOPPED, WEXITED, WCONTINUED, WNOWAIT });
const AF = enumOf({ AF_UNIX, AF_INET, AF_INET6 });
// include/linux/net.h: the type is the low 4 bits, the flags above them.
const SOCK_TYPE_MASK = 0xf;
const SOCK_TYPES = enumOf({ SOCK_STREAM, SOCK_DGRAM, SOCK_RAW: 3, SOCK_SEQPACKET });
const SOCK_FLAGS = names({ SOCK_NONBLOCK, SOCK_CLOEXEC });
// include/linux/socket.h: the MSG_* flags lib/uapi/net.ts does not export.
const MSG_FLAGS = names({
  MSG_OOB: 0x1, MSG_PEEK, MSG_DONTROUTE: 0x4, MSG_CTRUNC, MSG_TRUNC, MSG_DONTWAIT, MSG_EOR: 0x80, MSG_WAITALL,
  MSG_CONFIRM: 0x800, MSG_ERRQUEUE: 0x2000, MSG_NOSIGNAL, MSG_MORE: 0x8000, MSG_WAITFORONE: 0x10000,
  MSG_ZEROCOPY: 0x4000000, MSG_FASTOPEN: 0x20000000, MSG_CMSG_CLOEXEC: 0x40000000,
});

// Open flags (lib/uapi/fs.ts). O_SYNC and O_TMPFILE are two bits each, named whole.
const ACCESS_MODES = enumOf({ O_RDONLY, O_WRONLY, O_RDWR });
const OPEN_FLAGS = names({
  O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK, O_DSYNC, FASYNC, O_DIRECT, O_LARGEFILE, O_DIRECTORY,
  O_NOFOLLOW, O_NOATIME, O_CLOEXEC, O_SYNC, O_PATH, O_TMPFILE,
});
// pipe2(2) flags; O_NOTIFICATION_PIPE is O_EXCL (include/uapi/linux/watch_queue.h).
const PIPE_FLAGS = names({ O_NONBLOCK, O_CLOEXEC, O_DIRECT, O_NOTIFICATION_PIPE: O_EXCL });

/** 'IORING_OP_READ' for 22; 'unknown' past the pinned header's opcodes. */
function opName(opcode: number): string {
  const name = C.IORING_OP_NAMES[opcode];
  return name === undefined ? 'unknown' : `IORING_OP_${name}`;
}

// ------------------------------------------------------------ field formats

/** What a format sees of the entry besides its field: the op-flags word some fields depend on. */
interface Entry {
  readonly opFlags: number;
}

/** Turns a field's raw bits (unsigned, as a bigint) into what the decoding shows. */
type Fmt = (v: bigint, e: Entry) => DecodedValue;

const TWO53 = 1n << 53n;

function u64Value(v: bigint): number | bigint {
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
function flagNames64(v: bigint, table: Names): string[] {
  const out = flagNames(Number(v & 0xffffffffn), table);
  if (v > 0xffffffffn) out.push(`0x${(v & ~0xffffffffn).toString(16)}`);
  return out;
}

const bits = (table: Names): Fmt => (v) => flagNames64(v, table);
/** A name from `table`, or the value as `otherwise` writes it. */
const oneOf = (table: ReadonlyMap<number, string>, otherwise: Fmt = num): Fmt => (v, e) => table.get(Number(v)) ?? otherwise(v, e);
/** An enumeration in the bits of `m`, with flags above it (O_ACCMODE, FUTEX2_SIZE_MASK, SOCK_TYPE_MASK). */
const kindAndBits = (m: number, kinds: ReadonlyMap<number, string>, table: Names): Fmt => (v) => {
  const kind = Number(v & BigInt(m));
  return [kinds.get(kind) ?? hex(kind), ...flagNames64(v & ~BigInt(m), table)];
};

// ------------------------------------------------------ per-opcode layouts

type SqeField = Exclude<keyof typeof io_uring_sqe, 'sizeof'>;

interface Field {
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

function widthOf(name: SqeField): number {
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
const LAYOUTS: readonly (readonly Field[])[] = [
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

if (LAYOUTS.length !== C.IORING_OP_LAST) throw new Error('lib/debug/decode.ts has a layout per opcode; it is out of step with IORING_OP_LAST');

// What a field shows under when the opcode doesn't name it: the first member
// of each union, and every raw field of an unknown opcode.
const SLOTS: readonly Field[] = [
  f('ioprio'), f('fd', s32), f('off'), f('addr'), f('len'), f('rw_flags'), f('user_data'), f('buf_index'),
  f('personality'), f('splice_fd_in', s32), f('addr3'), f('__pad2'),
];

// ------------------------------------------------------------------ decode

function sqeView(sqe: Sqe | ArrayBufferView): DataView {
  if (sqe instanceof Sqe) return new DataView(sqe.u8.buffer, sqe.u8.byteOffset + sqe.w * 4, sqe.size);
  if (!ArrayBuffer.isView(sqe)) throw new TypeError('decodeSqe takes an Sqe, or the 64 or 128 bytes of one as a TypedArray or DataView');
  if (sqe.byteLength !== 64 && sqe.byteLength !== 128) throw new RangeError(`an SQE is 64 or 128 bytes (got ${sqe.byteLength})`);
  return new DataView(sqe.buffer, sqe.byteOffset, sqe.byteLength);
}

function read(dv: DataView, at: number, width: number): bigint {
  switch (width) {
    case 1: return BigInt(dv.getUint8(at));
    case 2: return BigInt(dv.getUint16(at, true));
    case 4: return BigInt(dv.getUint32(at, true));
    default: return dv.getBigUint64(at, true);
  }
}

/** A copy of the entry's bytes from `from` on, in an ArrayBuffer of its own (never the ring's memory). */
function bytes(dv: DataView, from: number): Uint8Array {
  return new Uint8Array(dv.buffer, dv.byteOffset + from, dv.byteLength - from).slice();
}

function allZero(b: Uint8Array): boolean {
  return b.every((x) => x === 0);
}

/**
 * Decodes one submission queue entry into a plain object: `opcode`, `op`
 * ('IORING_OP_READ'), `flags` (IOSQE_* names), then each field under the
 * name it has for this opcode, in the order of struct io_uring_sqe: for a
 * READ `fd`, `off`, `addr`, `len`, `rw_flags` (RWF_* names), `user_data`;
 * for a TIMEOUT `off` is the completion count and `timeout_flags` are
 * IORING_TIMEOUT_* names; for an ACCEPT `addr2` is the addrlen pointer and
 * `ioprio` the IORING_ACCEPT_* names; for a STATX `addr2` is the statx
 * buffer. A field the opcode does not read shows, under its first union
 * name, only when it is nonzero; an unknown opcode shows every raw field.
 * See the top of lib/debug/decode.ts for how values are written.
 *
 * Takes an entry from ring.getSqe() (read in place: decode before it is
 * submitted and reused), or the 64 or 128 bytes of one as any
 * ArrayBufferView, such as a copy captured for a bug report.
 */
export function decodeSqe(sqe: Sqe | ArrayBufferView): DecodedSqe {
  const dv = sqeView(sqe);
  const opcode = dv.getUint8(io_uring_sqe.opcode);
  const flags = dv.getUint8(io_uring_sqe.flags);
  const e: Entry = { opFlags: dv.getUint32(io_uring_sqe.rw_flags, true) };
  const known = opcode < LAYOUTS.length;
  const layout = known ? LAYOUTS[opcode]! : [];
  const select = (flags & C.IOSQE_BUFFER_SELECT) !== 0;

  const shown: [number, string, DecodedValue][] = [];
  const taken: [number, number][] = [];
  for (const { name, fmt, optional } of layout) {
    const at = io_uring_sqe[name];
    if (name === 'cmd') {
      taken.push([at, dv.byteLength]);
      shown.push([at, name, bytes(dv, at)]);
      continue;
    }
    const width = widthOf(name);
    taken.push([at, at + width]);
    const v = read(dv, at, width);
    if (!optional || v !== 0n) shown.push([at, name, fmt(v, e)]);
  }
  for (const { name, fmt } of SLOTS) {
    const at = io_uring_sqe[name];
    const width = widthOf(name);
    if (taken.some(([lo, hi]) => lo < at + width && at < hi)) continue;
    const v = read(dv, at, width);
    const isBuf = name === 'buf_index';
    const always = !known || name === 'fd' || name === 'user_data' || (isBuf && select);
    if (always || v !== 0n) shown.push([at, isBuf && select ? 'buf_group' : name, fmt(v, e)]);
  }
  // The second half of a 128-byte entry belongs to `cmd`; other opcodes
  // ignore it, so it shows only when something is there.
  if (dv.byteLength > 64 && !taken.some(([, hi]) => hi > 64) && !allZero(bytes(dv, 64))) {
    shown.push([io_uring_sqe.cmd, 'cmd', bytes(dv, io_uring_sqe.cmd)]);
  }
  shown.sort((a, b) => a[0] - b[0]);

  // user_data is one of the fields: it always shows, in its place.
  const out = { opcode, op: opName(opcode), flags: flagNames(flags, SQE_FLAGS) } as DecodedSqe;
  for (const [, name, value] of shown) out[name] = value;
  return out;
}

// Result kinds, by opcode: what a CQE's res >= 0 counts.
const RESULTS = new Map<number, 'bytes' | 'fd' | 'count' | 'index' | 'events'>([
  ...[
    C.IORING_OP_READV, C.IORING_OP_WRITEV, C.IORING_OP_READ_FIXED, C.IORING_OP_WRITE_FIXED, C.IORING_OP_SENDMSG,
    C.IORING_OP_RECVMSG, C.IORING_OP_READ, C.IORING_OP_WRITE, C.IORING_OP_SEND, C.IORING_OP_RECV, C.IORING_OP_SPLICE,
    C.IORING_OP_TEE, C.IORING_OP_FGETXATTR, C.IORING_OP_GETXATTR, C.IORING_OP_SEND_ZC, C.IORING_OP_SENDMSG_ZC,
    C.IORING_OP_READ_MULTISHOT, C.IORING_OP_RECV_ZC, C.IORING_OP_READV_FIXED, C.IORING_OP_WRITEV_FIXED,
  ].map((op) => [op, 'bytes'] as const),
  ...[C.IORING_OP_ACCEPT, C.IORING_OP_OPENAT, C.IORING_OP_OPENAT2, C.IORING_OP_SOCKET, C.IORING_OP_FIXED_FD_INSTALL]
    .map((op) => [op, 'fd'] as const),
  ...[C.IORING_OP_FILES_UPDATE, C.IORING_OP_REMOVE_BUFFERS, C.IORING_OP_EPOLL_WAIT, C.IORING_OP_FUTEX_WAKE]
    .map((op) => [op, 'count'] as const),
  [C.IORING_OP_FUTEX_WAITV, 'index'],
  [C.IORING_OP_POLL_ADD, 'events'],
]);

function cqeFields(cqe: Cqe | ArrayBufferView | CqeFields): { userData: number | bigint; res: number; flags: number; big: (number | bigint)[] | null } {
  let dv: DataView;
  if (cqe instanceof Cqe) {
    dv = new DataView(cqe.u32.buffer, cqe.u32.byteOffset + cqe.w * 4, cqe.size);
  } else if (ArrayBuffer.isView(cqe)) {
    if (cqe.byteLength !== 16 && cqe.byteLength !== 32) throw new RangeError(`a CQE is 16 or 32 bytes (got ${cqe.byteLength})`);
    dv = new DataView(cqe.buffer, cqe.byteOffset, cqe.byteLength);
  } else if (cqe !== null && typeof cqe === 'object' && typeof cqe.res === 'number' && typeof cqe.flags === 'number') {
    const ud = cqe.userData;
    return { userData: typeof ud === 'bigint' ? u64Value(ud) : ud, res: cqe.res | 0, flags: cqe.flags >>> 0, big: null };
  } else {
    throw new TypeError('decodeCqe takes a Cqe, the 16 or 32 bytes of one, or a copy { userData, res, flags }');
  }
  const big = dv.byteLength === 32
    ? [u64Value(dv.getBigUint64(io_uring_cqe.big_cqe, true)), u64Value(dv.getBigUint64(io_uring_cqe.big_cqe + 8, true))]
    : null;
  return {
    userData: u64Value(dv.getBigUint64(io_uring_cqe.user_data, true)),
    res: dv.getInt32(io_uring_cqe.res, true),
    flags: dv.getUint32(io_uring_cqe.flags, true),
    big,
  };
}

/**
 * Decodes one completion into a plain object: `user_data`, `res`, and when
 * res < 0 its errno name (`error: 'ENOENT'`); `flags` as IORING_CQE_F_*
 * names, `buffer_id` with IORING_CQE_F_BUFFER, the booleans `more`
 * (IORING_CQE_F_MORE: the request posts more) and `notif` (a zero-copy
 * send's notification, whose res carries IORING_NOTIF_USAGE_* bits, shown
 * as `notif_usage`, and is never an error); `big_cqe` on a 32-byte CQE.
 *
 * Given the `opcode` of the request (a CQE does not carry it), it adds
 * `opcode` and `op` and says what a res >= 0 is: `bytes` (READ, RECV, SEND,
 * SPLICE, ...), `fd` (OPENAT, ACCEPT, SOCKET; the slot for their direct
 * forms), `count`, `index`, or `events` (POLL_ADD, as poll names).
 *
 * Takes a Cqe (decode it before cqeSeen hands the slot back), the 16 or 32
 * bytes of one, or a copy `{ userData, res, flags }` made earlier.
 */
export function decodeCqe(cqe: Cqe | ArrayBufferView | CqeFields, opcode?: number): DecodedCqe {
  const { userData, res, flags, big } = cqeFields(cqe);
  // Built in the order it should print.
  const out = (opcode === undefined ? {} : { opcode, op: opName(opcode) }) as DecodedCqe;
  out.user_data = userData;
  out.res = res;
  const notif = (flags & C.IORING_CQE_F_NOTIF) !== 0;
  if (notif) {
    out.notif_usage = flagNames(res, NOTIF_USAGE);
  } else if (res < 0) {
    out.error = errnoName(res);
  } else if (opcode !== undefined) {
    const kind = RESULTS.get(opcode);
    if (kind === 'events') out.events = flagNames(res, POLL_EVENTS);
    else if (kind !== undefined) out[kind] = res;
  }
  const hasBuffer = (flags & C.IORING_CQE_F_BUFFER) !== 0;
  // With IORING_CQE_F_BUFFER the top 16 bits are the buffer id, not flags.
  out.flags = flagNames(hasBuffer ? flags & ((1 << C.IORING_CQE_BUFFER_SHIFT) - 1) : flags, CQE_FLAGS);
  if (hasBuffer) out.buffer_id = flags >>> C.IORING_CQE_BUFFER_SHIFT;
  out.more = (flags & C.IORING_CQE_F_MORE) !== 0;
  out.notif = notif;
  if (big !== null) out.big_cqe = big;
  return out;
}
