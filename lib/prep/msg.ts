// Messages for sendmsg/recvmsg: struct msghdr built from JS values, control
// messages (struct cmsghdr) built and read, and the buffers a multishot
// recvmsg fills (struct io_uring_recvmsg_out, then the name, the control
// messages and the payload) read in place. Readers hand back views of the
// buffer they are given, never copies.
//
// Layouts: struct user_msghdr (include/linux/socket.h, what sendmsg(2) and
// recvmsg(2) take) and struct cmsghdr (include/linux/socket.h), for the
// x86_64 / LP64 ABI: pointers and size_t are 8 bytes, control messages
// are aligned to 8 (CMSG_ALIGN rounds to sizeof(long)).

import { io_uring_recvmsg_out } from '../uapi/layout.ts';
import { checkU32 } from '../check.ts';
import { addressFor, byteLengthOf } from '../ring/memory.ts';
import { encodeIovecs, snapshotViews } from './rw.ts';
import { makeSockaddr, type SockaddrInit } from './sockaddr.ts';
import { high32 } from '../ring/sqe.ts';
import { SOL_SOCKET, SCM_RIGHTS } from '../uapi/net.ts';

/**
 * include/linux/socket.h: struct user_msghdr, x86_64.
 * @enum
 */
export const msghdr = Object.freeze({
  sizeof: 56,
  msg_name: 0, // void * : the peer's address (sendmsg: destination; recvmsg: filled in)
  msg_namelen: 8, // int : its length (recvmsg: updated by the kernel)
  msg_iov: 16, // struct iovec *
  msg_iovlen: 24, // size_t : number of iovecs
  msg_control: 32, // void * : control messages (struct cmsghdr, each aligned)
  msg_controllen: 40, // size_t : their length (recvmsg: updated by the kernel)
  msg_flags: 48, // unsigned int : recvmsg: MSG_* flags of the message received
} as const);

/**
 * include/linux/socket.h: struct cmsghdr, x86_64.
 * @enum
 */
export const cmsghdr = Object.freeze({
  sizeof: 16,
  cmsg_len: 0, // __kernel_size_t : header plus data, unaligned
  cmsg_level: 8, // int : the originating protocol (SOL_SOCKET, ...)
  cmsg_type: 12, // int : protocol-specific type (SCM_RIGHTS, ...)
} as const);

// CMSG_ALIGN: control messages are laid out on sizeof(long) boundaries.
const CMSG_ALIGNTO = 8;

/** CMSG_ALIGN(3): `n` rounded up to the control message alignment (8). */
export function cmsgAlign(n: number): number {
  // Arithmetic, not a mask: a cmsg_len read from a buffer may be past 2^32.
  return Math.ceil(n / CMSG_ALIGNTO) * CMSG_ALIGNTO;
}

/** CMSG_LEN(3): the `cmsg_len` of a control message with `n` bytes of data. */
export function cmsgLen(n: number): number {
  return cmsghdr.sizeof + n;
}

/** CMSG_SPACE(3): the bytes a control message with `n` bytes of data takes, padding included. */
export function cmsgSpace(n: number): number {
  return cmsghdr.sizeof + cmsgAlign(n);
}

function readU32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

// A size_t as a number (past 2^53 it loses precision, but stays far larger
// than any buffer, which is all a caller compares it with).
function readU64(b: Uint8Array, at: number): number {
  return readU32(b, at) + readU32(b, at + 4) * 4294967296;
}

/** What a msghdr is built from. */
export interface MsghdrInit {
  /**
   * sendmsg: the destination (`{ address, port }`, `{ path }` or the raw
   * struct). recvmsg: a buffer for the sender's address (a Uint8Array of, say,
   * SOCKADDR_STORAGE_SIZE bytes), its length the room offered.
   */
  name?: SockaddrInit | null;
  /** The data buffers, in order (empty for a recvmsg with a provided buffer). */
  iov: readonly ArrayBufferView[];
  /** Control messages to send, or room for those received. */
  control?: Uint8Array | null;
  /** msg_flags (ignored by sendmsg; recvmsg overwrites it). Default 0. */
  flags?: number;
}

/**
 * @internal What a msghdr's struct points at, as it was encoded: the memory
 * an entry keeps. Only makeMsghdr makes one, and no caller can reach it, so
 * what the kernel was told about (the buffers, their count, the name and
 * control room) can't change under it.
 */
export interface MsgParts {
  readonly bytes: Uint8Array;
  readonly name: Uint8Array | null;
  readonly nameLen: number;
  readonly views: readonly ArrayBufferView[];
  readonly iovecs: Uint32Array;
  readonly control: Uint8Array | null;
  readonly controlLen: number;
  readonly flags: number;
}

const partsOf = new WeakMap<Msghdr, MsgParts>();

/**
 * A `struct msghdr` and everything it points at, kept together: keeping the
 * Msghdr keeps the name, the buffers, their iovec array and the control
 * buffer. After a recvmsg the kernel has updated `namelen`, `controllen` and
 * `flags` in the struct; `reset()` puts back the sizes it was built with.
 */
export class Msghdr {
  /** The struct itself (56 bytes of its own memory). */
  readonly bytes: Uint8Array;
  /** The name buffer (msg_name), or null. */
  readonly name: Uint8Array | null;
  /** The data buffers (msg_iov): a frozen copy of the array it was built from. */
  readonly iov: readonly ArrayBufferView[];
  /** The struct iovec array msg_iov points at. */
  readonly iovecs: Uint32Array;
  /** The control buffer (msg_control), or null. */
  readonly control: Uint8Array | null;
  private readonly dv: DataView;
  private readonly initialFlags: number;

  /** @internal built by makeMsghdr */
  constructor(bytes: Uint8Array, name: Uint8Array | null, iov: readonly ArrayBufferView[], iovecs: Uint32Array, control: Uint8Array | null, flags: number) {
    this.bytes = bytes;
    this.name = name;
    this.iov = iov;
    this.iovecs = iovecs;
    this.control = control;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, msghdr.sizeof);
    this.initialFlags = flags;
  }

  /** msg_namelen as the struct holds it now: the room offered, or after a recvmsg the sender's address length. */
  get namelen(): number {
    return this.dv.getUint32(msghdr.msg_namelen, true);
  }

  /** msg_controllen as the struct holds it now: the room offered, or after a recvmsg the bytes of control messages received. */
  get controllen(): number {
    return Number(this.dv.getBigUint64(msghdr.msg_controllen, true));
  }

  /** msg_flags: after a recvmsg, MSG_TRUNC / MSG_CTRUNC / MSG_EOR ... of the message received. */
  get flags(): number {
    return this.dv.getUint32(msghdr.msg_flags, true);
  }

  /** msg_iovlen. */
  get iovlen(): number {
    return this.iov.length;
  }

  /** Restores msg_namelen, msg_controllen and msg_flags to what the Msghdr was built with. */
  reset(): void {
    const p = partsOf.get(this);
    if (p !== undefined) resetParts(p);
  }
}

/** @internal Puts the room of the name and control buffers back in the struct, as encoded. */
export function resetParts(p: MsgParts): void {
  const dv = new DataView(p.bytes.buffer, p.bytes.byteOffset, msghdr.sizeof);
  dv.setUint32(msghdr.msg_namelen, p.nameLen, true);
  dv.setBigUint64(msghdr.msg_controllen, BigInt(p.controlLen), true);
  dv.setUint32(msghdr.msg_flags, p.flags, true);
}

function putAddr(dv: DataView, at: number, a: number): void {
  dv.setUint32(at, a >>> 0, true);
  dv.setUint32(at + 4, high32(a), true);
}

/**
 * Builds a `struct msghdr` from `{ name?, iov, control?, flags? }`, checking
 * every buffer as an encoder would (TypeError / RangeError). Lengths are
 * the buffers' own: msg_namelen is the name's byteLength, msg_controllen
 * the control buffer's. Each property of `init` is read once, and `iov`
 * once (its length, then each element): the Msghdr holds a copy of it.
 */
export function makeMsghdr(init: MsghdrInit): Msghdr {
  return build(init).m;
}

function build(init: MsghdrInit): { m: Msghdr; p: MsgParts } {
  if (init === null || typeof init !== 'object') throw new TypeError('a message must be { name?, iov, control?, flags? }');
  const initName = init.name;
  const initIov = init.iov;
  const initControl = init.control;
  const flags = init.flags ?? 0;
  checkU32(flags, 'msg flags');
  const name = initName === undefined || initName === null ? null : makeSockaddr(initName);
  const nameLen = name === null ? 0 : byteLengthOf(name, 'msg name');
  if (nameLen > 0x7fffffff) throw new RangeError(`msg name holds ${nameLen} bytes; msg_namelen is an int`);
  const nameAddr = name === null ? 0 : addressFor(name, nameLen, 'msg name');
  const views = Object.freeze(snapshotViews(initIov, 'msg iov'));
  const iovecs = encodeIovecs(views, 'msg iov');
  const iovAddr = addressFor(iovecs, 0, 'msg iovecs');
  const control = initControl ?? null;
  if (control !== null && !(control instanceof Uint8Array)) throw new TypeError('msg control must be a Uint8Array');
  const controlLen = control === null ? 0 : byteLengthOf(control, 'msg control');
  const controlAddr = control === null ? 0 : addressFor(control, controlLen, 'msg control');
  const bytes = new Uint8Array(new ArrayBuffer(msghdr.sizeof));
  const dv = new DataView(bytes.buffer);
  putAddr(dv, msghdr.msg_name, nameAddr);
  putAddr(dv, msghdr.msg_iov, iovAddr);
  dv.setUint32(msghdr.msg_iovlen, views.length, true);
  putAddr(dv, msghdr.msg_control, controlAddr);
  const p: MsgParts = Object.freeze({ bytes, name, nameLen, views, iovecs, control, controlLen, flags });
  const m = new Msghdr(bytes, name, views, iovecs, control, flags);
  partsOf.set(m, p);
  resetParts(p);
  return { m, p };
}

/**
 * @internal The parts an encoder keeps for `msg`: a Msghdr's own, as
 * makeMsghdr encoded them (one not made there is read as a plain
 * `{ name?, iov, control?, flags? }`), or those of a msghdr built now.
 */
export function msghdrParts(msg: Msghdr | MsghdrInit): MsgParts {
  const p = partsOf.get(msg as Msghdr);
  return p !== undefined ? p : build(msg).p;
}

// ------------------------------------------------------------ control messages

/** One control message to build. */
export interface CmsgInit {
  /** `cmsg_level`: the protocol (SOL_SOCKET). */
  level: number;
  /** `cmsg_type`: the protocol's message type (SCM_RIGHTS). */
  type: number;
  /** The payload, copied after the header. */
  data: Uint8Array;
}

/**
 * Control messages laid out as the kernel reads them (each header, its data,
 * padding to CMSG_ALIGN), in a fresh buffer to use as `control`.
 */
export function makeCmsgs(list: readonly CmsgInit[]): Uint8Array {
  if (!Array.isArray(list)) throw new TypeError('control messages must be an array of { level, type, data }');
  let size = 0;
  for (const c of list) {
    if (!(c?.data instanceof Uint8Array)) throw new TypeError('a control message needs data as a Uint8Array');
    size += cmsgSpace(c.data.length);
  }
  const out = new Uint8Array(new ArrayBuffer(size));
  const dv = new DataView(out.buffer);
  let at = 0;
  for (const c of list) {
    dv.setBigUint64(at + cmsghdr.cmsg_len, BigInt(cmsgLen(c.data.length)), true);
    dv.setInt32(at + cmsghdr.cmsg_level, c.level, true);
    dv.setInt32(at + cmsghdr.cmsg_type, c.type, true);
    out.set(c.data, at + cmsghdr.sizeof);
    at += cmsgSpace(c.data.length);
  }
  return out;
}

/** A control buffer holding one SCM_RIGHTS message that passes `fds` (unix(7)). */
export function makeScmRights(fds: readonly number[]): Uint8Array {
  const data = new Uint8Array(fds.length * 4);
  const dv = new DataView(data.buffer);
  fds.forEach((fd, i) => {
    if ((fd | 0) !== fd || fd < 0) throw new TypeError(`fds[${i}] must be an integer from 0 to 2^31-1 (got ${fd})`);
    dv.setInt32(i * 4, fd, true);
  });
  return makeCmsgs([{ level: SOL_SOCKET, type: SCM_RIGHTS, data }]);
}

/**
 * A control message inside a received buffer. `bytes` runs from its header
 * to the end of the control area it was found in, so the next one can be
 * found from it alone.
 */
export class Cmsg {
  /** From this message's header to the end of the control area. */
  readonly bytes: Uint8Array;

  /** @internal */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** cmsg_len: header plus data, before padding. */
  get len(): number {
    return readU64(this.bytes, cmsghdr.cmsg_len);
  }

  /** cmsg_level. */
  get level(): number {
    return readU32(this.bytes, cmsghdr.cmsg_level) | 0;
  }

  /** cmsg_type. */
  get type(): number {
    return readU32(this.bytes, cmsghdr.cmsg_type) | 0;
  }

  /** CMSG_DATA(3): a view of the data (cmsg_len - header bytes, cut at the end of the area). */
  get data(): Uint8Array {
    const end = Math.min(Math.max(this.len, cmsghdr.sizeof), this.bytes.length);
    return this.bytes.subarray(cmsghdr.sizeof, end);
  }

  /** The file descriptors of an SCM_RIGHTS message (now open in this process). */
  fds(): number[] {
    const d = this.data;
    const out: number[] = [];
    for (let i = 0; i + 4 <= d.length; i += 4) out.push(readU32(d, i) | 0);
    return out;
  }
}

/** The first control message of an area, or null when it can't hold a header. */
function firstIn(area: Uint8Array): Cmsg | null {
  return area.length < cmsghdr.sizeof ? null : new Cmsg(area);
}

/**
 * CMSG_FIRSTHDR(3) after a recvmsg: the first control message the kernel
 * wrote into `msg.control` (msg_controllen bytes of it), or null.
 */
export function cmsgFirsthdr(msg: Msghdr): Cmsg | null {
  if (msg.control === null) return null;
  return firstIn(msg.control.subarray(0, Math.min(msg.controllen, msg.control.length)));
}

/**
 * CMSG_NXTHDR(3): the control message after `cmsg` in the same area, or null
 * when there is none or it would not fit (the checks of
 * io_uring_recvmsg_cmsg_nexthdr).
 */
export function cmsgNexthdr(cmsg: Cmsg): Cmsg | null {
  const len = cmsg.len;
  if (len < cmsghdr.sizeof) return null;
  const step = cmsgAlign(len);
  const area = cmsg.bytes;
  if (step + cmsghdr.sizeof > area.length) return null;
  const next = new Cmsg(area.subarray(step));
  if (cmsgAlign(next.len) > next.bytes.length) return null;
  return next;
}

// ---------------------------------------------- multishot recvmsg buffers

/** The sizes a multishot recvmsg reserves in each buffer: its Msghdr, or the same two numbers. */
export interface RecvmsgLayout {
  /** Bytes reserved for the peer's address (`msg_namelen`). */
  readonly namelen: number;
  /** Bytes reserved for control messages (`msg_controllen`). */
  readonly controllen: number;
}

/**
 * `struct io_uring_recvmsg_out` at the start of a buffer a multishot recvmsg
 * filled, with the buffer (the bytes the CQE reported) alongside.
 */
export class RecvmsgOut {
  /** The buffer's filled bytes: header, name area, control area, payload. */
  readonly buf: Uint8Array;

  /** @internal built by recvmsgValidate */
  constructor(buf: Uint8Array) {
    this.buf = buf;
  }

  /** The sender's address length, as recvmsg(2) would report it (may exceed the room reserved: truncated). */
  get namelen(): number {
    return readU32(this.buf, io_uring_recvmsg_out.namelen);
  }

  /** Bytes of control messages written. */
  get controllen(): number {
    return readU32(this.buf, io_uring_recvmsg_out.controllen);
  }

  /** The payload length recvmsg(2) would return (more than fits with MSG_TRUNC in `flags`). */
  get payloadlen(): number {
    return readU32(this.buf, io_uring_recvmsg_out.payloadlen);
  }

  /** msg_flags as recvmsg(2) would report them. */
  get flags(): number {
    return readU32(this.buf, io_uring_recvmsg_out.flags);
  }
}

/**
 * io_uring_recvmsg_validate(3): checks that the first `bufLen` bytes of
 * `buf` (a CQE's res) hold the header and the name and control areas
 * `msgh` reserved; returns the header, or null when they don't (or bufLen
 * is negative). A bufLen past the end of `buf` is a RangeError.
 */
export function recvmsgValidate(buf: Uint8Array, bufLen: number, msgh: RecvmsgLayout): RecvmsgOut | null {
  if (!(buf instanceof Uint8Array)) throw new TypeError('buf must be a Uint8Array');
  if (!Number.isInteger(bufLen)) throw new TypeError(`bufLen must be an integer (got ${bufLen})`);
  if (bufLen > buf.byteLength) throw new RangeError(`bufLen ${bufLen} is past the end of a ${buf.byteLength}-byte buffer`);
  const hdr = io_uring_recvmsg_out.sizeof;
  if (bufLen < hdr) return null;
  // One comparison per addition, as liburing does, so no sum can overflow.
  if (msgh.namelen > bufLen - hdr) return null;
  if (msgh.controllen > bufLen - hdr - msgh.namelen) return null;
  return new RecvmsgOut(buf.subarray(0, bufLen));
}

/**
 * io_uring_recvmsg_name(3): a view of the sender's address, as much of it as
 * the reserved room held (min(o.namelen, msgh.namelen) bytes). Unlike
 * liburing's, it takes `msgh`, since a view needs a length.
 *
 * Differs from liburing: takes `msgh` as well, since a view needs a length.
 */
export function recvmsgName(o: RecvmsgOut, msgh: RecvmsgLayout): Uint8Array {
  const at = io_uring_recvmsg_out.sizeof;
  return o.buf.subarray(at, at + Math.min(o.namelen, msgh.namelen));
}

/** io_uring_recvmsg_cmsg_firsthdr(3): the first control message in the buffer, or null. */
export function recvmsgCmsgFirsthdr(o: RecvmsgOut, msgh: RecvmsgLayout): Cmsg | null {
  if (o.controllen < cmsghdr.sizeof) return null;
  const at = io_uring_recvmsg_out.sizeof + msgh.namelen;
  return firstIn(o.buf.subarray(at, at + Math.min(o.controllen, msgh.controllen)));
}

/** io_uring_recvmsg_cmsg_nexthdr(3): the control message after `cmsg`, or null. */
export function recvmsgCmsgNexthdr(o: RecvmsgOut, msgh: RecvmsgLayout, cmsg: Cmsg): Cmsg | null {
  // The view recvmsgCmsgFirsthdr made already ends where the control area
  // does, which is all liburing uses `o` and `msgh` for.
  void o;
  void msgh;
  return cmsgNexthdr(cmsg);
}

/** io_uring_recvmsg_payload(3): a view of the payload (everything after the reserved areas). */
export function recvmsgPayload(o: RecvmsgOut, msgh: RecvmsgLayout): Uint8Array {
  return o.buf.subarray(io_uring_recvmsg_out.sizeof + msgh.namelen + msgh.controllen);
}

/**
 * io_uring_recvmsg_payload_length(3): the payload bytes within the first
 * `bufLen` bytes (0 when bufLen is negative or ends before the payload).
 */
export function recvmsgPayloadLength(o: RecvmsgOut, bufLen: number, msgh: RecvmsgLayout): number {
  if (bufLen < 0) return 0;
  const start = io_uring_recvmsg_out.sizeof + msgh.namelen + msgh.controllen;
  return start >= bufLen ? 0 : bufLen - start;
}
