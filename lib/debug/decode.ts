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
//  - Flag words are arrays of names, from lib/uapi/names.ts's flagNames:
//    a mask of several bits (O_SYNC) whole, then single bits lowest first;
//    bits without a name stay as a hex leftover ('0x80'). Enumerations (an
//    advice, a socket domain) are a name, or the number when unknown.
//  - What each opcode reads, and how each field is shown, is in
//    sqe-fields.ts; this file walks those tables.
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
import { flagNames, flagTable, prefixFlags } from '../uapi/names.ts';
import { LAYOUTS, POLL_EVENTS, SLOTS, opName, u64Value, widthOf, type DecodedValue, type Entry } from './sqe-fields.ts';

export type { DecodedValue } from './sqe-fields.ts';

// ------------------------------------------------------------------- types

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
  /** user_data: a number, or a bigint above 2^53. */
  userData: number | bigint;
  /** The result, or -errno. */
  res: number;
  /** IORING_CQE_F_* bits. */
  flags: number;
}

// IORING_CQE_F_TSTAMP_HW is left out: it is bit 16
// (IORING_TIMESTAMP_HW_SHIFT), where a provided buffer's id begins, and
// means a hardware timestamp only in a TX timestamp CQE.
const CQE_FLAGS = flagTable({
  IORING_CQE_F_BUFFER: C.IORING_CQE_F_BUFFER, IORING_CQE_F_MORE: C.IORING_CQE_F_MORE,
  IORING_CQE_F_SOCK_NONEMPTY: C.IORING_CQE_F_SOCK_NONEMPTY, IORING_CQE_F_NOTIF: C.IORING_CQE_F_NOTIF,
  IORING_CQE_F_BUF_MORE: C.IORING_CQE_F_BUF_MORE, IORING_CQE_F_SKIP: C.IORING_CQE_F_SKIP, IORING_CQE_F_32: C.IORING_CQE_F_32,
});
const NOTIF_USAGE = prefixFlags('IORING_NOTIF_USAGE_');

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
  const out = { opcode, op: opName(opcode), flags: flagNames(flags, 'IOSQE_') } as DecodedSqe;
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
