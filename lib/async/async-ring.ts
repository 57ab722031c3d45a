// AsyncRing: io_uring inside Node's event loop. Each operation is a promise;
// operations started in the same turn of the loop go to the kernel in one
// io_uring_enter (a setImmediate flushes the SQ), the CQ is reaped right
// after every submit (page-cache reads and NOPs complete inline) and
// whenever the waker says completions arrived. No helper thread, no busy
// loop, no libuv threadpool.
//
// When to flush: an operation that completes inline settles its promise
// during the flush, and code awaiting it starts the next one at once.
// Flushed from a microtask each time, such a loop never leaves the microtask
// queue and starves timers and I/O (measured: a setTimeout never fired under
// 32 looping readers); flushed from setImmediate each time, every awaited
// operation costs a turn of the event loop. So the first few flushes of a
// turn are microtasks, and after FLUSHES_PER_TURN the rest of the turn's
// work waits for setImmediate, which lets the loop turn.
//
// user_data is `(generation * 64 + position) * 2^20 + slot`: the slot says
// whose promise (or iterator) a CQE feeds, the position which entry of a
// chain it is (0 for a lone operation), and the generation (modulo 2^26)
// that a CQE, or a cancel, from an earlier use of the slot is stale. Slot 0
// is the library's own: link timeouts and cancels post CQEs under it, reaped
// and ignored. Everything this ring issues stays below 2^52; user_data from
// 2^52 up (below the doorbell's two) are messages other rings posted with
// msgRing, read with messages().
//
// The CQ never overflows: `expected` counts the CQEs the kernel may still
// post for what is in flight (one per entry, two for a zero-copy send, one
// for a multishot operation's final CQE), and an operation waits in the
// backlog until its CQEs fit. A multishot operation's intermediate CQEs are
// not counted; if they overflow the CQ the kernel ends the operation, and
// the iterator re-arms it.

import { closeSync } from 'node:fs';
import { inspect, type InspectOptionsStylized } from 'node:util';
import { IoUringError } from '../errors.ts';
import { IoUring, type IoUringOptions, type Timeout } from '../ring/io-uring.ts';
import type { Sqe } from '../ring/sqe.ts';
import { addressFor } from '../ring/memory.ts';
import { prepRw, prepFsync, prepNop, prepRead, prepReadv, prepWrite, prepWritev } from '../prep/rw.ts';
import { makeTimespec, prepTimeout } from '../prep/timeout.ts';
import {
  decodeStatx, prepFallocate, prepFtruncate, prepLinkat, prepMkdirat, prepRenameat, prepStatx, prepSymlinkat,
  prepUnlinkat, STATX_BASIC_STATS, STATX_BTIME, type Statx,
} from '../prep/fs.ts';
import { prepClose, prepCloseDirect, prepOpenat, prepOpenat2, type OpenHow } from '../prep/open.ts';
import { prepSplice, prepTee } from '../prep/splice.ts';
import {
  prepAccept, prepBind, prepConnect, prepListen, prepMultishotAccept, prepRecv, prepRecvMultishot, prepRecvmsg, prepSend,
  prepSendmsg, prepSendZc, prepShutdown, prepSocket,
} from '../prep/net.ts';
import type { SockaddrInit } from '../prep/sockaddr.ts';
import type { Msghdr, MsghdrInit } from '../prep/msg.ts';
import { prepPollAdd, prepPollMultishot } from '../prep/poll.ts';
import { FUTEX2_SIZE_U32, FUTEX_BITSET_MATCH_ANY, prepFutexWait, prepFutexWake } from '../prep/futex.ts';
import { prepWaitid, readSiginfo, type Siginfo } from '../prep/waitid.ts';
import { prepMsgRing } from '../prep/msg-ring.ts';
import { prepReadMultishot } from '../prep/buffers.ts';
import {
  IORING_ASYNC_CANCEL_USERDATA, IORING_CQE_BUFFER_SHIFT, IORING_CQE_F_BUFFER, IORING_CQE_F_MORE, IORING_CQE_F_NOTIF,
  IORING_OP_ASYNC_CANCEL, IORING_OP_LINK_TIMEOUT, IORING_SETUP_DEFER_TASKRUN, IORING_TIMEOUT_MULTISHOT, IOSQE_ASYNC,
  IOSQE_BUFFER_SELECT, IOSQE_FIXED_FILE, IOSQE_IO_DRAIN, IOSQE_IO_LINK,
} from '../uapi/constants.ts';
import { __kernel_timespec } from '../uapi/layout.ts';
import { createWaker, DOORBELL_POLL_DATA, DOORBELL_WRITE_DATA, type Waker } from './waker.ts';
import { BufferPool, Chunk, MultishotIterator } from './multishot.ts';

const SLOT_BITS = 20;
const SLOT_SPAN = 1 << SLOT_BITS;
const SLOT_MASK = SLOT_SPAN - 1;
const MAX_CHAIN = 64;
const FLUSHES_PER_TURN = 16;
const GEN_SPAN = 2 ** 26;
/** Where message user_data start (see msgRing). */
const MSG_BASE = 2 ** 52;
/** The largest value msgRing can carry to an AsyncRing. */
const MSG_MAX = DOORBELL_WRITE_DATA - 1 - MSG_BASE;
const ECANCELED = 125;
const ETIME = 62;
const ENOBUFS = 105;
const EINTR = 4;
/** SQE flags an operation may ask for (the rest are this layer's to set). */
const USER_SQE_FLAGS = IOSQE_FIXED_FILE | IOSQE_IO_DRAIN | IOSQE_ASYNC;

export interface AsyncRingOptions extends IoUringOptions {
  /** SQ entries (default 256). */
  entries?: number;
  /** How completions wake the loop: 'auto' (default), 'poll' or 'doorbell'. */
  waker?: 'auto' | 'poll' | 'doorbell';
}

/** Options every operation takes. */
export interface OpOptions {
  /** Cancels the operation in the kernel; the promise rejects with an AbortError once the kernel has let go. */
  signal?: AbortSignal;
  /** A linked timeout (IORING_OP_LINK_TIMEOUT): past it the operation is cancelled and rejects with ETIME. */
  timeout?: Timeout;
  /** Objects to keep referenced until the operation's final CQE (memory its entry points at). */
  keep?: readonly unknown[];
  /** The fd is an index into the registered file table (IOSQE_FIXED_FILE). */
  fixedFile?: boolean;
  /** More SQE flags: IOSQE_IO_DRAIN, IOSQE_ASYNC (links are chain()'s). */
  flags?: number;
}

/** Options of a multishot operation: no linked timeout (it would end the operation). */
export type MultishotOptions = Omit<OpOptions, 'timeout'>;

/** Options of recvMultishot and readMultishot. */
export interface ReceiveOptions extends MultishotOptions {
  /**
   * The buffers to receive into. Without one, the operation gets a pool of
   * its own (`bufferSize` x `buffers`), unregistered when it ends.
   */
  pool?: BufferPool;
  /** Bytes per buffer of an own pool (default 16 KiB). */
  bufferSize?: number;
  /** Buffers in an own pool, a power of two (default 16). */
  buffers?: number;
}

/**
 * Where msgRing delivers to an AsyncRing's messages(): a plain object, so it
 * can be posted to a worker_thread (ring fds are the process's, and any
 * thread may post to any ring).
 */
export interface MessageTarget {
  readonly asyncRingFd: number;
}

/** A message another ring posted with msgRing. */
export interface RingMessage {
  /** The value sent. */
  data: number;
  /** The `len` sent (the CQE's res). */
  len: number;
}

type Prep = (sqe: Sqe) => void;
type Mapper = (res: number) => unknown;

// An operation waiting for room in the SQ or CQ.
interface Waiting {
  slot: number;
  preps: Prep[];
  opts: OpOptions | undefined;
}

// A multishot operation: what feeds its iterator from each CQE.
interface Stream {
  it: MultishotIterator<unknown>;
  // A CQE's value for the iterator, or undefined for none.
  value: (res: number, flags: number) => unknown;
  // Re-arm after a final CQE that was not an end (a value, or ENOBUFS)?
  rearm: boolean;
  // True once a final CQE with a value is the natural end (the last tick).
  finished: (() => boolean) | undefined;
  preps: Prep[];
  opts: OpOptions | undefined;
  pool: BufferPool | null;
  ownPool: boolean;
  // This arming has posted a CQE with F_MORE: it was multishot when it ended.
  sawMore: boolean;
  // Re-armed after ENOBUFS, and no value since.
  starved: boolean;
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  const err = new DOMException('The operation was aborted', 'AbortError');
  if (reason !== undefined) Object.defineProperty(err, 'cause', { value: reason });
  return err;
}

const toVoid: Mapper = () => undefined;

function sqeFlags(opts: OpOptions | undefined): number {
  if (opts === undefined) return 0;
  const flags = opts.flags ?? 0;
  if ((flags >>> 0) !== flags || (flags & ~USER_SQE_FLAGS) !== 0) {
    throw new RangeError(`flags may hold IOSQE_FIXED_FILE, IOSQE_IO_DRAIN and IOSQE_ASYNC only (got 0x${Number(flags).toString(16)}); chain() links`);
  }
  return flags | (opts.fixedFile ? IOSQE_FIXED_FILE : 0);
}

// The options an operation's entries are written from, checked before any
// is: a bad one found halfway would leave a linked entry in the SQ.
function checkOptions(opts: OpOptions | undefined): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object') throw new TypeError('options must be an object');
  const { signal, keep } = opts;
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function')) {
    throw new TypeError('signal must be an AbortSignal');
  }
  if (keep !== undefined && !Array.isArray(keep)) throw new TypeError('keep must be an array of what to hold until the final CQE');
}

/** A ring driven by Node's event loop, with a promise per operation. */
export class AsyncRing implements AsyncDisposable {
  /** The ring underneath, for what this layer does not wrap. */
  readonly ring: IoUring;
  private readonly waker: Waker;
  private readonly deferred: boolean;
  // Per slot: the promise's settle functions, the operation's name (for
  // errors), the current generation, and how many CQEs a chain still awaits.
  private readonly resolves: (((v: unknown) => void) | undefined)[] = [];
  private readonly rejects: (((e: unknown) => void) | undefined)[] = [];
  private readonly names: string[] = [];
  private readonly gens: number[] = [];
  private readonly aborted: (AbortSignal | undefined)[] = [];
  private readonly hasTimeout: boolean[] = [];
  // A linked timeout's __kernel_timespec, made when the operation started.
  private readonly timespecs: (Uint8Array | undefined)[] = [];
  private readonly chainLens: number[] = [];
  private readonly chainDone: number[] = [];
  private readonly listeners: ((() => void) | undefined)[] = [];
  private readonly chains: (number[] | undefined)[] = [];
  private readonly maps: (Mapper | undefined)[] = [];
  private readonly sqeFlagsOf: number[] = [];
  // Zero-copy sends: the result CQE's res while the notification is awaited
  // (NaN before the result CQE).
  private readonly zcRes: number[] = [];
  private readonly streams: (Stream | undefined)[] = [];
  private readonly free: number[] = [];
  // CQEs the kernel may still post for what is in flight: kept at or under
  // the CQ size so the CQ never overflows.
  private expected = 0;
  private readonly cqLimit: number;
  private inflight = 0;
  private readonly backlog: Waiting[] = [];
  private flushQueued = false;
  private closing: Promise<void> | null = null;
  // Set the moment close() is called, before it submits its cancels.
  private closed = false;
  private readonly flushFn = () => this.flush();
  private inbox: MultishotIterator<RingMessage> | null = null;
  private readonly early: RingMessage[] = [];
  private readonly pools = new Set<BufferPool>();
  private readonly freeGroups: number[] = [];
  private nextGroup = 0;

  constructor(options: AsyncRingOptions = {}) {
    const { entries = 256, waker = 'auto', ...ringOptions } = options;
    this.ring = new IoUring(entries, ringOptions);
    this.deferred = (this.ring.flags & IORING_SETUP_DEFER_TASKRUN) !== 0;
    this.cqLimit = this.ring.cqEntries;
    try {
      this.waker = createWaker(this.ring, () => this.onWake(), waker);
    } catch (err) {
      this.ring.close();
      throw err;
    }
    this.newSlot(); // slot 0: the library's own entries
  }

  /** Operations started and not yet settled (multishot operations included). */
  get pending(): number {
    return this.inflight + this.backlog.length;
  }

  // ------------------------------------------------------------- operations

  /** IORING_OP_NOP: resolves with 0. */
  nop(opts?: OpOptions): Promise<number> {
    return this.start('nop', [prepNop], opts);
  }

  /** IORING_OP_READ: pread(2) into `buf` (all of it, or `length` bytes); resolves with the byte count. `offset` -1 reads at the file position. */
  read(fd: number, buf: ArrayBufferView, offset = -1, opts?: OpOptions & { length?: number }): Promise<number> {
    const n = opts?.length ?? buf?.byteLength;
    return this.start('read', [(sqe) => prepRead(sqe, fd, buf, n, offset)], opts);
  }

  /** IORING_OP_WRITE: pwrite(2) from `buf`; resolves with the byte count. */
  write(fd: number, buf: ArrayBufferView, offset = -1, opts?: OpOptions & { length?: number }): Promise<number> {
    const n = opts?.length ?? buf?.byteLength;
    return this.start('write', [(sqe) => prepWrite(sqe, fd, buf, n, offset)], opts);
  }

  /** IORING_OP_READV: preadv(2) into `bufs`; resolves with the byte count. */
  readv(fd: number, bufs: readonly ArrayBufferView[], offset = -1, opts?: OpOptions): Promise<number> {
    return this.start('readv', [(sqe) => prepReadv(sqe, fd, bufs, offset)], opts);
  }

  /** IORING_OP_WRITEV: pwritev(2) from `bufs`; resolves with the byte count. */
  writev(fd: number, bufs: readonly ArrayBufferView[], offset = -1, opts?: OpOptions): Promise<number> {
    return this.start('writev', [(sqe) => prepWritev(sqe, fd, bufs, offset)], opts);
  }

  /** IORING_OP_FSYNC: fsync(2), or fdatasync(2) with `{ datasync: true }`. */
  fsync(fd: number, opts?: OpOptions & { datasync?: boolean }): Promise<void> {
    return this.start('fsync', [(sqe) => prepFsync(sqe, fd, opts?.datasync ? 1 : 0)], opts, toVoid);
  }

  /** IORING_OP_FALLOCATE: fallocate(2) of `len` bytes at `offset`, FALLOC_FL_* `mode` (0 allocates). */
  fallocate(fd: number, mode: number, offset: number, len: number, opts?: OpOptions): Promise<void> {
    return this.start('fallocate', [(sqe) => prepFallocate(sqe, fd, mode, offset, len)], opts, toVoid);
  }

  /** IORING_OP_FTRUNCATE: ftruncate(2) to `len` bytes. Linux 6.9. */
  ftruncate(fd: number, len: number, opts?: OpOptions): Promise<void> {
    return this.start('ftruncate', [(sqe) => prepFtruncate(sqe, fd, len)], opts, toVoid);
  }

  /**
   * IORING_OP_OPENAT: openat(2) of `path` relative to `dfd` (AT_FDCWD or a
   * directory fd) with O_* `flags` (node:fs `constants`) and `mode`;
   * resolves with the new fd (O_CLOEXEC is the caller's to ask for).
   */
  openat(dfd: number, path: string | Uint8Array, flags = 0, mode = 0o666, opts?: OpOptions): Promise<number> {
    return this.start('openat', [(sqe) => prepOpenat(sqe, dfd, path, flags, mode)], opts);
  }

  /** IORING_OP_OPENAT2: openat2(2) with an open_how (`{ flags, mode, resolve }`); resolves with the new fd. */
  openat2(dfd: number, path: string | Uint8Array, how: OpenHow | Uint8Array, opts?: OpOptions): Promise<number> {
    return this.start('openat2', [(sqe) => prepOpenat2(sqe, dfd, path, how)], opts);
  }

  /**
   * With an fd: IORING_OP_CLOSE, close(2) of `fd` (a registered slot with
   * `fixedFile`). With no argument: closes this ring (see below). An
   * argument that is not an fd throws TypeError: it never closes the ring.
   */
  close(fd: number, opts?: OpOptions): Promise<void>;
  /**
   * Cancels everything in flight and waits for the kernel to let go of it:
   * each pending promise rejects with a "closed" IoUringError (ECANCELED)
   * after its final CQE, each iterator throws it; then the ring's fd and
   * memory are released. A second close returns the first's promise.
   */
  close(): Promise<void>;
  close(...args: [number?, OpOptions?]): Promise<void> {
    if (args.length === 0) return this.closeRing();
    const [fd, opts] = args;
    // A registered slot is closed by IORING_OP_CLOSE with file_index set
    // (io_uring_prep_close_direct), not with IOSQE_FIXED_FILE, which the
    // kernel refuses for CLOSE.
    if (opts?.fixedFile) return this.start('close', [(sqe) => prepCloseDirect(sqe, fd!)], { ...opts, fixedFile: false }, toVoid);
    return this.start('close', [(sqe) => prepClose(sqe, fd!)], opts, toVoid);
  }

  /**
   * IORING_OP_STATX: statx(2) of `path` relative to `dfd` (with
   * AT_EMPTY_PATH and '' the file `dfd` itself); resolves with the decoded
   * struct statx. `mask` the STATX_* fields wanted.
   */
  statx(dfd: number, path: string | Uint8Array, flags = 0, mask = STATX_BASIC_STATS | STATX_BTIME, opts?: OpOptions): Promise<Statx> {
    let buf: Uint8Array | undefined;
    return this.start('statx', [(sqe) => (buf = prepStatx(sqe, dfd, path, flags, mask))], opts, () => decodeStatx(buf!));
  }

  /** IORING_OP_UNLINKAT: unlinkat(2); AT_REMOVEDIR in `flags` removes a directory. */
  unlinkat(dfd: number, path: string | Uint8Array, flags = 0, opts?: OpOptions): Promise<void> {
    return this.start('unlinkat', [(sqe) => prepUnlinkat(sqe, dfd, path, flags)], opts, toVoid);
  }

  /** IORING_OP_RENAMEAT: renameat2(2), RENAME_* `flags`. */
  renameat(olddfd: number, oldpath: string | Uint8Array, newdfd: number, newpath: string | Uint8Array, flags = 0, opts?: OpOptions): Promise<void> {
    return this.start('renameat', [(sqe) => prepRenameat(sqe, olddfd, oldpath, newdfd, newpath, flags)], opts, toVoid);
  }

  /** IORING_OP_MKDIRAT: mkdirat(2). */
  mkdirat(dfd: number, path: string | Uint8Array, mode = 0o777, opts?: OpOptions): Promise<void> {
    return this.start('mkdirat', [(sqe) => prepMkdirat(sqe, dfd, path, mode)], opts, toVoid);
  }

  /** IORING_OP_SYMLINKAT: symlinkat(2), a link at `linkpath` (relative to `newdirfd`) to `target`. */
  symlinkat(target: string | Uint8Array, newdirfd: number, linkpath: string | Uint8Array, opts?: OpOptions): Promise<void> {
    return this.start('symlinkat', [(sqe) => prepSymlinkat(sqe, target, newdirfd, linkpath)], opts, toVoid);
  }

  /** IORING_OP_LINKAT: linkat(2); AT_SYMLINK_FOLLOW in `flags`. */
  linkat(olddfd: number, oldpath: string | Uint8Array, newdfd: number, newpath: string | Uint8Array, flags = 0, opts?: OpOptions): Promise<void> {
    return this.start('linkat', [(sqe) => prepLinkat(sqe, olddfd, oldpath, newdfd, newpath, flags)], opts, toVoid);
  }

  /** IORING_OP_SPLICE: splice(2) of up to `nbytes` (one side a pipe; offsets -1 for none); resolves with the byte count. */
  splice(fdIn: number, offIn: number, fdOut: number, offOut: number, nbytes: number, spliceFlags = 0, opts?: OpOptions): Promise<number> {
    return this.start('splice', [(sqe) => prepSplice(sqe, fdIn, offIn, fdOut, offOut, nbytes, spliceFlags)], opts);
  }

  /** IORING_OP_TEE: tee(2) between two pipes; resolves with the byte count. */
  tee(fdIn: number, fdOut: number, nbytes: number, spliceFlags = 0, opts?: OpOptions): Promise<number> {
    return this.start('tee', [(sqe) => prepTee(sqe, fdIn, fdOut, nbytes, spliceFlags)], opts);
  }

  /** IORING_OP_SOCKET: socket(2); resolves with the new fd. */
  socket(domain: number, type: number, protocol = 0, opts?: OpOptions): Promise<number> {
    return this.start('socket', [(sqe) => prepSocket(sqe, domain, type, protocol)], opts);
  }

  /** IORING_OP_BIND: bind(2) to `{ address, port }`, `{ path }` or raw sockaddr bytes. Linux 6.11. */
  bind(fd: number, addr: SockaddrInit, opts?: OpOptions): Promise<void> {
    return this.start('bind', [(sqe) => prepBind(sqe, fd, addr)], opts, toVoid);
  }

  /** IORING_OP_LISTEN: listen(2). Linux 6.11. */
  listen(fd: number, backlog: number, opts?: OpOptions): Promise<void> {
    return this.start('listen', [(sqe) => prepListen(sqe, fd, backlog)], opts, toVoid);
  }

  /** IORING_OP_ACCEPT: accept4(2) with SOCK_* `flags`; resolves with the connection's fd. */
  accept(fd: number, flags = 0, opts?: OpOptions): Promise<number> {
    return this.start('accept', [(sqe) => prepAccept(sqe, fd, null, null, flags)], opts);
  }

  /** IORING_OP_CONNECT: connect(2) to `{ address, port }`, `{ path }` or raw sockaddr bytes. */
  connect(fd: number, addr: SockaddrInit, opts?: OpOptions): Promise<void> {
    return this.start('connect', [(sqe) => prepConnect(sqe, fd, addr)], opts, toVoid);
  }

  /** IORING_OP_SEND: send(2) of `buf` (or `length` bytes of it), MSG_* `flags`; resolves with the byte count. */
  send(fd: number, buf: ArrayBufferView, flags = 0, opts?: OpOptions & { length?: number }): Promise<number> {
    const n = opts?.length ?? buf?.byteLength;
    return this.start('send', [(sqe) => prepSend(sqe, fd, buf, n, flags)], opts);
  }

  /** IORING_OP_RECV: recv(2) into `buf`; resolves with the byte count (0 at end of stream). */
  recv(fd: number, buf: ArrayBufferView, flags = 0, opts?: OpOptions & { length?: number }): Promise<number> {
    const n = opts?.length ?? buf?.byteLength;
    return this.start('recv', [(sqe) => prepRecv(sqe, fd, buf, n, flags)], opts);
  }

  /** IORING_OP_SENDMSG: sendmsg(2) of a Msghdr or `{ name?, iov, control? }`; resolves with the byte count. */
  sendmsg(fd: number, msg: Msghdr | MsghdrInit, flags = 0, opts?: OpOptions): Promise<number> {
    return this.start('sendmsg', [(sqe) => prepSendmsg(sqe, fd, msg, flags)], opts);
  }

  /**
   * IORING_OP_RECVMSG: recvmsg(2) into a Msghdr (its namelen, controllen
   * and flags are the kernel's after) or `{ name?, iov, control? }`;
   * resolves with the byte count.
   */
  recvmsg(fd: number, msg: Msghdr | MsghdrInit, flags = 0, opts?: OpOptions): Promise<number> {
    return this.start('recvmsg', [(sqe) => prepRecvmsg(sqe, fd, msg, flags)], opts);
  }

  /**
   * IORING_OP_SEND_ZC: a zero-copy send of `buf`. Resolves with the byte
   * count only once the kernel has released the buffer (the notification
   * CQE), so `buf` may be reused when the promise settles. Linux 6.0.
   */
  sendZc(fd: number, buf: ArrayBufferView, flags = 0, opts?: OpOptions & { length?: number; zcFlags?: number }): Promise<number> {
    const n = opts?.length ?? buf?.byteLength;
    return this.start('sendZc', [(sqe) => prepSendZc(sqe, fd, buf, n, flags, opts?.zcFlags ?? 0)], opts, undefined, true);
  }

  /** IORING_OP_SHUTDOWN: shutdown(2), SHUT_RD / SHUT_WR / SHUT_RDWR. */
  shutdown(fd: number, how: number, opts?: OpOptions): Promise<void> {
    return this.start('shutdown', [(sqe) => prepShutdown(sqe, fd, how)], opts, toVoid);
  }

  /** IORING_OP_POLL_ADD: waits until `fd` has one of the POLL* events in `mask`; resolves with the events it has. */
  poll(fd: number, mask: number, opts?: OpOptions): Promise<number> {
    return this.start('poll', [(sqe) => prepPollAdd(sqe, fd, mask)], opts);
  }

  /**
   * IORING_OP_TIMEOUT: resolves (with 0) once `ms` (or { sec, nsec }) has
   * passed; the kernel's -ETIME is the expected outcome, not an error.
   */
  timeout(ms: Timeout, opts?: OpOptions): Promise<number> {
    return this.start('timeout', [(sqe) => prepTimeout(sqe, ms)], opts).catch((err: unknown) => {
      if (err instanceof IoUringError && err.errno === -ETIME) return 0;
      throw err;
    });
  }

  /**
   * IORING_OP_FUTEX_WAIT: waits while the futex word in `futex` (its first
   * 1, 2, 4 or 8 bytes per FUTEX2_SIZE_* in `futexFlags`) equals `val`,
   * until a futexWake (from this ring, another, or a thread) wakes it.
   * Rejects with EAGAIN when the word differs already. Linux 6.7.
   */
  futexWait(futex: ArrayBufferView, val: number | bigint, opts?: OpOptions & { mask?: number | bigint; futexFlags?: number }): Promise<void> {
    const mask = opts?.mask ?? FUTEX_BITSET_MATCH_ANY;
    const ff = opts?.futexFlags ?? FUTEX2_SIZE_U32;
    return this.start('futexWait', [(sqe) => prepFutexWait(sqe, futex, val, mask, ff)], opts, toVoid);
  }

  /** IORING_OP_FUTEX_WAKE: wakes up to `count` waiters on `futex`; resolves with how many it woke. Linux 6.7. */
  futexWake(futex: ArrayBufferView, count = 1, opts?: OpOptions & { mask?: number | bigint; futexFlags?: number }): Promise<number> {
    const mask = opts?.mask ?? FUTEX_BITSET_MATCH_ANY;
    const ff = opts?.futexFlags ?? FUTEX2_SIZE_U32;
    return this.start('futexWake', [(sqe) => prepFutexWake(sqe, futex, count, mask, ff)], opts);
  }

  /**
   * IORING_OP_WAITID: waitid(2) for a child (P_PID, P_PIDFD, P_PGID, P_ALL
   * with W* `options`, WEXITED at least); resolves with its siginfo
   * (`pid`, `status`, `code`...). Linux 6.7.
   */
  waitid(idtype: number, id: number, options: number, opts?: OpOptions): Promise<Siginfo> {
    let info: ArrayBufferView | undefined;
    return this.start('waitid', [(sqe) => (info = prepWaitid(sqe, idtype, id, undefined, options))], opts, () => readSiginfo(info!));
  }

  /**
   * IORING_OP_MSG_RING: posts a CQE to another ring. To an AsyncRing (or
   * its `messageTarget`, from another thread), `data` (an integer from 0 to
   * 2^52 - 3) and `len` arrive through its messages() iterator. To an
   * IoUring or a ring fd, the CQE carries `data` as its user_data and `len`
   * as its res, as they are. Resolves once posted. Linux 5.18.
   */
  msgRing(target: AsyncRing | MessageTarget | IoUring | number, data: number | bigint, opts?: OpOptions & { len?: number }): Promise<void> {
    let fd: number;
    let ud: number | bigint = data;
    if (target instanceof AsyncRing || (typeof target === 'object' && target !== null && 'asyncRingFd' in target)) {
      if (typeof data !== 'number' || !Number.isInteger(data) || data < 0 || data > MSG_MAX) {
        return Promise.reject(new RangeError(`data must be an integer from 0 to ${MSG_MAX} (got ${data})`));
      }
      fd = target instanceof AsyncRing ? target.ring.fd : target.asyncRingFd;
      ud = MSG_BASE + data;
    } else {
      fd = target instanceof IoUring ? target.fd : target;
    }
    const len = opts?.len ?? 0;
    return this.start('msgRing', [(sqe) => prepMsgRing(sqe, fd, len, ud)], opts, toVoid);
  }

  /** What another thread's AsyncRing passes to msgRing to reach messages() here. */
  get messageTarget(): MessageTarget {
    return { asyncRingFd: this.ring.fd };
  }

  /**
   * Messages other rings posted here with msgRing, in order. Messages that
   * arrive while nobody iterates are kept for the next iteration. While a
   * loop waits on it, the process stays alive. One loop at a time.
   */
  messages(): AsyncIterableIterator<RingMessage> {
    if (this.inbox !== null && !this.inbox.returned) throw new TypeError('messages() is already being iterated');
    const it = new MultishotIterator<RingMessage>(() => {
      if (this.inbox === it) {
        this.inbox = null;
        it.end(null);
        this.scheduleFlush();
      }
    }, () => {});
    this.inbox = it;
    for (const m of this.early.splice(0)) it.push(m);
    if (this.closed) it.end(null);
    else this.scheduleFlush(); // the flush's reap arms the waker for it
    return it;
  }

  /**
   * Any encoder as an awaited operation: `prep` fills the SQE (user_data is
   * the ring's), `keep` names memory to hold until the final CQE. Resolves
   * with the CQE's res; a negative res rejects with IoUringError whose
   * syscall is `name`.
   */
  run(prep: Prep, opts?: OpOptions & { name?: string }): Promise<number> {
    if (typeof prep !== 'function') return Promise.reject(new TypeError('run needs an encoder: a function that fills the SQE it is given'));
    return this.start(opts?.name ?? 'io_uring op', [prep], opts);
  }

  /**
   * Several operations as one IOSQE_IO_LINK chain: each starts when the one
   * before it succeeded. Resolves with every res in order, failures as
   * -errno: after the first failure the rest are -ECANCELED. Rejects only for
   * a bad argument or a closed ring. `opts.signal` cancels the chain;
   * `fixedFile` and `flags` are the encoders' to set, entry by entry.
   */
  chain(preps: readonly Prep[], opts?: Omit<OpOptions, 'fixedFile' | 'flags'>): Promise<number[]> {
    if (!Array.isArray(preps) || preps.length === 0) return Promise.reject(new TypeError('chain needs a non-empty array of encoders'));
    for (let i = 0; i < preps.length; i++) {
      if (typeof preps[i] !== 'function') return Promise.reject(new TypeError(`chain needs encoders: entry ${i} is not a function`));
    }
    if (preps.length > MAX_CHAIN || preps.length + 3 > this.ring.sqEntries) {
      return Promise.reject(new RangeError(`a chain has at most ${Math.min(MAX_CHAIN, this.ring.sqEntries - 3)} entries here (got ${preps.length})`));
    }
    return this.start('chain', [...preps], opts, undefined, false, true);
  }

  // ------------------------------------------------------------- multishot

  /**
   * Multishot accept (IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT): one
   * connection fd per iteration, as they arrive. Leaving the loop cancels
   * it (accepted fds never handed out are closed). Linux 5.19.
   */
  acceptMultishot(fd: number, flags = 0, opts?: MultishotOptions): AsyncIterableIterator<number> {
    return this.startStream<number>('acceptMultishot', [(sqe) => prepMultishotAccept(sqe, fd, null, null, flags)], opts, {
      value: (res) => (res >= 0 ? res : undefined),
      rearm: true,
      discard: (v) => closeQuietly(v),
      pool: null,
    });
  }

  /**
   * Multishot poll (IORING_POLL_ADD_MULTI): the POLL* events of `fd` each
   * time it becomes ready for one in `mask`. Linux 5.13.
   */
  pollMultishot(fd: number, mask: number, opts?: MultishotOptions): AsyncIterableIterator<number> {
    return this.startStream<number>('pollMultishot', [(sqe) => prepPollMultishot(sqe, fd, mask)], opts, {
      value: (res) => (res >= 0 ? res : undefined),
      rearm: true,
      discard: () => {},
      pool: null,
    });
  }

  /**
   * A multishot timeout (IORING_TIMEOUT_MULTISHOT): yields 1, 2, 3... every
   * `ms` (or { sec, nsec }), `count` times (0, the default: until the loop
   * is left). Linux 6.4.
   */
  timeoutMultishot(ms: Timeout, opts?: MultishotOptions & { count?: number }): AsyncIterableIterator<number> {
    let ticks = 0;
    const count = opts?.count ?? 0;
    // Re-armed (when the kernel stopped it for a full CQ) with the ticks left.
    return this.startStream<number>('timeoutMultishot', [(sqe) => prepTimeout(sqe, ms, count === 0 ? 0 : count - ticks, IORING_TIMEOUT_MULTISHOT)], opts, {
      value: (res) => (res === -ETIME ? ++ticks : undefined),
      rearm: true,
      finished: () => count !== 0 && ticks >= count,
      discard: () => {},
      pool: null,
    });
  }

  /**
   * Multishot receive (IORING_OP_RECV with IORING_RECV_MULTISHOT) into
   * provided buffers: a Chunk per receive, whose `data` is valid until its
   * `release()`, which hands the buffer back. Ends at end of stream. When
   * the buffers run out (every one held by the consumer), the kernel stops
   * the receive with ENOBUFS and it re-arms itself once one is released.
   * Linux 6.0.
   */
  recvMultishot(fd: number, flags = 0, opts?: ReceiveOptions): AsyncIterableIterator<Chunk> {
    return this.startReceive('recvMultishot', opts, (sqe, bgid) => {
      prepRecvMultishot(sqe, fd, null, 0, flags);
      sqe.flags |= IOSQE_BUFFER_SELECT;
      sqe.bufIndex = bgid; // buf_group
    });
  }

  /**
   * Multishot read (IORING_OP_READ_MULTISHOT) of a pipe, socket or other
   * pollable fd into provided buffers: a Chunk per read, as recvMultishot.
   * Linux 6.7.
   */
  readMultishot(fd: number, opts?: ReceiveOptions): AsyncIterableIterator<Chunk> {
    return this.startReceive('readMultishot', opts, (sqe, bgid) => prepReadMultishot(sqe, fd, 0, -1, bgid));
  }

  /**
   * A pool of `count` (a power of two) provided buffers of `size` bytes, as
   * one buffer group, to share between recvMultishot and readMultishot
   * operations. It lives until this ring closes.
   */
  bufferPool(options: { size?: number; count?: number } = {}): BufferPool {
    if (this.closed) throw new IoUringError(ECANCELED, 'bufferPool', undefined, 'the AsyncRing is closed');
    const size = options.size ?? 16384;
    const count = options.count ?? 16;
    if (!Number.isInteger(size) || size < 1 || size > 2 ** 31) throw new RangeError(`size must be an integer from 1 to 2^31 (got ${size})`);
    const bgid = this.freeGroups.pop() ?? this.nextGroup++;
    if (bgid > 0xffff) throw new RangeError('every buffer group id is taken');
    let pool: BufferPool;
    try {
      pool = new BufferPool(this.ring, bgid, size, count, (g) => {
        this.pools.delete(pool);
        this.freeGroups.push(g);
      });
    } catch (err) {
      this.freeGroups.push(bgid);
      throw err;
    }
    this.pools.add(pool);
    return pool;
  }

  private startReceive(name: string, opts: ReceiveOptions | undefined, prep: (sqe: Sqe, bgid: number) => void): AsyncIterableIterator<Chunk> {
    let pool = opts?.pool;
    const own = pool === undefined;
    if (pool !== undefined) {
      if (!(pool instanceof BufferPool) || !this.pools.has(pool)) return failedIterator(new TypeError('pool must be a BufferPool of this AsyncRing'));
    } else {
      try {
        pool = this.bufferPool({ size: opts?.bufferSize, count: opts?.buffers });
      } catch (err) {
        return failedIterator(err);
      }
    }
    const p = pool;
    return this.startStream<Chunk>(name, [(sqe) => prep(sqe, p.bgid)], opts, {
      value: (res, flags) => {
        if (!(flags & IORING_CQE_F_BUFFER)) return undefined;
        const chunk = p.take(flags >>> IORING_CQE_BUFFER_SHIFT, res > 0 ? res : 0);
        if (res > 0) return chunk;
        chunk.release(); // a buffer with nothing in it: straight back
        return undefined;
      },
      rearm: true,
      discard: (c) => c.release(),
      pool: p,
      ownPool: own,
    });
  }

  private startStream<T>(
    name: string, preps: Prep[], opts: MultishotOptions | undefined,
    how: {
      value: (res: number, flags: number) => T | undefined; rearm: boolean; finished?: () => boolean;
      discard: (v: T) => void; pool: BufferPool | null; ownPool?: boolean;
    },
  ): AsyncIterableIterator<T> {
    if ((opts as OpOptions | undefined)?.timeout !== undefined) {
      if (how.ownPool) how.pool!.free();
      return failedIterator(new TypeError('a multishot operation takes no linked timeout (it would end it); use signal'));
    }
    let slot = -1;
    const it = new MultishotIterator<T>(() => {
      if (slot >= 0) this.stopStream(slot);
    }, how.discard);
    const stream: Stream = {
      it: it as MultishotIterator<unknown>,
      value: how.value,
      rearm: how.rearm,
      finished: how.finished,
      preps,
      opts,
      pool: how.pool,
      ownPool: how.ownPool ?? false,
      sawMore: false,
      starved: false,
    };
    if (how.pool !== null) how.pool.users++;
    const r = this.begin(name, preps, opts, undefined, false, false, stream);
    if (typeof r === 'number') slot = r;
    else {
      this.endPool(stream);
      it.end(r);
    }
    return it;
  }

  // The consumer left the loop: cancel in the kernel, or, if the operation
  // is parked waiting for buffers or room, end it here.
  private stopStream(slot: number): void {
    const st = this.streams[slot];
    if (st === undefined || this.closed) return;
    const w = this.backlog.findIndex((x) => x.slot === slot);
    if (w >= 0) {
      this.backlog.splice(w, 1);
      this.finishStream(slot, st, null);
      return;
    }
    if (this.parked.get(slot) === st) {
      this.parked.delete(slot);
      this.finishStream(slot, st, null);
      return;
    }
    this.cancelSlot(slot);
  }

  // Streams whose operation ended with ENOBUFS, waiting for a buffer, by slot.
  private readonly parked = new Map<number, Stream>();

  // --------------------------------------------------------------- engine

  private start<T = number>(name: string, preps: Prep[], opts: OpOptions | undefined, map?: Mapper, zc = false, isChain = false): Promise<T> {
    const r = this.begin(name, preps, opts, map, zc, isChain, undefined);
    if (typeof r !== 'number') return Promise.reject(r);
    const p = this.made!;
    this.made = null;
    return p as Promise<T>;
  }

  // The promise begin() made, taken by start() (it may have settled already).
  private made: Promise<unknown> | null = null;

  // Starts an operation in a fresh slot; returns the slot, or the error
  // that refused it before anything reached the ring.
  private begin(name: string, preps: Prep[], opts: OpOptions | undefined, map: Mapper | undefined, zc: boolean, isChain: boolean, stream: Stream | undefined): number | unknown {
    if (this.closed) return new IoUringError(ECANCELED, name, undefined, 'the AsyncRing is closed');
    let flags: number;
    let timespec: Uint8Array | undefined;
    try {
      checkOptions(opts);
      flags = sqeFlags(opts);
      if (opts?.timeout !== undefined) timespec = makeTimespec(opts.timeout);
    } catch (err) {
      return err;
    }
    const signal = opts?.signal;
    if (signal?.aborted) return abortError(signal);
    const slot = this.free.pop() ?? this.newSlot();
    this.names[slot] = name;
    this.hasTimeout[slot] = opts?.timeout !== undefined;
    this.timespecs[slot] = timespec;
    this.chainLens[slot] = preps.length;
    this.chainDone[slot] = 0;
    this.aborted[slot] = undefined;
    this.chains[slot] = isChain ? [] : undefined;
    this.maps[slot] = map;
    this.sqeFlagsOf[slot] = flags;
    this.zcRes[slot] = zc ? NaN : 0;
    this.streams[slot] = stream;
    if (stream === undefined) {
      this.made = new Promise<unknown>((resolve, reject) => {
        this.resolves[slot] = resolve;
        this.rejects[slot] = reject;
      });
    }
    // Watch the signal before issuing: an encoder that throws settles the
    // slot at once, and settle() must find the listener to remove.
    if (signal !== undefined) this.watch(slot, signal);
    this.enqueue(slot, preps, opts);
    return slot;
  }

  private enqueue(slot: number, preps: Prep[], opts: OpOptions | undefined): void {
    if (this.backlog.length > 0 || !this.fits(this.need(slot, preps.length, opts))) {
      this.backlog.push({ slot, preps, opts });
    } else {
      this.issue(slot, preps, opts);
    }
    this.scheduleFlush();
  }

  // CQEs an operation may post: one per entry, a linked timeout's, and a
  // zero-copy send's notification.
  private need(slot: number, entries: number, opts: OpOptions | undefined): number {
    return entries + (opts?.timeout !== undefined ? 1 : 0) + (Number.isNaN(this.zcRes[slot]) ? 1 : 0);
  }

  private live(slot: number): boolean {
    return this.resolves[slot] !== undefined || this.streams[slot] !== undefined;
  }

  private newSlot(): number {
    const slot = this.gens.length;
    if (slot >= SLOT_SPAN) throw new RangeError(`more than ${SLOT_SPAN - 1} operations pending`);
    this.gens.push(0);
    this.resolves.push(undefined);
    this.rejects.push(undefined);
    this.names.push('');
    this.aborted.push(undefined);
    this.hasTimeout.push(false);
    this.timespecs.push(undefined);
    this.chainLens.push(0);
    this.chainDone.push(0);
    this.listeners.push(undefined);
    this.chains.push(undefined);
    this.maps.push(undefined);
    this.sqeFlagsOf.push(0);
    this.zcRes.push(0);
    this.streams.push(undefined);
    return slot;
  }

  private userData(slot: number, position = 0): number {
    return (this.gens[slot]! * MAX_CHAIN + position) * SLOT_SPAN + slot;
  }

  // Room for `need` more SQEs, and for their CQEs in the CQ, with two of
  // each held back for the doorbell waker's POLL_ADD and WRITE.
  private fits(need: number): boolean {
    return this.expected + need + 2 <= this.cqLimit && this.ring.sqSpaceLeft() >= need + 2;
  }

  // Arms the waker, counting the CQEs a doorbell's entries will post.
  private arm(): void {
    this.expected += this.waker.arm();
  }

  private issue(slot: number, preps: Prep[], opts: OpOptions | undefined): void {
    const ud = this.userData(slot);
    const n = preps.length;
    const link = opts?.timeout !== undefined;
    const extra = this.sqeFlagsOf[slot]!;
    let failed: unknown = null;
    for (let i = 0; i < n; i++) {
      const sqe = this.ring.getSqe()!;
      try {
        preps[i]!(sqe);
      } catch (err) {
        // The entry stays the NOP getSqe made it, under the library's own
        // user_data; earlier links of a chain become a harmless prefix.
        failed = err;
        sqe.userData = 0;
        for (let j = i + 1; j < n; j++) this.ring.getSqe()!.userData = 0;
        this.expected += n;
        break;
      }
      if (opts?.keep) for (const k of opts.keep) sqe.keep(k);
      sqe.userData = ud + i * SLOT_SPAN;
      if (extra !== 0) sqe.flags |= extra;
      if (i < n - 1 || link) sqe.flags |= IOSQE_IO_LINK;
    }
    if (failed !== null) {
      // The prefix already prepared may run: its CQEs arrive under user_data
      // 0 or under `ud` (then ignored: the slot's generation moves on).
      this.settle(slot, 0, failed);
      return;
    }
    if (link) {
      const t = this.ring.getSqe()!;
      const ts = this.timespecs[slot]!;
      prepRw(IORING_OP_LINK_TIMEOUT, t, -1, addressFor(ts, __kernel_timespec.sizeof, 'timeout'), 1, 0);
      t.keep(ts);
      t.userData = 0;
    }
    this.expected += this.need(slot, n, opts);
    this.inflight++;
  }

  private watch(slot: number, signal: AbortSignal): void {
    const gen = this.gens[slot];
    const onAbort = () => {
      if (this.gens[slot] !== gen || !this.live(slot)) return;
      this.aborted[slot] = signal;
      // Still waiting for room (or for buffers): it is not in the kernel.
      const w = this.backlog.findIndex((x) => x.slot === slot);
      if (w >= 0) {
        this.backlog.splice(w, 1);
        this.settle(slot, 0, abortError(signal));
        return;
      }
      if (this.parked.delete(slot)) {
        this.settle(slot, 0, abortError(signal));
        return;
      }
      this.cancelSlot(slot);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    this.listeners[slot] = () => signal.removeEventListener('abort', onAbort);
  }

  // Cancels every entry of the operation in `slot` (each link of a chain has
  // its own user_data; cancelling the running one fails the rest).
  private cancelSlot(slot: number): void {
    const n = this.chains[slot] !== undefined ? this.chainLens[slot]! : 1;
    for (let i = 0; i < n; i++) this.cancel(this.userData(slot, i));
  }

  // An ASYNC_CANCEL of `ud`; its own CQE is the library's.
  private cancel(ud: number): void {
    if (!this.fits(1)) {
      // The SQ is full of what is being submitted: submit first.
      this.flush();
    }
    const sqe = this.ring.getSqe();
    if (sqe === null) return;
    prepRw(IORING_OP_ASYNC_CANCEL, sqe, -1, ud, 0, 0);
    sqe.rwFlags = IORING_ASYNC_CANCEL_USERDATA | 1; // IORING_ASYNC_CANCEL_ALL: every entry under ud
    sqe.userData = 0;
    this.expected++;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    if (this.flushesThisTurn === 0) setImmediate(this.newTurn);
    if (++this.flushesThisTurn <= FLUSHES_PER_TURN) queueMicrotask(this.flushFn);
    else setImmediate(this.flushFn);
  }

  // Microtask flushes since the loop last turned (see FLUSHES_PER_TURN).
  private flushesThisTurn = 0;
  private readonly newTurn = () => {
    this.flushesThisTurn = 0;
  };

  // Submit what this tick prepared, reap what completed inline, and leave the
  // waker armed while anything is in flight.
  private flush(): void {
    this.flushQueued = false;
    if (this.ring.isClosed) return;
    if (this.ring.sqReady() > 0) {
      if (this.inflight > 0 || this.inbox !== null) this.arm(); // the doorbell rides along with this submit
      this.ring.submit();
    }
    this.reap();
  }

  private onWake(): void {
    if (this.ring.isClosed) return;
    if (this.deferred) this.ring.getEvents();
    this.reap();
  }

  private reap(): void {
    const ring = this.ring;
    for (;;) {
      let n = ring.cqReady();
      if (n === 0) {
        // CQEs the CQ had no room for (a multishot operation's, which are
        // not counted) wait in the kernel's overflow list, and the ring fd
        // stays readable until they are flushed into the CQ.
        if (!ring.cqHasOverflow()) break;
        ring.getEvents();
        n = ring.cqReady();
        if (n === 0) break;
      }
      for (let i = 0; i < n; i++) {
        const cqe = ring.cqeAt(i)!;
        // Above 2^53: nothing this layer issued (a raw msg_ring from elsewhere).
        if (cqe.u32[cqe.w + 1]! >= 0x200000) continue;
        const ud = cqe.userData;
        if (ud === 0 || ud === DOORBELL_POLL_DATA || ud === DOORBELL_WRITE_DATA) {
          this.expected--;
          continue;
        }
        if (ud >= MSG_BASE) {
          this.message({ data: ud - MSG_BASE, len: cqe.res });
          continue;
        }
        const slot = ud & SLOT_MASK;
        const flags = cqe.flags;
        const st = this.streams[slot];
        // A multishot operation's intermediate CQEs were never counted.
        if (!(flags & IORING_CQE_F_MORE) || st === undefined) this.expected--;
        const high = Math.floor(ud / SLOT_SPAN);
        if (Math.floor(high / MAX_CHAIN) !== this.gens[slot] || !this.live(slot)) continue; // stale
        if (st !== undefined) this.streamCqe(slot, st, cqe.res, flags);
        else this.complete(slot, cqe.res, flags, high % MAX_CHAIN);
      }
      ring.cqAdvance(n);
    }
    // Room may have opened for operations that were waiting for it.
    while (this.backlog.length > 0) {
      const w = this.backlog[0]!;
      if (!this.fits(this.need(w.slot, w.preps.length, w.opts))) break;
      this.backlog.shift();
      this.issue(w.slot, w.preps, w.opts);
    }
    this.rearmOrIdle();
    if (ring.sqReady() > 0) this.scheduleFlush();
  }

  // Keep the waker armed while anything is in flight or a messages() loop
  // waits; let the process go otherwise.
  private rearmOrIdle(): void {
    if (this.ring.isClosed) return;
    if (this.inflight > 0 || this.inbox !== null) this.arm();
    else this.waker.disarm();
  }

  private message(m: RingMessage): void {
    if (this.inbox !== null) this.inbox.push(m);
    else this.early.push(m);
  }

  private complete(slot: number, res: number, flags: number, position: number): void {
    const chain = this.chains[slot];
    if (chain !== undefined) {
      chain[position] = res;
      if (++this.chainDone[slot]! < this.chainLens[slot]!) return;
      this.inflight--;
      const aborted = this.aborted[slot];
      if (aborted !== undefined && chain.includes(-ECANCELED)) this.settle(slot, 0, abortError(aborted));
      else if (this.closed && chain.includes(-ECANCELED)) this.settle(slot, 0, this.closedError(slot));
      else this.settle(slot, chain as unknown as number, null);
      return;
    }
    const zc = this.zcRes[slot]!;
    if (flags & IORING_CQE_F_MORE) {
      // A zero-copy send's result; its notification follows.
      if (Number.isNaN(zc)) this.zcRes[slot] = res;
      return;
    }
    if (flags & IORING_CQE_F_NOTIF) {
      res = zc; // the kernel let go of the buffer: settle with the send's result
    } else if (Number.isNaN(zc)) {
      this.expected--; // a zero-copy send that ended without a notification
    }
    this.inflight--;
    if (res >= 0) {
      this.settle(slot, res, null);
      return;
    }
    this.settle(slot, 0, this.failure(slot, res));
  }

  // The error an operation's negative res means, given why it may have ended.
  private failure(slot: number, res: number): unknown {
    const signal = this.aborted[slot];
    if (signal !== undefined && (res === -ECANCELED || res === -EINTR)) return abortError(signal);
    if (res === -ECANCELED && this.closed) return this.closedError(slot);
    if (res === -ECANCELED && this.hasTimeout[slot]) {
      return new IoUringError(-ETIME, this.names[slot]!, undefined, 'the operation was cancelled when its linked timeout expired');
    }
    return new IoUringError(res, this.names[slot]!);
  }

  private streamCqe(slot: number, st: Stream, res: number, flags: number): void {
    const v = st.value(res, flags);
    if (v !== undefined) {
      st.starved = false;
      st.it.push(v);
    }
    if (flags & IORING_CQE_F_MORE) {
      st.sawMore = true;
      return;
    }
    this.inflight--;
    const stopped = st.it.returned || this.aborted[slot] !== undefined || this.closed;
    const wasMultishot = st.sawMore;
    st.sawMore = false;
    if (!stopped && st.rearm && v !== undefined && wasMultishot && !(st.finished?.() ?? false)) {
      // Ended after a value, having been multishot (the kernel stops one
      // whose CQE did not fit the CQ): not the end of the stream. One that
      // ends on its first value is one-shot on this file (a poll of a
      // regular file): re-arming it would spin, so it ends here.
      this.reissue(slot, st);
      return;
    }
    if (!stopped && res === -ENOBUFS && st.pool !== null && !st.starved) {
      // Every buffer is out: go on once the consumer releases one. (Twice
      // in a row with no data between would mean the pool's count is wrong:
      // then it ends with the error rather than spin.)
      st.starved = true;
      this.parked.set(slot, st);
      st.pool.whenAvailable(() => {
        // Only if this stream still waits here: one left or aborted since
        // may have handed the slot to another.
        if (this.parked.get(slot) !== st) return;
        this.parked.delete(slot);
        this.reissue(slot, st);
      });
      return;
    }
    // The end: clean at end of stream, after the consumer left, or after
    // the last tick; thrown for an abort, a close, or the kernel's error.
    let error: unknown = null;
    const signal = this.aborted[slot];
    if (st.it.returned) error = null;
    else if (signal !== undefined) error = abortError(signal);
    else if (res < 0 && v === undefined) error = this.failure(slot, res);
    this.finishStream(slot, st, error);
  }

  private reissue(slot: number, st: Stream): void {
    if (this.closed) {
      this.finishStream(slot, st, this.closedError(slot));
      return;
    }
    this.enqueue(slot, st.preps, st.opts);
  }

  private finishStream(slot: number, st: Stream, error: unknown): void {
    this.streams[slot] = undefined;
    this.release(slot);
    this.endPool(st);
    st.it.end(error);
  }

  private endPool(st: Stream): void {
    if (st.pool === null) return;
    st.pool.users--;
    if (st.ownPool) st.pool.free();
  }

  private closedError(slot: number): IoUringError {
    return new IoUringError(-ECANCELED, this.names[slot]!, undefined, 'the AsyncRing was closed before the operation completed');
  }

  private settle(slot: number, value: number, error: unknown): void {
    const st = this.streams[slot];
    if (st !== undefined) {
      this.finishStream(slot, st, error);
      return;
    }
    const resolve = this.resolves[slot]!;
    const reject = this.rejects[slot]!;
    const map = this.maps[slot];
    this.resolves[slot] = undefined;
    this.rejects[slot] = undefined;
    this.maps[slot] = undefined;
    this.release(slot);
    if (error !== null) reject(error);
    else if (map !== undefined) {
      try {
        resolve(map(value));
      } catch (err) {
        reject(err);
      }
    } else resolve(value);
  }

  // The slot is done: forget its signal, move its generation on, free it.
  private release(slot: number): void {
    this.chains[slot] = undefined;
    this.timespecs[slot] = undefined;
    this.aborted[slot] = undefined;
    const off = this.listeners[slot];
    if (off !== undefined) {
      off();
      this.listeners[slot] = undefined;
    }
    this.gens[slot] = (this.gens[slot]! + 1) % GEN_SPAN;
    this.free.push(slot);
    if (this.inflight === 0 && this.drained !== null) this.drained();
  }

  // Set while close() waits for the last in-flight operation.
  private drained: (() => void) | null = null;

  // ------------------------------------------------------------- lifecycle

  private closeRing(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closed = true;
    this.closing = (async () => {
      for (const w of this.backlog.splice(0)) {
        this.settle(w.slot, 0, new IoUringError(ECANCELED, this.names[w.slot]!, undefined, 'the AsyncRing was closed before the operation started'));
      }
      for (const slot of [...this.parked.keys()]) {
        this.parked.delete(slot);
        this.settle(slot, 0, this.closedError(slot));
      }
      if (this.inbox !== null) {
        this.inbox.end(null);
        this.inbox = null;
      }
      if (this.inflight > 0) {
        // Listen for the last settlement before cancelling: a cancel that
        // finds the SQ full submits at once, and what that reaps may be the
        // last of it (the soak found close() waiting forever for a drain
        // that had already happened).
        const done = new Promise<void>((r) => (this.drained = r));
        for (let slot = 1; slot < this.gens.length; slot++) {
          if (this.live(slot)) this.cancelSlot(slot);
        }
        this.flush();
        await done;
      }
      // The ring fd may be closed only after libuv let go of its watcher.
      await this.waker.close();
      this.ring.close();
    })();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.closeRing();
  }

  /** What `util.inspect(io)` shows: this layer's counts, then the ring's snapshot. */
  [inspect.custom](depth: number, options: InspectOptionsStylized, inspectFn: typeof inspect): string {
    if (depth < 0) return options.stylize('[AsyncRing]', 'special');
    const state = {
      pending: this.pending,
      inFlight: this.inflight,
      waitingForRoom: this.backlog.length,
      expectedCqes: this.expected,
      waker: this.waker.kind,
      closed: this.closed,
      ring: this.ring.snapshot(),
    };
    return `AsyncRing ${inspectFn(state, { ...options, depth: options.depth === null ? null : (options.depth ?? 2) + 1 })}`;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already gone: nothing to leak.
  }
}

// An iterator that throws `err` on its first next(): how a multishot
// operation refused before it started reports it.
function failedIterator<T>(err: unknown): AsyncIterableIterator<T> {
  const it = new MultishotIterator<T>(() => {}, () => {});
  it.end(err);
  return it;
}

export { BufferPool, Chunk, MultishotIterator };
