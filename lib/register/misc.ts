// io_uring_register(2) opcodes that are neither buffers nor files: eventfd
// notification, credentials (personalities), restrictions, io-wq workers,
// synchronous cancellation, the direct-descriptor allocation range, NAPI busy
// polling, the wait clock, and the two ringless opcodes (a MSG_RING with no
// source ring, and the capability query). liburing's src/register.c, one
// function per call, named without `io_uring_`.
//
// Every call throws an IoUringError (syscall 'io_uring_register', the detail
// naming the liburing call) where liburing would return -errno. Argument
// structs are built with the offsets of lib/uapi/layout.ts; the kernel copies
// them in during the call, so only the call itself needs them alive.

import * as ffi from '../../ffi/index.ts';
import { IoUringError } from '../errors.ts';
import { checkFd, checkIntRange, checkU32 } from '../check.ts';
import type { IoUring } from '../ring/io-uring.ts';
import { makeTimespec, type Timeout } from '../ring/timespec.ts';
import { addressFor } from '../ring/memory.ts';
import {
  IORING_ASYNC_CANCEL_ALL, IORING_ASYNC_CANCEL_ANY, IORING_ASYNC_CANCEL_FD, IORING_ASYNC_CANCEL_FD_FIXED,
  IORING_ASYNC_CANCEL_OP, IORING_ASYNC_CANCEL_USERDATA,
  IORING_MSG_DATA, IORING_MSG_RING_FLAGS_PASS, IORING_OP_MSG_RING,
  IORING_REGISTER_CLOCK, IORING_REGISTER_EVENTFD, IORING_REGISTER_EVENTFD_ASYNC,
  IORING_REGISTER_FILE_ALLOC_RANGE, IORING_REGISTER_IOWQ_AFF, IORING_REGISTER_IOWQ_MAX_WORKERS, IORING_REGISTER_NAPI,
  IORING_REGISTER_PERSONALITY, IORING_REGISTER_QUERY, IORING_REGISTER_RESTRICTIONS, IORING_REGISTER_SEND_MSG_RING,
  IORING_REGISTER_SYNC_CANCEL, IORING_RESTRICTION_REGISTER_OP, IORING_RESTRICTION_SQE_FLAGS_ALLOWED,
  IORING_RESTRICTION_SQE_FLAGS_REQUIRED, IORING_RESTRICTION_SQE_OP,
  IORING_UNREGISTER_EVENTFD, IORING_UNREGISTER_IOWQ_AFF, IORING_UNREGISTER_NAPI, IORING_UNREGISTER_PERSONALITY,
  IO_URING_QUERY_OPCODES, IO_URING_QUERY_SCQ, IO_URING_QUERY_ZCRX,
} from '../uapi/constants.ts';
import {
  __kernel_timespec, io_uring_clock_register, io_uring_file_index_range, io_uring_napi, io_uring_query_hdr,
  io_uring_query_opcode, io_uring_query_scq, io_uring_query_zcrx, io_uring_restriction, io_uring_sqe,
  io_uring_sync_cancel_reg,
} from '../uapi/layout.ts';
import { ERRNO } from '../errno.ts';

/** CLOCK_MONOTONIC from <linux/time.h>: the default clock of a ring's waits. */
export const CLOCK_MONOTONIC = 1;
/** CLOCK_BOOTTIME from <linux/time.h>: like CLOCK_MONOTONIC, but counts time suspended. */
export const CLOCK_BOOTTIME = 7;

// Objects whose addresses a struct passed to the kernel holds: referenced
// from here for the duration of the syscall, so the collector can't take one
// between taking its address and the kernel reading it.
const held: unknown[] = [];

/**
 * @internal io_uring_register(2) on `ring` (through `ring.registerRaw`, which
 * knows the ring's registered index) for liburing's `call`: the result, or an
 * IoUringError naming `call`. `refs` are objects that `arg` points at.
 */
export function registerCall(ring: IoUring, opcode: number, arg: ArrayBufferView | null, nrArgs: number, call: string, refs: readonly unknown[] = []): number {
  held.push(refs);
  try {
    return ring.registerRaw(opcode, arg, nrArgs);
  } catch (err) {
    if (err instanceof IoUringError && err.syscall === 'io_uring_register') throw new IoUringError(err.errno, 'io_uring_register', call);
    throw err;
  } finally {
    held.pop();
  }
}

// io_uring_register(2) with no ring (fd -1): IORING_REGISTER_SEND_MSG_RING
// and IORING_REGISTER_QUERY only.
function registerRingless(opcode: number, arg: Uint8Array, nrArgs: number, call: string, refs: readonly unknown[]): number {
  const err = ffi.loadError();
  if (err !== null) throw new IoUringError(ERRNO.ENOSYS, 'io_uring_register', call, err);
  held.push(refs);
  try {
    const r = ffi.ioUringRegister(-1, opcode, addressFor(arg, arg.byteLength, 'arg'), nrArgs);
    if (r < 0) throw new IoUringError(r, 'io_uring_register', call);
    return r;
  } finally {
    held.pop();
  }
}

// ------------------------------------------------------------------ eventfd

function eventfdArg(fd: number): Int32Array {
  checkFd(fd, 'fd');
  const a = new Int32Array(1);
  a[0] = fd;
  return a;
}

/**
 * io_uring_register_eventfd(3): the kernel signals eventfd `fd` when it posts
 * completions (one count per batch it posts, not necessarily per CQE), unless
 * the CQ flag IORING_CQ_EVENTFD_DISABLED is set (`ring.cqEventfdToggle`).
 * EBUSY when one is registered already.
 * @since Linux 5.2
 * @see io_uring_register_eventfd(3)
 */
export function registerEventfd(ring: IoUring, fd: number): void {
  registerCall(ring, IORING_REGISTER_EVENTFD, eventfdArg(fd), 1, 'register_eventfd');
}

/**
 * io_uring_register_eventfd_async(3): like registerEventfd, but signalled only
 * for completions posted from io-wq workers (requests that went async), not
 * for those completed inline at submission.
 * @since Linux 5.6
 * @see io_uring_register_eventfd_async(3)
 */
export function registerEventfdAsync(ring: IoUring, fd: number): void {
  registerCall(ring, IORING_REGISTER_EVENTFD_ASYNC, eventfdArg(fd), 1, 'register_eventfd_async');
}

/**
 * io_uring_unregister_eventfd(3): stop signalling the registered eventfd
 * (ENXIO when none is registered). The eventfd itself stays open.
 * @since Linux 5.2
 * @see io_uring_unregister_eventfd(3)
 */
export function unregisterEventfd(ring: IoUring): void {
  registerCall(ring, IORING_UNREGISTER_EVENTFD, null, 0, 'unregister_eventfd');
}

// ------------------------------------------------------------- personality

/**
 * io_uring_register_personality(3): registers the calling thread's current
 * credentials and returns their id. An entry with `sqe.personality = id` runs
 * with those credentials instead of the submitter's.
 * @since Linux 5.6
 * @see io_uring_register_personality(3)
 */
export function registerPersonality(ring: IoUring): number {
  return registerCall(ring, IORING_REGISTER_PERSONALITY, null, 0, 'register_personality');
}

/**
 * io_uring_unregister_personality(3): drops credentials id `id` (EINVAL when
 * no such id is registered).
 * @since Linux 5.6
 * @see io_uring_unregister_personality(3)
 */
export function unregisterPersonality(ring: IoUring, id: number): void {
  checkIntRange(id, 0, 0xffff, 'id');
  registerCall(ring, IORING_UNREGISTER_PERSONALITY, null, id, 'unregister_personality');
}

// ------------------------------------------------------------ restrictions

/**
 * One rule of registerRestrictions: `opcode` is IORING_RESTRICTION_*. For
 * IORING_RESTRICTION_REGISTER_OP (an io_uring_register opcode) and
 * IORING_RESTRICTION_SQE_OP (an IORING_OP_*), `op` is the opcode allowed; for
 * IORING_RESTRICTION_SQE_FLAGS_ALLOWED / _REQUIRED, `flags` are IOSQE_* bits.
 */
export interface Restriction {
  opcode: number;
  op?: number;
  flags?: number;
}

/**
 * io_uring_register_restrictions(3): limits what the ring may do to the
 * opcodes and SQE flags in `rules` (everything not allowed is refused: an
 * entry with -EACCES, a register call with EACCES). Only on a ring made with
 * IORING_SETUP_R_DISABLED (EBADFD otherwise), once (EBUSY); they take effect
 * at enableRings().
 * @since Linux 5.10
 * @see io_uring_register_restrictions(3)
 */
export function registerRestrictions(ring: IoUring, rules: readonly Restriction[]): void {
  if (!Array.isArray(rules)) throw new TypeError('rules must be an array of { opcode, op } or { opcode, flags }');
  const buf = new Uint8Array(new ArrayBuffer(Math.max(1, rules.length) * io_uring_restriction.sizeof));
  const dv = new DataView(buf.buffer);
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    if (r === null || typeof r !== 'object') throw new TypeError(`rules[${i}] must be an object`);
    checkIntRange(r.opcode, 0, 0xffff, `rules[${i}].opcode`);
    let value: number | undefined;
    let name: string;
    if (r.opcode === IORING_RESTRICTION_REGISTER_OP || r.opcode === IORING_RESTRICTION_SQE_OP) {
      value = r.op;
      name = 'op';
    } else if (r.opcode === IORING_RESTRICTION_SQE_FLAGS_ALLOWED || r.opcode === IORING_RESTRICTION_SQE_FLAGS_REQUIRED) {
      value = r.flags;
      name = 'flags';
    } else {
      // An opcode this library does not know: pass whichever was given, and
      // let the kernel judge it.
      value = r.op ?? r.flags ?? 0;
      name = 'op';
    }
    if (value === undefined) throw new TypeError(`rules[${i}] needs ${name}`);
    checkIntRange(value, 0, 0xff, `rules[${i}].${name}`);
    const at = i * io_uring_restriction.sizeof;
    dv.setUint16(at + io_uring_restriction.opcode, r.opcode, true);
    dv.setUint8(at + io_uring_restriction.register_op, value); // union: register_op / sqe_op / sqe_flags
  }
  registerCall(ring, IORING_REGISTER_RESTRICTIONS, buf, rules.length, 'register_restrictions');
}

/**
 * io_uring_enable_rings(3): starts a ring made with IORING_SETUP_R_DISABLED,
 * and with it any restrictions registered (EBADFD on an enabled ring). The
 * same as `ring.enableRings()` (IORING_REGISTER_ENABLE_RINGS).
 * @since Linux 5.10
 * @see io_uring_enable_rings(3)
 */
export function enableRings(ring: IoUring): void {
  try {
    ring.enableRings();
  } catch (err) {
    if (err instanceof IoUringError && err.syscall === 'io_uring_register') throw new IoUringError(err.errno, 'io_uring_register', 'enable_rings');
    throw err;
  }
}

// ------------------------------------------------------------------- io-wq

/**
 * io_uring_register_iowq_aff(3): pins the io-wq workers of the calling
 * thread (or, on an SQPOLL ring, of the SQ thread) to the CPUs numbered in
 * `cpus`; they must be allowed by the thread's cpuset (EINVAL otherwise), and
 * numbers past the kernel's CPU count are dropped. The list becomes a
 * `cpu_set_t` bitmask. Workers already running keep their CPUs; new ones
 * take these. The io-wq is per thread, shared by its rings: the setting
 * reaches all of them.
 * @since Linux 5.14
 * @see io_uring_register_iowq_aff(3)
 */
export function registerIowqAff(ring: IoUring, cpus: readonly number[]): void {
  if (!Array.isArray(cpus) || cpus.length === 0) throw new RangeError('cpus must be a non-empty array of CPU numbers');
  let max = 0;
  for (let i = 0; i < cpus.length; i++) {
    checkIntRange(cpus[i]!, 0, 0xfffff, `cpus[${i}]`);
    max = Math.max(max, cpus[i]!);
  }
  // glibc's cpu_set_t is 1024 bits; more CPUs need a larger mask (the kernel
  // reads at most its own cpumask size), in whole 64-bit words.
  const bytes = Math.max(128, Math.ceil((max + 1) / 64) * 8);
  const mask = new Uint8Array(new ArrayBuffer(bytes));
  for (const c of cpus) mask[c >>> 3]! |= 1 << (c & 7);
  registerCall(ring, IORING_REGISTER_IOWQ_AFF, mask, bytes, 'register_iowq_aff');
}

/**
 * io_uring_unregister_iowq_aff(3): lets the io-wq workers run on every CPU
 * the thread may use again.
 * @since Linux 5.14
 * @see io_uring_unregister_iowq_aff(3)
 */
export function unregisterIowqAff(ring: IoUring): void {
  registerCall(ring, IORING_UNREGISTER_IOWQ_AFF, null, 0, 'unregister_iowq_aff');
}

/**
 * io_uring_register_iowq_max_workers(3): caps the io-wq workers of each kind
 * ([bounded, unbounded]: IO_WQ_BOUND for regular file and block I/O,
 * IO_WQ_UNBOUND for the rest); 0 leaves a cap unchanged, so [0, 0] only reads
 * them. Returns the caps in force before the call (as [0, 0] if this thread
 * has no io-wq yet). The caps apply to every thread that uses the ring.
 * @since Linux 5.15
 * @see io_uring_register_iowq_max_workers(3)
 */
export function registerIowqMaxWorkers(ring: IoUring, values: readonly [number, number]): [number, number] {
  if (!Array.isArray(values) || values.length !== 2) throw new TypeError('values must be [bounded, unbounded]');
  checkIntRange(values[0], 0, 0x7fffffff, 'values[0] (bounded)');
  checkIntRange(values[1], 0, 0x7fffffff, 'values[1] (unbounded)');
  const v = new Uint32Array([values[0], values[1]]);
  registerCall(ring, IORING_REGISTER_IOWQ_MAX_WORKERS, v, 2, 'register_iowq_max_workers');
  return [v[0]!, v[1]!];
}

// ---------------------------------------------------------- synchronous cancel

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
 * @since Linux 6.0
 * @see io_uring_register_sync_cancel(3)
 */
export function registerSyncCancel(ring: IoUring, what: SyncCancel): number {
  if (what === null || typeof what !== 'object') throw new TypeError('registerSyncCancel takes { userData?, fd?, flags?, timeout?, opcode? }');
  const flags = what.flags ?? 0;
  checkU32(flags, 'flags');
  if (flags & ~CANCEL_FLAGS) throw new RangeError(`unknown IORING_ASYNC_CANCEL_* bits 0x${(flags & ~CANCEL_FLAGS).toString(16)}`);
  const buf = new Uint8Array(new ArrayBuffer(io_uring_sync_cancel_reg.sizeof));
  const dv = new DataView(buf.buffer);
  const ud = what.userData ?? 0;
  if (typeof ud === 'bigint') {
    dv.setBigUint64(io_uring_sync_cancel_reg.addr, BigInt.asUintN(64, ud), true);
  } else {
    if (!Number.isSafeInteger(ud) || ud < 0) throw new TypeError(`userData must be an integer from 0 to 2^53-1, or a bigint (got ${ud})`);
    dv.setBigUint64(io_uring_sync_cancel_reg.addr, BigInt(ud), true);
  }
  if (what.fd !== undefined) checkFd(what.fd, 'fd');
  dv.setInt32(io_uring_sync_cancel_reg.fd, what.fd ?? -1, true);
  dv.setUint32(io_uring_sync_cancel_reg.flags, flags, true);
  if (what.timeout === undefined) {
    // -1 / -1: no timeout (the kernel's own convention for this struct).
    dv.setBigInt64(io_uring_sync_cancel_reg.timeout + __kernel_timespec.tv_sec, -1n, true);
    dv.setBigInt64(io_uring_sync_cancel_reg.timeout + __kernel_timespec.tv_nsec, -1n, true);
  } else {
    buf.set(makeTimespec(what.timeout), io_uring_sync_cancel_reg.timeout);
  }
  if (what.opcode !== undefined) {
    checkIntRange(what.opcode, 0, 0xff, 'opcode');
    dv.setUint8(io_uring_sync_cancel_reg.opcode, what.opcode);
  }
  return registerCall(ring, IORING_REGISTER_SYNC_CANCEL, buf, 1, 'register_sync_cancel');
}

// ------------------------------------------------------------ files (range)

/**
 * io_uring_register_file_alloc_range(3): direct descriptors the kernel
 * allocates (IORING_FILE_INDEX_ALLOC) come from slots [off, off + len) of
 * the registered file table only. The range must fit in the table (EINVAL,
 * also when there is none).
 * @since Linux 6.0
 * @see io_uring_register_file_alloc_range(3)
 */
export function registerFileAllocRange(ring: IoUring, off: number, len: number): void {
  checkU32(off, 'off');
  checkU32(len, 'len');
  const buf = new Uint8Array(new ArrayBuffer(io_uring_file_index_range.sizeof));
  const dv = new DataView(buf.buffer);
  dv.setUint32(io_uring_file_index_range.off, off, true);
  dv.setUint32(io_uring_file_index_range.len, len, true);
  registerCall(ring, IORING_REGISTER_FILE_ALLOC_RANGE, buf, 0, 'register_file_alloc_range');
}

// ------------------------------------------------------------------- NAPI

/** NAPI busy-poll settings (`struct io_uring_napi`). */
export interface Napi {
  /** Microseconds to busy-poll the network device queue before sleeping. */
  busyPollTo: number;
  /** Prefer busy polling to interrupts (SO_PREFER_BUSY_POLL). */
  preferBusyPoll: boolean;
}

function napiArg(napi: Napi | undefined): Uint8Array {
  const buf = new Uint8Array(new ArrayBuffer(io_uring_napi.sizeof));
  if (napi !== undefined) {
    if (napi === null || typeof napi !== 'object') throw new TypeError('napi must be { busyPollTo, preferBusyPoll }');
    checkU32(napi.busyPollTo, 'busyPollTo');
    new DataView(buf.buffer).setUint32(io_uring_napi.busy_poll_to, napi.busyPollTo, true);
    buf[io_uring_napi.prefer_busy_poll] = napi.preferBusyPoll ? 1 : 0;
  }
  return buf;
}

function napiOut(buf: Uint8Array): Napi {
  return {
    busyPollTo: new DataView(buf.buffer).getUint32(io_uring_napi.busy_poll_to, true),
    preferBusyPoll: buf[io_uring_napi.prefer_busy_poll] !== 0,
  };
}

/**
 * io_uring_register_napi(3): busy-poll the NAPI queues of the sockets this
 * ring waits on, for `busyPollTo` microseconds, when waiting for completions
 * (dynamic tracking: queues are learned from the sockets used). Returns the
 * settings in force before. EOPNOTSUPP on a kernel built without
 * CONFIG_NET_RX_BUSY_POLL. (Linux 6.13 added a static-tracking mode in bytes
 * 5..11 of the struct, which the pinned header calls padding; zeroed, they
 * ask for the dynamic tracking described here.)
 * @since Linux 6.9
 * @see io_uring_register_napi(3)
 */
export function registerNapi(ring: IoUring, napi: Napi): Napi {
  if (napi === undefined) throw new TypeError('napi must be { busyPollTo, preferBusyPoll }');
  const buf = napiArg(napi);
  registerCall(ring, IORING_REGISTER_NAPI, buf, 1, 'register_napi');
  return napiOut(buf);
}

/**
 * io_uring_unregister_napi(3): stops NAPI busy polling; returns the settings
 * that were in force.
 * @since Linux 6.9
 * @see io_uring_unregister_napi(3)
 */
export function unregisterNapi(ring: IoUring): Napi {
  const buf = napiArg(undefined);
  registerCall(ring, IORING_UNREGISTER_NAPI, buf, 1, 'unregister_napi');
  return napiOut(buf);
}

// ------------------------------------------------------------------ clock

/**
 * io_uring_register_clock(3): the clock that the ring's wait timeouts (and
 * IORING_ENTER_ABS_TIMER deadlines) are measured on: CLOCK_MONOTONIC (the
 * default) or CLOCK_BOOTTIME; any other is EINVAL.
 * @since Linux 6.12
 * @see io_uring_register_clock(3)
 */
export function registerClock(ring: IoUring, clockid: number): void {
  checkU32(clockid, 'clockid');
  const buf = new Uint8Array(new ArrayBuffer(io_uring_clock_register.sizeof));
  new DataView(buf.buffer).setUint32(io_uring_clock_register.clockid, clockid, true);
  registerCall(ring, IORING_REGISTER_CLOCK, buf, 0, 'register_clock');
}

// --------------------------------------------------------- ringless calls

/**
 * io_uring_register_sync_msg(3): posts a CQE to the ring with fd `fd` from
 * no ring at all (IORING_REGISTER_SEND_MSG_RING, with fd -1): `res` is `len`,
 * `user_data` is `data`. liburing takes an SQE prepared with
 * io_uring_prep_msg_ring(); this builds that IORING_MSG_DATA entry from the
 * same arguments. `flags` may be IORING_MSG_RING_FLAGS_PASS, which puts
 * `cqeFlags` in the target CQE's flags.
 * @since Linux 6.13
 * @see io_uring_register_sync_msg(3)
 */
export function registerSyncMsg(fd: number, len: number, data: number | bigint, flags = 0, cqeFlags = 0): void {
  checkFd(fd, 'fd');
  checkU32(len, 'len');
  checkU32(flags, 'flags');
  checkU32(cqeFlags, 'cqeFlags');
  const sqe = new Uint8Array(new ArrayBuffer(io_uring_sqe.sizeof));
  const dv = new DataView(sqe.buffer);
  dv.setUint8(io_uring_sqe.opcode, IORING_OP_MSG_RING);
  dv.setInt32(io_uring_sqe.fd, fd, true);
  if (typeof data === 'bigint') {
    dv.setBigUint64(io_uring_sqe.off, BigInt.asUintN(64, data), true); // off: the target's user_data
  } else {
    if (!Number.isSafeInteger(data) || data < 0) throw new TypeError(`data must be an integer from 0 to 2^53-1, or a bigint (got ${data})`);
    dv.setBigUint64(io_uring_sqe.off, BigInt(data), true);
  }
  dv.setBigUint64(io_uring_sqe.addr, BigInt(IORING_MSG_DATA), true); // addr: the MSG_RING command
  dv.setUint32(io_uring_sqe.len, len, true); // len: the target's res
  dv.setUint32(io_uring_sqe.msg_ring_flags, flags, true);
  if (flags & IORING_MSG_RING_FLAGS_PASS) dv.setUint32(io_uring_sqe.file_index, cqeFlags, true); // file_index: the target's cqe flags
  registerRingless(IORING_REGISTER_SEND_MSG_RING, sqe, 1, 'register_sync_msg', []);
}

/**
 * io_uring_register_query(3) for one query: runs IO_URING_QUERY_* `queryOp`
 * with a result struct of `size` bytes and returns those bytes (zero past
 * what the kernel knows how to fill). Ringless unless `ring` is given. Throws
 * IoUringError EOPNOTSUPP for a query the kernel does not know, EINVAL when
 * it has no IORING_REGISTER_QUERY (before Linux 6.18).
 * @since Linux 6.18
 * @see io_uring_register_query(3)
 */
export function registerQuery(queryOp: number, size: number, ring?: IoUring): Uint8Array {
  checkU32(queryOp, 'queryOp');
  checkIntRange(size, 1, 1 << 20, 'size');
  const data = new Uint8Array(new ArrayBuffer(size));
  const hdr = new Uint8Array(new ArrayBuffer(io_uring_query_hdr.sizeof));
  const dv = new DataView(hdr.buffer);
  dv.setBigUint64(io_uring_query_hdr.query_data, BigInt(addressFor(data, size, 'query data')), true);
  dv.setUint32(io_uring_query_hdr.query_op, queryOp, true);
  dv.setUint32(io_uring_query_hdr.size, size, true);
  const call = `register_query (query_op ${queryOp})`;
  if (ring === undefined) registerRingless(IORING_REGISTER_QUERY, hdr, 0, call, [data]);
  else registerCall(ring, IORING_REGISTER_QUERY, hdr, 0, call, [data]);
  const result = dv.getInt32(io_uring_query_hdr.result, true);
  if (result < 0) throw new IoUringError(result, 'io_uring_register', call);
  return data;
}

/** What IO_URING_QUERY_OPCODES reports (`struct io_uring_query_opcode`). */
export interface QueryOpcodes {
  /** IORING_OP_* opcodes the kernel knows: IORING_OP_LAST, so the highest is one less. */
  nrRequestOpcodes: number;
  /** io_uring_register opcodes it knows (IORING_REGISTER_LAST). */
  nrRegisterOpcodes: number;
  /** Every IORING_FEAT_* bit it can report. */
  featureFlags: bigint;
  /** Every IORING_SETUP_* flag it accepts. */
  ringSetupFlags: bigint;
  /** Every IORING_ENTER_* flag it accepts. */
  enterFlags: bigint;
  /** Every IOSQE_* flag it accepts. */
  sqeFlags: bigint;
  /** IO_URING_QUERY_* queries it knows. */
  nrQueryOpcodes: number;
}

/**
 * IORING_REGISTER_QUERY for IO_URING_QUERY_OPCODES: what the running kernel's
 * io_uring knows, without a ring.
 * @since Linux 6.18
 * @see io_uring_register_query(3)
 */
export function queryOpcodes(ring?: IoUring): QueryOpcodes {
  const d = registerQuery(IO_URING_QUERY_OPCODES, io_uring_query_opcode.sizeof, ring);
  const dv = new DataView(d.buffer);
  const L = io_uring_query_opcode;
  return {
    nrRequestOpcodes: dv.getUint32(L.nr_request_opcodes, true),
    nrRegisterOpcodes: dv.getUint32(L.nr_register_opcodes, true),
    featureFlags: dv.getBigUint64(L.feature_flags, true),
    ringSetupFlags: dv.getBigUint64(L.ring_setup_flags, true),
    enterFlags: dv.getBigUint64(L.enter_flags, true),
    sqeFlags: dv.getBigUint64(L.sqe_flags, true),
    nrQueryOpcodes: dv.getUint32(L.nr_query_opcodes, true),
  };
}

/** What IO_URING_QUERY_ZCRX reports (`struct io_uring_query_zcrx`). */
export interface QueryZcrx {
  registerFlags: bigint;
  areaFlags: bigint;
  nrCtrlOpcodes: number;
  features: number;
  rqHdrSize: number;
  rqHdrAlignment: number;
}

/**
 * IORING_REGISTER_QUERY for IO_URING_QUERY_ZCRX: the zero-copy receive
 * features (EOPNOTSUPP where the kernel has not this query).
 * @see io_uring_register_query(3)
 */
export function queryZcrx(ring?: IoUring): QueryZcrx {
  const d = registerQuery(IO_URING_QUERY_ZCRX, io_uring_query_zcrx.sizeof, ring);
  const dv = new DataView(d.buffer);
  const L = io_uring_query_zcrx;
  return {
    registerFlags: dv.getBigUint64(L.register_flags, true),
    areaFlags: dv.getBigUint64(L.area_flags, true),
    nrCtrlOpcodes: dv.getUint32(L.nr_ctrl_opcodes, true),
    features: dv.getUint32(L.features, true),
    rqHdrSize: dv.getUint32(L.rq_hdr_size, true),
    rqHdrAlignment: dv.getUint32(L.rq_hdr_alignment, true),
  };
}

/** What IO_URING_QUERY_SCQ reports (`struct io_uring_query_scq`). */
export interface QueryScq {
  /** Bytes of the SQ/CQ rings' header. */
  hdrSize: bigint;
  /** Its alignment. */
  hdrAlignment: bigint;
}

/**
 * IORING_REGISTER_QUERY for IO_URING_QUERY_SCQ: the SQ/CQ ring header layout
 * (EOPNOTSUPP where the kernel has not this query).
 * @see io_uring_register_query(3)
 */
export function queryScq(ring?: IoUring): QueryScq {
  const d = registerQuery(IO_URING_QUERY_SCQ, io_uring_query_scq.sizeof, ring);
  const dv = new DataView(d.buffer);
  return {
    hdrSize: dv.getBigUint64(io_uring_query_scq.hdr_size, true),
    hdrAlignment: dv.getBigUint64(io_uring_query_scq.hdr_alignment, true),
  };
}
