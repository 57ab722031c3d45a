// epoll encoders: epoll_ctl(2) and epoll_wait(2) on an epoll fd, for event
// loops that still keep some fds in an epoll set.

import { IORING_OP_EPOLL_CTL, IORING_OP_EPOLL_WAIT } from '../uapi/constants.ts';
import { checkBits32, checkFd, checkLength, checkU32, checkU64 } from '../check.ts';
import { addressFor } from '../ring/memory.ts';
import type { Sqe } from '../ring/sqe.ts';
import { rw } from './rw.ts';
import { EPOLL_CTL_ADD, EPOLL_CTL_DEL } from '../uapi/poll.ts';

/**
 * `struct epoll_event` (include/uapi/linux/eventpoll.h): { __poll_t events;
 * __u64 data; }, packed to 12 bytes on x86_64 (EPOLL_PACKED) and naturally
 * aligned to 16 elsewhere.
 */
export const epoll_event = Object.freeze(process.arch === 'x64'
  ? {
    /** sizeof(struct epoll_event). */
    sizeof: 12,
    /** Offset of `events`. */
    events: 0,
    /** Offset of `data`. */
    data: 4,
  } as const
  : {
    /** sizeof(struct epoll_event). */
    sizeof: 16,
    /** Offset of `events`. */
    events: 0,
    /** Offset of `data`. */
    data: 8,
  } as const);

/** An epoll_event as JS values: `data` is the u64 the kernel hands back (an fd, an id). */
export interface EpollEvent {
  /** EPOLL* bits. */
  events: number;
  /** The u64 handed back with the event. */
  data: number | bigint;
}

/** A `struct epoll_event` holding `ev`, as bytes. */
export function makeEpollEvent(ev: EpollEvent): Uint8Array {
  if (ev === null || typeof ev !== 'object') throw new TypeError('an epoll event must be { events, data }');
  checkBits32(ev.events, 'events');
  checkU64(ev.data, 'data');
  const out = new Uint8Array(new ArrayBuffer(epoll_event.sizeof));
  const dv = new DataView(out.buffer);
  dv.setUint32(epoll_event.events, ev.events >>> 0, true);
  dv.setBigUint64(epoll_event.data, BigInt(ev.data), true);
  return out;
}

/** Event `i` of a buffer EPOLL_WAIT filled; `data` as a bigint, exactly. */
export function readEpollEvent(events: ArrayBufferView, i: number): {
  /** EPOLL* bits. */
  events: number;
  /** The u64 given at EPOLL_CTL_ADD. */
  data: bigint;
} {
  checkU32(i, 'i');
  const at = i * epoll_event.sizeof;
  if (at + epoll_event.sizeof > events.byteLength) throw new RangeError(`events holds ${Math.floor(events.byteLength / epoll_event.sizeof)} epoll_events; no event ${i}`);
  const dv = new DataView(events.buffer, events.byteOffset + at, epoll_event.sizeof);
  return { events: dv.getUint32(epoll_event.events, true), data: dv.getBigUint64(epoll_event.data, true) };
}

/**
 * Prepare an `IORING_OP_EPOLL_CTL`: epoll_ctl(2) on the epoll fd `epfd`:
 * `op` (EPOLL_CTL_ADD, MOD, DEL) for `fd`, with `ev` as { events, data }, or
 * a `struct epoll_event` you built (then nothing is allocated), or null for
 * EPOLL_CTL_DEL. res is 0 or -errno (-EINVAL when `epfd` is not an epoll fd).
 *
 * Lifetime: the epoll_event is kept referenced until the CQE is consumed
 * (the kernel copies it when the entry is submitted).
 * @since Linux 5.6
 * @see io_uring_prep_epoll_ctl(3)
 */
export function prepEpollCtl(sqe: Sqe, epfd: number, fd: number, op: number, ev: EpollEvent | Uint8Array | null): void {
  checkFd(epfd, 'epfd');
  checkFd(fd, 'fd');
  checkU32(op, 'op');
  let bytes: Uint8Array | null = null;
  let addr = 0;
  if (ev instanceof Uint8Array) bytes = ev;
  else if (ev !== null && ev !== undefined) bytes = makeEpollEvent(ev);
  else if (op !== EPOLL_CTL_DEL) throw new TypeError('epoll_ctl needs an event unless op is EPOLL_CTL_DEL');
  if (bytes !== null) addr = addressFor(bytes, epoll_event.sizeof, 'ev');
  rw(IORING_OP_EPOLL_CTL, sqe, epfd, addr, op, fd); // len: op; off: fd
  if (bytes !== null) sqe.keep(bytes);
}

/**
 * Prepare an `IORING_OP_EPOLL_WAIT`: epoll_wait(2) on `fd` into `events`, at
 * most `maxevents` of them (default: as many as fit). Waits for at least one
 * event (no timeout argument: link a prepLinkTimeout); res is the number of
 * events written, or -errno. Decode them with readEpollEvent. `flags` must be
 * 0.
 *
 * Lifetime: `events` is kept referenced until the CQE is consumed.
 * @since Linux 6.15
 * @see io_uring_prep_epoll_wait(3)
 */
export function prepEpollWait(sqe: Sqe, fd: number, events: ArrayBufferView, maxevents: number = Math.floor((events?.byteLength ?? 0) / epoll_event.sizeof), flags = 0): void {
  checkFd(fd, 'fd');
  checkLength(maxevents, 'maxevents');
  checkBits32(flags, 'flags');
  if (maxevents > 0x7fffffff) throw new RangeError(`maxevents must be at most 2^31-1 (got ${maxevents})`);
  const addr = addressFor(events, maxevents * epoll_event.sizeof, 'events');
  rw(IORING_OP_EPOLL_WAIT, sqe, fd, addr, maxevents, 0);
  sqe.u32[sqe.w + 7] = flags; // rw_flags
  sqe.keep(events);
}
