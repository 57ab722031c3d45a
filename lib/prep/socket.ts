// Encoders for setting up and tearing down sockets: socket (and its direct
// forms), bind, listen, connect, accept (plain, direct, multishot),
// shutdown, and the socket commands (URING_CMD on a socket: getsockopt,
// setsockopt, getsockname, ...). Each is prepRw plus the fields liburing.h
// writes; each checks every argument before writing a byte of the entry,
// and keeps the memory it names until the final CQE. Socket addresses are
// built by ./sockaddr.ts; the data path is in ./send-recv.ts.

import {
  IORING_ACCEPT_MULTISHOT, IORING_FILE_INDEX_ALLOC, IORING_OP_ACCEPT, IORING_OP_BIND, IORING_OP_CONNECT,
  IORING_OP_LISTEN, IORING_OP_SHUTDOWN, IORING_OP_SOCKET, IORING_OP_URING_CMD, SOCKET_URING_OP_GETSOCKNAME,
} from '../uapi/constants.ts';
import { SOCKADDR_STORAGE_SIZE } from '../uapi/net.ts';
import { checkBits32, checkFd, checkLength, checkS32, checkU32, shown } from '../check.ts';
import { addressFor, byteLengthOf } from '../ring/memory.ts';
import { setU64, type Sqe } from '../ring/sqe.ts';
import { fileIndexWord } from './fs.ts';
import { rw } from './rw.ts';
import { makeSockaddr, type SockaddrInit } from './sockaddr.ts';

// ------------------------------------------------------------------ socket

function prepSocketBase(sqe: Sqe, domain: number, type: number, protocol: number, flags: number): void {
  rw(IORING_OP_SOCKET, sqe, domain, 0, protocol, type);
  sqe.u32[sqe.w + 7] = flags; // rw_flags
}

// Any int the kernel's fields hold: an unknown domain is the kernel's to
// refuse (-EAFNOSUPPORT), as socket(2) does. domain goes in the s32 fd,
// type in off (sign-extended, as liburing's int-to-u64 does), protocol in
// the u32 len.
function checkSocketArgs(domain: number, type: number, protocol: number, flags: number): void {
  checkS32(domain, 'domain');
  checkS32(type, 'type');
  checkBits32(protocol, 'protocol');
  checkBits32(flags, 'flags');
}

/**
 * Prepare an `IORING_OP_SOCKET`: socket(2). The CQE's res is the new fd.
 * `type` may carry SOCK_NONBLOCK and SOCK_CLOEXEC; `flags` is unused and
 * must be 0 (the kernel refuses others with -EINVAL).
 * @since Linux 5.19
 * @see io_uring_prep_socket(3)
 */
export function prepSocket(sqe: Sqe, domain: number, type: number, protocol: number, flags = 0): void {
  checkSocketArgs(domain, type, protocol, flags);
  prepSocketBase(sqe, domain, type, protocol, flags);
}

/**
 * Prepare an `IORING_OP_SOCKET`: socket(2) into slot `fileIndex` of the
 * registered file table (a direct descriptor; whatever the slot held is
 * closed). res is 0, or with IORING_FILE_INDEX_ALLOC the slot chosen
 * (-ENFILE when none is free). SOCK_CLOEXEC is refused (-EINVAL).
 * @since Linux 5.19
 * @see io_uring_prep_socket_direct(3)
 */
export function prepSocketDirect(sqe: Sqe, domain: number, type: number, protocol: number, fileIndex: number, flags = 0): void {
  checkSocketArgs(domain, type, protocol, flags);
  const slot = fileIndexWord(fileIndex, true);
  prepSocketBase(sqe, domain, type, protocol, flags);
  sqe.u32[sqe.w + 11] = slot; // file_index
}

/**
 * Prepare an `IORING_OP_SOCKET`: socket(2) into a free slot of the registered
 * file table, which the CQE's res names (-ENFILE when none is free).
 * @since Linux 5.19
 * @see io_uring_prep_socket_direct_alloc(3)
 */
export function prepSocketDirectAlloc(sqe: Sqe, domain: number, type: number, protocol: number, flags = 0): void {
  checkSocketArgs(domain, type, protocol, flags);
  prepSocketBase(sqe, domain, type, protocol, flags);
  sqe.u32[sqe.w + 11] = IORING_FILE_INDEX_ALLOC; // file_index
}

// ------------------------------------------------- bind, listen, connect

// An address the kernel reads (connect, bind): built, checked against the
// length given, pointed at by addr with the length in off.
function prepAddrIn(op: number, sqe: Sqe, fd: number, addr: SockaddrInit, addrlen: number | undefined): void {
  checkFd(fd, 'fd');
  const sa = makeSockaddr(addr);
  const len = addrlen ?? byteLengthOf(sa, 'addr');
  checkLength(len, 'addrlen');
  const a = addressFor(sa, len, 'addr');
  rw(op, sqe, fd, a, 0, len);
  sqe.keep(sa);
}

/**
 * Prepare an `IORING_OP_CONNECT`: connect(2) to `addr` (`{ address, port }`,
 * `{ path }`, or the raw struct; `addrlen` defaults to its length). res is 0
 * or -errno.
 *
 * Lifetime: the address struct is kept referenced until the CQE is consumed.
 * @since Linux 5.5
 * @see io_uring_prep_connect(3)
 */
export function prepConnect(sqe: Sqe, fd: number, addr: SockaddrInit, addrlen?: number): void {
  prepAddrIn(IORING_OP_CONNECT, sqe, fd, addr, addrlen);
}

/**
 * Prepare an `IORING_OP_BIND`: bind(2) to `addr`, as prepConnect takes it.
 *
 * Lifetime: the address struct is kept referenced until the CQE is consumed.
 * @since Linux 6.11
 * @see io_uring_prep_bind(3)
 */
export function prepBind(sqe: Sqe, fd: number, addr: SockaddrInit, addrlen?: number): void {
  prepAddrIn(IORING_OP_BIND, sqe, fd, addr, addrlen);
}

/**
 * Prepare an `IORING_OP_LISTEN`: listen(2) with a queue of `backlog`.
 * @since Linux 6.11
 * @see io_uring_prep_listen(3)
 */
export function prepListen(sqe: Sqe, fd: number, backlog: number): void {
  checkFd(fd, 'fd');
  checkBits32(backlog, 'backlog'); // an int: listen(2) takes a negative one as its maximum
  rw(IORING_OP_LISTEN, sqe, fd, 0, backlog, 0);
}

// ------------------------------------------------------------------ accept

/** The socklen_t cell accept and getsockname read the room from and write the address's length to: a 1-element Uint32Array or Int32Array. */
export type AddrLenCell = Uint32Array | Int32Array;

// The room for an address the kernel writes back (accept, getsockname):
// `addr` receives it, the socklen_t cell says the room and gets the real
// length back. The kernel reads the room from the cell when the operation
// completes, not when it is prepared, and the cell is the caller's: another
// prep sharing it, or the caller, may change it meanwhile. What makes every
// write safe whatever the cell says is the buffer: the kernel copies
// min(room, the address's length), and no address is longer than a
// sockaddr_storage (move_addr_to_user in net/socket.c), so a buffer of
// SOCKADDR_STORAGE_SIZE bytes can't be overrun. The cell is then set to the
// buffer's length. Returns the cell to keep (made when none is given).
function addressRoom(addr: Uint8Array, addrlen: AddrLenCell | null | undefined, what: string, lenWhat: string): AddrLenCell {
  if (!(addr instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array (room for the address) or null`);
  addressFor(addr, SOCKADDR_STORAGE_SIZE, `${what} (room for any address, a sockaddr_storage)`);
  if (addrlen === null || addrlen === undefined) return new Uint32Array(1);
  if (!(addrlen instanceof Uint32Array || addrlen instanceof Int32Array)) throw new TypeError(`${lenWhat} must be a Uint32Array or Int32Array (a socklen_t) or null`);
  return addrlen;
}

function prepAcceptBase(sqe: Sqe, fd: number, addr: Uint8Array | null, addrlen: AddrLenCell | null, flags: number): void {
  checkFd(fd, 'fd');
  checkBits32(flags, 'flags');
  let a = 0;
  let l = 0;
  let cell: AddrLenCell | null = null;
  if (addr !== null && addr !== undefined) {
    cell = addressRoom(addr, addrlen, 'addr', 'addrlen');
    a = addressFor(addr, SOCKADDR_STORAGE_SIZE, 'addr');
    l = addressFor(cell, 4, 'addrlen');
  }
  rw(IORING_OP_ACCEPT, sqe, fd, a, 0, l);
  sqe.u32[sqe.w + 7] = flags; // accept_flags
  if (cell !== null) {
    cell[0] = Math.min(byteLengthOf(addr!), 0x7fffffff);
    sqe.keep(addr);
    sqe.keep(cell);
  }
}

/**
 * Prepare an `IORING_OP_ACCEPT`: accept4(2). res is the new fd. `addr`, if
 * given, receives the peer's address; `addrlen` (a one-element Uint32Array
 * or Int32Array, made if omitted) is set to addr's length before submission
 * and holds the address's real length after. `flags`: SOCK_NONBLOCK,
 * SOCK_CLOEXEC. The entry's ioprio takes IORING_ACCEPT_DONTWAIT and
 * IORING_ACCEPT_POLL_FIRST (Linux 6.10).
 *
 * Differs from liburing: `addr` must have room for any address
 * (SOCKADDR_STORAGE_SIZE bytes), a RangeError otherwise. The kernel reads
 * the room from `addrlen` when a connection arrives, and a cell shared with
 * another accept (or written meanwhile) could offer a small buffer more
 * room than it has; with room for any address no value of the cell can
 * make the kernel write past it.
 *
 * Lifetime: `addr` and `addrlen` are kept referenced until the CQE is
 * consumed.
 * @since Linux 5.5
 * @see io_uring_prep_accept(3)
 */
export function prepAccept(sqe: Sqe, fd: number, addr: Uint8Array | null = null, addrlen: AddrLenCell | null = null, flags = 0): void {
  prepAcceptBase(sqe, fd, addr, addrlen, flags);
}

/**
 * Prepare an `IORING_OP_ACCEPT`: accept4(2) into slot `fileIndex` of the
 * registered file table. res is 0, or with IORING_FILE_INDEX_ALLOC the slot
 * chosen (-ENFILE when none is free). SOCK_CLOEXEC is refused (-EINVAL).
 *
 * Lifetime: as prepAccept.
 * @since Linux 5.15 (IORING_FILE_INDEX_ALLOC: 5.19)
 * @see io_uring_prep_accept_direct(3)
 */
export function prepAcceptDirect(sqe: Sqe, fd: number, addr: Uint8Array | null, addrlen: AddrLenCell | null, flags: number, fileIndex: number): void {
  const slot = fileIndexWord(fileIndex, true);
  prepAcceptBase(sqe, fd, addr, addrlen, flags);
  sqe.u32[sqe.w + 11] = slot; // file_index
}

/**
 * Prepare an `IORING_OP_ACCEPT` with IORING_ACCEPT_MULTISHOT: one CQE per
 * connection (res the new fd) with IORING_CQE_F_MORE while it stays armed;
 * the last CQE (an error, or -ECANCELED after a cancel) lacks F_MORE. Every
 * connection's address lands in the same `addr`, which must have room for
 * any address (SOCKADDR_STORAGE_SIZE bytes): the room each reads from
 * `addrlen` is what the one before left there.
 *
 * Lifetime: `addr` and `addrlen` are kept referenced until the CQE without
 * IORING_CQE_F_MORE is consumed.
 * @since Linux 5.19
 * @see io_uring_prep_multishot_accept(3)
 */
export function prepMultishotAccept(sqe: Sqe, fd: number, addr: Uint8Array | null = null, addrlen: AddrLenCell | null = null, flags = 0): void {
  prepAcceptBase(sqe, fd, addr, addrlen, flags);
  sqe.u16[sqe.w * 2 + 1] = IORING_ACCEPT_MULTISHOT; // ioprio, which rw() zeroed
}

/**
 * Prepare an `IORING_OP_ACCEPT` with IORING_ACCEPT_MULTISHOT into the
 * registered file table: as prepMultishotAccept, each res the slot chosen.
 *
 * Lifetime: as prepMultishotAccept.
 * @since Linux 5.19
 * @see io_uring_prep_multishot_accept_direct(3)
 */
export function prepMultishotAcceptDirect(sqe: Sqe, fd: number, addr: Uint8Array | null = null, addrlen: AddrLenCell | null = null, flags = 0): void {
  prepAcceptBase(sqe, fd, addr, addrlen, flags);
  sqe.u16[sqe.w * 2 + 1] = IORING_ACCEPT_MULTISHOT; // ioprio, which rw() zeroed
  sqe.u32[sqe.w + 11] = IORING_FILE_INDEX_ALLOC; // file_index
}

// ---------------------------------------------------------------- shutdown

/**
 * Prepare an `IORING_OP_SHUTDOWN`: shutdown(2) with `how` SHUT_RD, SHUT_WR or
 * SHUT_RDWR. res is 0 or -errno.
 * @since Linux 5.11
 * @see io_uring_prep_shutdown(3)
 */
export function prepShutdown(sqe: Sqe, fd: number, how: number): void {
  checkFd(fd, 'fd');
  checkBits32(how, 'how');
  rw(IORING_OP_SHUTDOWN, sqe, fd, 0, how, 0);
}

// --------------------------------------------------------- socket commands

/**
 * Prepare an `IORING_OP_URING_CMD` on a socket: command `cmdOp`
 * (SOCKET_URING_OP_*), with `level`, `optname` and `optval` / `optlen` as
 * the command takes them:
 *  - SIOCINQ / SIOCOUTQ: res is the bytes unread / unsent (Linux 6.7; the
 *    socket's protocol must implement the ioctl, as TCP and UDP do and unix
 *    sockets do not: -EOPNOTSUPP);
 *  - GETSOCKOPT: getsockopt(2) into `optval` at level SOL_SOCKET only; res is
 *    the option's length (Linux 6.7);
 *  - SETSOCKOPT: setsockopt(2) from `optval` (Linux 6.7);
 *  - TX_TIMESTAMP: multishot, one CQE per transmit timestamp from the error
 *    queue, needs 32-byte CQEs (Linux 6.17).
 * Fields: cmd_op in the off slot, level and optname in the addr slot,
 * optlen in file_index's, optval in addr3's. `optlen` defaults to optval's
 * length and may not exceed it.
 *
 * Lifetime: `optval` is kept referenced until the CQE is consumed.
 * @since Linux 5.19 (URING_CMD); socket commands as listed
 * @see io_uring_prep_cmd_sock(3)
 */
export function prepCmdSock(sqe: Sqe, cmdOp: number, fd: number, level: number, optname: number, optval: ArrayBufferView | null = null, optlen: number = optval?.byteLength ?? 0): void {
  checkU32(cmdOp, 'cmdOp');
  checkFd(fd, 'fd');
  checkBits32(level, 'level');
  checkBits32(optname, 'optname');
  checkLength(optlen, 'optlen');
  let v = 0;
  if (optval !== null && optval !== undefined) v = addressFor(optval, optlen, 'optval');
  else if (optlen !== 0) throw new RangeError(`optlen is ${optlen} but there is no optval`);
  rw(IORING_OP_URING_CMD, sqe, fd, 0, 0, 0);
  const u = sqe.u32;
  const w = sqe.w;
  u[w + 2] = cmdOp; // cmd_op (__pad1, the next word, stays 0)
  u[w + 4] = level; // level
  u[w + 5] = optname; // optname
  u[w + 11] = optlen; // optlen
  setU64(u, w + 12, v); // optval
  if (optval !== null && optval !== undefined) sqe.keep(optval);
}

/**
 * Prepare an `IORING_OP_URING_CMD` with SOCKET_URING_OP_GETSOCKNAME:
 * getsockname(2), or getpeername(2) when `peer` is 1. `sockaddr` receives the
 * address; `sockaddrLen` (a one-element Uint32Array or Int32Array, made if
 * omitted) is set to its length before submission and holds the address's
 * real length after. res is 0 or -errno (-ENOTSUP on a non-socket). Decode
 * the address with decodeSockaddr.
 *
 * Differs from liburing: `sockaddr` must have room for any address
 * (SOCKADDR_STORAGE_SIZE bytes), as prepAccept's `addr` must, for the same
 * reason: the room is read from `sockaddrLen` when the command runs.
 *
 * Lifetime: `sockaddr` and `sockaddrLen` are kept referenced until the CQE
 * is consumed.
 * @since Linux 6.19
 * @see io_uring_prep_cmd_getsockname(3)
 */
export function prepCmdGetsockname(sqe: Sqe, fd: number, sockaddr: Uint8Array, sockaddrLen: AddrLenCell | null = null, peer = 0): void {
  checkFd(fd, 'fd');
  if (peer !== 0 && peer !== 1) throw new RangeError(`peer must be 0 (getsockname) or 1 (getpeername) (got ${shown(peer)})`);
  const cell = addressRoom(sockaddr, sockaddrLen, 'sockaddr', 'sockaddrLen');
  const a = addressFor(sockaddr, SOCKADDR_STORAGE_SIZE, 'sockaddr');
  const l = addressFor(cell, 4, 'sockaddrLen');
  rw(IORING_OP_URING_CMD, sqe, fd, a, 0, 0);
  const u = sqe.u32;
  const w = sqe.w;
  u[w + 2] = SOCKET_URING_OP_GETSOCKNAME; // cmd_op
  u[w + 11] = peer; // optlen: 0 own address, 1 the peer's
  setU64(u, w + 12, l); // addr3: the socklen_t
  cell[0] = Math.min(byteLengthOf(sockaddr), 0x7fffffff);
  sqe.keep(sockaddr);
  sqe.keep(cell);
}
