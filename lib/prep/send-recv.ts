// Encoders for moving data over sockets: send and recv with their
// multishot, bundle, zero-copy and registered-buffer forms, sendto,
// sendmsg and recvmsg, and the zero-copy receive (RECV_ZC). Each is prepRw
// plus the fields liburing.h writes; each checks every argument before
// writing a byte of the entry, and keeps the memory it names until the final
// CQE. Messages are built by ./msg.ts, addresses by ./sockaddr.ts; socket
// setup is in ./socket.ts.

import {
  IORING_OP_RECV, IORING_OP_RECVMSG, IORING_OP_RECV_ZC, IORING_OP_SEND, IORING_OP_SENDMSG, IORING_OP_SENDMSG_ZC,
  IORING_OP_SEND_ZC, IORING_RECVSEND_BUNDLE, IORING_RECVSEND_FIXED_BUF, IORING_RECV_MULTISHOT,
} from '../uapi/constants.ts';
import { checkBits32, checkFd, checkLength, checkU16, checkU32 } from '../check.ts';
import { addressFor, byteLengthOf } from '../ring/memory.ts';
import { setU64, type Sqe } from '../ring/sqe.ts';
import { msghdr, msghdrParts, resetParts, type Msghdr, type MsghdrInit } from './msg.ts';
import { rw } from './rw.ts';
import { makeSockaddr, type SockaddrInit } from './sockaddr.ts';

/** ioprio |= bits: the send/recv flag space (IORING_RECVSEND_*, IORING_RECV_MULTISHOT). */
function orIoprio(sqe: Sqe, bits: number): void {
  const i = sqe.w * 2 + 1; // ioprio (u16 at byte 2)
  sqe.u16[i] = sqe.u16[i]! | bits;
}

// ------------------------------------------------------------------- send

// A send or receive on one buffer, or on none (null: a provided buffer is
// picked with IOSQE_BUFFER_SELECT, or a registered one is named by index).
function prepBuf(op: number, sqe: Sqe, fd: number, buf: ArrayBufferView | null, len: number, flags: number): void {
  checkFd(fd, 'fd');
  checkLength(len, 'len');
  checkBits32(flags, 'flags');
  const a = buf === null || buf === undefined ? 0 : addressFor(buf, len, 'buf');
  rw(op, sqe, fd, a, len, 0);
  sqe.u32[sqe.w + 7] = flags; // msg_flags
  if (buf !== null && buf !== undefined) sqe.keep(buf);
}

/**
 * Prepare an `IORING_OP_SEND`: send(2) of `len` bytes (default all) of `buf`
 * with MSG_* `flags`. res is the bytes sent; a short send is not an error
 * (MSG_WAITALL makes it one, which links need). `buf` may be null with
 * IOSQE_BUFFER_SELECT and a buffer group set on the entry (Linux 6.10).
 *
 * Lifetime: `buf` is kept referenced until the CQE is consumed.
 * @since Linux 5.6
 * @see io_uring_prep_send(3)
 */
export function prepSend(sqe: Sqe, sockfd: number, buf: ArrayBufferView | null, len: number = buf?.byteLength ?? 0, flags = 0): void {
  prepBuf(IORING_OP_SEND, sqe, sockfd, buf, len, flags);
}

/**
 * Prepare an `IORING_OP_SEND` with IORING_RECVSEND_BUNDLE: sends from as many
 * buffers of a buffer ring as are ready, in ring order. Set
 * IOSQE_BUFFER_SELECT and the group in `sqe.bufIndex` (buf_group); the group
 * must be a buffer ring, and `len` must be 0 (-EINVAL otherwise). res is the
 * bytes sent; the first buffer's id is in cqe.flags >> IORING_CQE_BUFFER_SHIFT.
 * @since Linux 6.10
 * @see io_uring_prep_send_bundle(3)
 */
export function prepSendBundle(sqe: Sqe, sockfd: number, len = 0, flags = 0): void {
  prepBuf(IORING_OP_SEND, sqe, sockfd, null, len, flags);
  orIoprio(sqe, IORING_RECVSEND_BUNDLE);
}

/**
 * Sets the destination of an entry already prepared by prepSend or
 * prepSendZc, turning it into sendto(2): addr2 points at the address,
 * addr_len holds its length (at most 65535, default the struct's length).
 * Call it after the encoder, which would forget the address.
 *
 * Lifetime: the address struct is kept referenced until the entry's final
 * CQE is consumed.
 * @since Linux 6.0 on SEND_ZC; 6.1 on SEND
 * @see io_uring_prep_send_set_addr(3)
 */
export function prepSendSetAddr(sqe: Sqe, destAddr: SockaddrInit, addrLen?: number): void {
  const sa = makeSockaddr(destAddr);
  const len = addrLen ?? byteLengthOf(sa, 'destAddr');
  checkU16(len, 'addrLen');
  const a = addressFor(sa, len, 'destAddr');
  setU64(sqe.u32, sqe.w + 2, a); // addr2
  sqe.u16[sqe.w * 2 + 22] = len; // addr_len
  sqe.keep(sa);
}

/**
 * Prepare an `IORING_OP_SEND` to `addr`: sendto(2) (prepSend then
 * prepSendSetAddr).
 *
 * Lifetime: `buf` and the address struct are kept referenced until the CQE
 * is consumed.
 * @since Linux 6.1
 * @see io_uring_prep_sendto(3)
 */
export function prepSendto(sqe: Sqe, sockfd: number, buf: ArrayBufferView | null, len: number, flags: number, addr: SockaddrInit, addrlen?: number): void {
  // Build and check the address before the send writes anything.
  const sa = makeSockaddr(addr);
  const alen = addrlen ?? byteLengthOf(sa, 'addr');
  checkU16(alen, 'addrlen');
  addressFor(sa, alen, 'addr');
  prepBuf(IORING_OP_SEND, sqe, sockfd, buf, len, flags);
  prepSendSetAddr(sqe, sa, alen);
}

/**
 * Prepare an `IORING_OP_SEND_ZC`: send(2) without copying `buf`. Posts two
 * CQEs: the send's result with IORING_CQE_F_MORE, then a notification
 * (IORING_CQE_F_NOTIF, res 0) once the kernel no longer reads `buf`; a
 * failed send posts only the first, without F_MORE. `zcFlags` go to ioprio
 * (IORING_RECVSEND_POLL_FIRST, IORING_SEND_ZC_REPORT_USAGE: the
 * notification's res then has IORING_NOTIF_USAGE_ZC_COPIED if the data was
 * copied after all, as it always is over loopback).
 *
 * Lifetime: `buf` is kept referenced until the notification is consumed.
 * @since Linux 6.0
 * @see io_uring_prep_send_zc(3)
 */
export function prepSendZc(sqe: Sqe, sockfd: number, buf: ArrayBufferView | null, len: number = buf?.byteLength ?? 0, flags = 0, zcFlags = 0): void {
  checkU16(zcFlags, 'zcFlags');
  prepBuf(IORING_OP_SEND_ZC, sqe, sockfd, buf, len, flags);
  sqe.u16[sqe.w * 2 + 1] = zcFlags; // ioprio
}

/**
 * Prepare an `IORING_OP_SEND_ZC` from registered buffer `bufIndex`: `buf`
 * must lie within that buffer (the kernel checks: -EFAULT otherwise). CQEs
 * as prepSendZc.
 *
 * Lifetime: as prepSendZc (the registration itself keeps nothing alive on
 * the JS side: keep the registered memory until it is unregistered).
 * @since Linux 6.0
 * @see io_uring_prep_send_zc_fixed(3)
 */
export function prepSendZcFixed(sqe: Sqe, sockfd: number, buf: ArrayBufferView, len: number, flags: number, zcFlags: number, bufIndex: number): void {
  checkU16(bufIndex, 'bufIndex');
  prepSendZc(sqe, sockfd, buf, len, flags, zcFlags);
  orIoprio(sqe, IORING_RECVSEND_FIXED_BUF);
  sqe.u16[sqe.w * 2 + 20] = bufIndex; // buf_index
}

// ---------------------------------------------------------------- sendmsg

function prepMsg(op: number, sqe: Sqe, fd: number, msg: Msghdr | MsghdrInit, flags: number, reset: boolean): void {
  checkFd(fd, 'fd');
  checkBits32(flags, 'flags');
  const p = msghdrParts(msg);
  const a = addressFor(p.bytes, msghdr.sizeof, 'msg');
  if (reset) resetParts(p);
  rw(op, sqe, fd, a, 1, 0);
  sqe.u32[sqe.w + 7] = flags; // msg_flags
  // The parts as encoded, not the Msghdr: its fields are the caller's to
  // reassign, the parts are not.
  sqe.keep(p);
}

/**
 * Prepare an `IORING_OP_SENDMSG`: sendmsg(2) of `msg`, a Msghdr or
 * `{ name?, iov, control?, flags? }` (built here). res is the bytes sent.
 *
 * Lifetime: the msghdr and everything it points at (name, buffers, iovecs,
 * control) are kept referenced until the CQE is consumed.
 * @since Linux 5.3
 * @see io_uring_prep_sendmsg(3)
 */
export function prepSendmsg(sqe: Sqe, fd: number, msg: Msghdr | MsghdrInit, flags = 0): void {
  prepMsg(IORING_OP_SENDMSG, sqe, fd, msg, flags, false);
}

/**
 * Prepare an `IORING_OP_SENDMSG_ZC`: sendmsg(2) without copying the buffers.
 * CQEs as prepSendZc.
 *
 * Lifetime: as prepSendmsg, until the notification is consumed.
 * @since Linux 6.1
 * @see io_uring_prep_sendmsg_zc(3)
 */
export function prepSendmsgZc(sqe: Sqe, fd: number, msg: Msghdr | MsghdrInit, flags = 0): void {
  prepMsg(IORING_OP_SENDMSG_ZC, sqe, fd, msg, flags, false);
}

/**
 * Prepare an `IORING_OP_SENDMSG_ZC` from registered buffer `bufIndex`: every
 * iov buffer must lie within it (-EFAULT otherwise). CQEs as prepSendZc.
 *
 * Lifetime: as prepSendmsgZc.
 * @since Linux 6.15 (IORING_RECVSEND_FIXED_BUF on SENDMSG_ZC)
 * @see io_uring_prep_sendmsg_zc_fixed(3)
 */
export function prepSendmsgZcFixed(sqe: Sqe, fd: number, msg: Msghdr | MsghdrInit, flags: number, bufIndex: number): void {
  checkU16(bufIndex, 'bufIndex');
  prepMsg(IORING_OP_SENDMSG_ZC, sqe, fd, msg, flags, false);
  orIoprio(sqe, IORING_RECVSEND_FIXED_BUF);
  sqe.u16[sqe.w * 2 + 20] = bufIndex; // buf_index
}

// ------------------------------------------------------------------- recv

/**
 * Prepare an `IORING_OP_RECV`: recv(2) of up to `len` bytes (default the
 * whole buffer) into `buf`. res is the bytes received, 0 at end of stream.
 * With IOSQE_BUFFER_SELECT and a group in `sqe.bufIndex`, `buf` is null and
 * the kernel picks a provided buffer (its id in cqe.flags >>
 * IORING_CQE_BUFFER_SHIFT, with IORING_CQE_F_BUFFER).
 *
 * Lifetime: `buf` is kept referenced until the CQE is consumed.
 * @since Linux 5.6
 * @see io_uring_prep_recv(3)
 */
export function prepRecv(sqe: Sqe, sockfd: number, buf: ArrayBufferView | null, len: number = buf?.byteLength ?? 0, flags = 0): void {
  prepBuf(IORING_OP_RECV, sqe, sockfd, buf, len, flags);
}

/**
 * Prepare an `IORING_OP_RECV` with IORING_RECV_MULTISHOT: one CQE per
 * receive, each in a provided buffer (set IOSQE_BUFFER_SELECT and the group
 * in `sqe.bufIndex`; `buf` null, `len` 0 or a cap per receive; no
 * MSG_WAITALL). Each CQE has IORING_CQE_F_MORE while it stays armed; it ends
 * with a CQE without it: end of stream (res 0), -ENOBUFS when the group runs
 * dry, -ECANCELED, or another error.
 *
 * Lifetime: `buf`, if any, is kept referenced until the CQE without
 * IORING_CQE_F_MORE is consumed.
 * @since Linux 6.0
 * @see io_uring_prep_recv_multishot(3)
 */
export function prepRecvMultishot(sqe: Sqe, sockfd: number, buf: ArrayBufferView | null = null, len: number = buf?.byteLength ?? 0, flags = 0): void {
  prepBuf(IORING_OP_RECV, sqe, sockfd, buf, len, flags);
  orIoprio(sqe, IORING_RECV_MULTISHOT);
}

/**
 * Prepare an `IORING_OP_RECVMSG`: recvmsg(2) into `msg`, a Msghdr or
 * `{ name?, iov, control?, flags? }` (built here). res is the bytes
 * received. A Msghdr passed in is reset() first (its name and control room
 * restored); after the CQE its `namelen`, `controllen` and `flags` are what
 * the kernel reported.
 *
 * Lifetime: the msghdr and everything it points at are kept referenced
 * until the CQE is consumed.
 * @since Linux 5.3
 * @see io_uring_prep_recvmsg(3)
 */
export function prepRecvmsg(sqe: Sqe, fd: number, msg: Msghdr | MsghdrInit, flags = 0): void {
  prepMsg(IORING_OP_RECVMSG, sqe, fd, msg, flags, true);
}

/**
 * Prepare an `IORING_OP_RECVMSG` with IORING_RECV_MULTISHOT: one CQE per
 * message, each in a provided buffer (IOSQE_BUFFER_SELECT and a group in
 * `sqe.bufIndex`; at most one iov, usually none; no MSG_WAITALL) laid out
 * as a struct io_uring_recvmsg_out, then msg.namelen bytes of name room,
 * msg.controllen bytes of control room, then the payload: read it with
 * recvmsgValidate and friends, passing the same `msg`. F_MORE and the end
 * of the stream as prepRecvMultishot.
 *
 * Lifetime: the msghdr and what it points at are kept referenced until the
 * CQE without IORING_CQE_F_MORE is consumed.
 * @since Linux 6.0
 * @see io_uring_prep_recvmsg_multishot(3)
 */
export function prepRecvmsgMultishot(sqe: Sqe, fd: number, msg: Msghdr | MsghdrInit, flags = 0): void {
  prepMsg(IORING_OP_RECVMSG, sqe, fd, msg, flags, true);
  orIoprio(sqe, IORING_RECV_MULTISHOT);
}

/**
 * Prepare an `IORING_OP_RECV_ZC`: zero-copy receive into the area of a
 * registered zcrx interface queue (IORING_REGISTER_ZCRX_IFQ, id
 * `zcrxIfqIdx`). Needs a NIC queue with header split bound to that queue, and
 * a ring made with IORING_SETUP_DEFER_TASKRUN and 32-byte CQEs: each data CQE
 * carries a struct io_uring_zcrx_cqe (offset of the data in the area) in its
 * upper half. `len` 0 receives until cancelled, otherwise at most `len` bytes;
 * `ioprio` takes IORING_RECV_MULTISHOT (default) and
 * IORING_RECVSEND_POLL_FIRST. liburing has no encoder for it; the field use
 * is the kernel's io_recvzc_prep (io_uring/net.c): addr, addr2, addr3 and
 * msg_flags must be 0, zcrx_ifq_idx names the queue.
 * @since Linux 6.15
 */
export function prepRecvZc(sqe: Sqe, fd: number, zcrxIfqIdx: number, len = 0, ioprio = IORING_RECV_MULTISHOT): void {
  checkFd(fd, 'fd');
  checkU32(zcrxIfqIdx, 'zcrxIfqIdx');
  checkU32(len, 'len');
  checkU16(ioprio, 'ioprio');
  rw(IORING_OP_RECV_ZC, sqe, fd, 0, len, 0);
  sqe.u16[sqe.w * 2 + 1] = ioprio; // ioprio
  sqe.u32[sqe.w + 11] = zcrxIfqIdx; // zcrx_ifq_idx
}
