// AsyncRing: io_uring inside Node's event loop, a promise per operation.
// The named operations are here, each one encoder and its arguments handed
// to LoopRing (loop-ring.ts, and the files it lists), which owns the slots,
// the submits, the reaping and the lifetimes; what an operation resolves
// with is its res, or what a mapper makes of it (undefined, a decoded statx,
// a siginfo).

import { closeSync } from 'node:fs';
import { IoUringError } from '../errors.ts';
import { IoUring } from '../ring/io-uring.ts';
import type { Timeout } from '../ring/timespec.ts';
import { prepFsync, prepNop, prepRead, prepReadv, prepWrite, prepWritev } from '../prep/rw.ts';
import { prepTimeout } from '../prep/timeout.ts';
import {
  decodeStatx, prepFallocate, prepFtruncate, prepLinkat, prepMkdirat, prepRenameat, prepStatx, prepSymlinkat,
  prepUnlinkat, type Statx,
} from '../prep/fs.ts';
import { STATX_BASIC_STATS, STATX_BTIME } from '../uapi/fs.ts';
import { prepClose, prepCloseDirect, prepOpenat, prepOpenat2, type OpenHow } from '../prep/open.ts';
import { prepSplice, prepTee } from '../prep/splice.ts';
import { prepAccept, prepBind, prepConnect, prepListen, prepMultishotAccept, prepShutdown, prepSocket } from '../prep/socket.ts';
import { prepRecv, prepRecvMultishot, prepRecvmsg, prepSend, prepSendmsg, prepSendZc } from '../prep/send-recv.ts';
import type { SockaddrInit } from '../prep/sockaddr.ts';
import type { Msghdr, MsghdrInit } from '../prep/msg.ts';
import { prepPollAdd, prepPollMultishot } from '../prep/poll.ts';
import { prepFutexWait, prepFutexWake } from '../prep/futex.ts';
import { FUTEX2_SIZE_U32, FUTEX_BITSET_MATCH_ANY } from '../uapi/futex.ts';
import { prepWaitid, readSiginfo, type Siginfo } from '../prep/waitid.ts';
import { prepMsgRing } from '../prep/msg-ring.ts';
import { prepReadMultishot } from '../prep/buffers.ts';
import { IORING_TIMEOUT_MULTISHOT, IOSQE_BUFFER_SELECT } from '../uapi/constants.ts';
import { BufferPool, Chunk, MultishotIterator } from './multishot.ts';
import { LoopRing } from './loop-ring.ts';
import type { AsyncRingOptions, Mapper, MultishotOptions, OpOptions, Prep, RingMessage } from './options.ts';
import { FILE_INDEX, ZC, type Done } from './slots.ts';
import { RECV_CAP, failedIterator, type ReceiveOptions } from './streams.ts';
import { TARGET_OPEN, TARGET_SENDERS } from './close.ts';
import { MAX_CHAIN, MSG_MAX, messageData } from './user-data.ts';
import { ERRNO } from '../errno.ts';

const { ETIME, EBADF } = ERRNO;

export type { AsyncRingOptions, MultishotOptions, OpOptions, Prep, ReceiveOptions, RingMessage };

/**
 * Where msgRing delivers to an AsyncRing's messages(): a plain object, so it
 * can be posted to a worker_thread (ring fds are the process's, and any
 * thread may post to any ring).
 */
export interface MessageTarget {
  /** The receiving ring's fd. */
  readonly asyncRingFd: number;
  /**
   * Shared with the ring: says whether it still takes messages, and holds
   * its fd open while a send is under way (so the fd's number can't be
   * reused by another ring meanwhile).
   */
  readonly cell: SharedArrayBuffer;
}

// The mappers: made once, so an operation with one allocates nothing more.
const toVoid: Mapper = () => undefined;
const toStatx: Mapper = (_res, buf) => decodeStatx(buf as Uint8Array);
const toSiginfo: Mapper = (_res, info) => readSiginfo(info as ArrayBufferView);

// futexWait/futexWake's options, read once; a throwing getter becomes the
// rejection rather than a synchronous throw.
function futexOptions(opts: { mask?: number | bigint; futexFlags?: number } | undefined): { mask: number | bigint; ff: number } | Error {
  try {
    return { mask: opts?.mask ?? FUTEX_BITSET_MATCH_ANY, ff: opts?.futexFlags ?? FUTEX2_SIZE_U32 };
  } catch (err) {
    return err instanceof Error ? err : new TypeError(String(err));
  }
}

/**
 * A ring driven by Node's event loop, with a promise per operation. Every
 * method that returns a promise rejects, never throws, whatever its
 * arguments; every method that returns an iterator returns one, and its
 * first next() throws the refusal. (bufferPool, which returns a pool,
 * throws.) A ring dropped without close() is closed once collected, which
 * it can be only while nothing is in flight.
 */
export class AsyncRing extends LoopRing {
  /** IORING_OP_NOP: resolves with 0. */
  nop(opts?: OpOptions): Promise<number> {
    return this.op('nop', undefined, undefined, 0, opts, undefined, prepNop);
  }

  /** IORING_OP_READ: pread(2) into `buf` (all of it, or `length` bytes); resolves with the byte count. `offset` -1 reads at the file position. */
  read(fd: number, buf: ArrayBufferView, offset = -1, opts?: OpOptions & { length?: number }): Promise<number> {
    let n: number | undefined;
    try {
      n = opts?.length ?? lengthOf(buf);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.op('read', fd, undefined, 0, opts, undefined, prepRead, fd, buf, n, offset);
  }

  /** IORING_OP_WRITE: pwrite(2) from `buf`; resolves with the byte count. */
  write(fd: number, buf: ArrayBufferView, offset = -1, opts?: OpOptions & { length?: number }): Promise<number> {
    let n: number | undefined;
    try {
      n = opts?.length ?? lengthOf(buf);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.op('write', fd, undefined, 0, opts, undefined, prepWrite, fd, buf, n, offset);
  }

  /** IORING_OP_READV: preadv(2) into `bufs`; resolves with the byte count. */
  readv(fd: number, bufs: readonly ArrayBufferView[], offset = -1, opts?: OpOptions): Promise<number> {
    return this.op('readv', fd, undefined, 0, opts, undefined, prepReadv, fd, bufs, offset);
  }

  /** IORING_OP_WRITEV: pwritev(2) from `bufs`; resolves with the byte count. */
  writev(fd: number, bufs: readonly ArrayBufferView[], offset = -1, opts?: OpOptions): Promise<number> {
    return this.op('writev', fd, undefined, 0, opts, undefined, prepWritev, fd, bufs, offset);
  }

  /** IORING_OP_FSYNC: fsync(2), or fdatasync(2) with `{ datasync: true }`. */
  fsync(fd: number, opts?: OpOptions & { datasync?: boolean }): Promise<void> {
    let datasync: number;
    try {
      datasync = opts?.datasync ? 1 : 0;
    } catch (err) {
      return Promise.reject(err);
    }
    return this.op('fsync', fd, undefined, 0, opts, toVoid, prepFsync, fd, datasync);
  }

  /** IORING_OP_FALLOCATE: fallocate(2) of `len` bytes at `offset`, FALLOC_FL_* `mode` (0 allocates). */
  fallocate(fd: number, mode: number, offset: number, len: number, opts?: OpOptions): Promise<void> {
    return this.op('fallocate', fd, undefined, 0, opts, toVoid, prepFallocate, fd, mode, offset, len);
  }

  /** IORING_OP_FTRUNCATE: ftruncate(2) to `len` bytes. Linux 6.9. */
  ftruncate(fd: number, len: number, opts?: OpOptions): Promise<void> {
    return this.op('ftruncate', fd, undefined, 0, opts, toVoid, prepFtruncate, fd, len);
  }

  /**
   * IORING_OP_OPENAT: openat(2) of `path` relative to `dfd` (AT_FDCWD or a
   * directory fd) with O_* `flags` (exported by this package, O_CLOEXEC
   * too; node:fs `constants` lacks it) and `mode`; resolves with the new fd
   * (O_CLOEXEC is the caller's to ask for).
   */
  openat(dfd: number, path: string | Uint8Array, flags = 0, mode = 0o666, opts?: OpOptions): Promise<number> {
    return this.op('openat', path, undefined, 0, opts, undefined, prepOpenat, dfd, path, flags, mode);
  }

  /** IORING_OP_OPENAT2: openat2(2) with an open_how (`{ flags, mode, resolve }`); resolves with the new fd. */
  openat2(dfd: number, path: string | Uint8Array, how: OpenHow | Uint8Array, opts?: OpOptions): Promise<number> {
    return this.op('openat2', path, undefined, 0, opts, undefined, prepOpenat2, dfd, path, how);
  }

  /**
   * IORING_OP_CLOSE: close(2) of `fd`; with `fixedFile`, of the registered
   * file slot `fd` (io_uring_prep_close_direct). Not to be confused with
   * close(), which shuts this ring.
   */
  closeFd(fd: number, opts?: OpOptions): Promise<void> {
    // A registered slot is closed by IORING_OP_CLOSE with file_index set
    // (io_uring_prep_close_direct), not with IOSQE_FIXED_FILE, which the
    // kernel refuses for CLOSE.
    let direct: OpOptions | undefined;
    try {
      if (opts?.fixedFile) direct = { ...opts, fixedFile: false };
    } catch (err) {
      return Promise.reject(err);
    }
    if (direct !== undefined) return this.op('close', fd, FILE_INDEX, 0, direct, toVoid, prepCloseDirect, fd);
    return this.op('close', fd, undefined, 0, opts, toVoid, prepClose, fd);
  }

  /**
   * Shuts this ring: cancels everything in flight and waits for the kernel
   * to let go of it: each pending promise rejects with a "closed"
   * IoUringError (ECANCELED) after its final CQE, each iterator throws it;
   * then the ring's fd and memory are released. A second close returns the
   * first's promise. It takes no argument: given one (an fd meant for
   * closeFd) it rejects with a TypeError and leaves the ring open.
   */
  close(): Promise<void>;
  close(...args: unknown[]): Promise<void> {
    if (args.length !== 0) return Promise.reject(new TypeError('close() shuts the ring and takes no argument; closeFd(fd) closes a file descriptor'));
    return this.closeRing();
  }

  /**
   * IORING_OP_STATX: statx(2) of `path` relative to `dfd` (with
   * AT_EMPTY_PATH and '' the file `dfd` itself); resolves with the decoded
   * struct statx. `mask` the STATX_* fields wanted.
   */
  statx(dfd: number, path: string | Uint8Array, flags = 0, mask = STATX_BASIC_STATS | STATX_BTIME, opts?: OpOptions): Promise<Statx> {
    return this.op('statx', pathOrDfd(dfd, path), undefined, 0, opts, toStatx, prepStatx, dfd, path, flags, mask);
  }

  /** IORING_OP_UNLINKAT: unlinkat(2); AT_REMOVEDIR in `flags` removes a directory. */
  unlinkat(dfd: number, path: string | Uint8Array, flags = 0, opts?: OpOptions): Promise<void> {
    return this.op('unlinkat', path, undefined, 0, opts, toVoid, prepUnlinkat, dfd, path, flags);
  }

  /** IORING_OP_RENAMEAT: renameat2(2), RENAME_* `flags`. */
  renameat(olddfd: number, oldpath: string | Uint8Array, newdfd: number, newpath: string | Uint8Array, flags = 0, opts?: OpOptions): Promise<void> {
    return this.op('renameat', oldpath, newpath, 0, opts, toVoid, prepRenameat, olddfd, oldpath, newdfd, newpath, flags);
  }

  /** IORING_OP_MKDIRAT: mkdirat(2). */
  mkdirat(dfd: number, path: string | Uint8Array, mode = 0o777, opts?: OpOptions): Promise<void> {
    return this.op('mkdirat', path, undefined, 0, opts, toVoid, prepMkdirat, dfd, path, mode);
  }

  /** IORING_OP_SYMLINKAT: symlinkat(2), a link at `linkpath` (relative to `newdirfd`) to `target`. */
  symlinkat(target: string | Uint8Array, newdirfd: number, linkpath: string | Uint8Array, opts?: OpOptions): Promise<void> {
    return this.op('symlinkat', target, linkpath, 0, opts, toVoid, prepSymlinkat, target, newdirfd, linkpath);
  }

  /** IORING_OP_LINKAT: linkat(2); AT_SYMLINK_FOLLOW in `flags`. */
  linkat(olddfd: number, oldpath: string | Uint8Array, newdfd: number, newpath: string | Uint8Array, flags = 0, opts?: OpOptions): Promise<void> {
    return this.op('linkat', pathOrDfd(olddfd, oldpath), newpath, 0, opts, toVoid, prepLinkat, olddfd, oldpath, newdfd, newpath, flags);
  }

  /** IORING_OP_SPLICE: splice(2) of up to `nbytes` (one side a pipe; offsets -1 for none); resolves with the byte count. */
  splice(fdIn: number, offIn: number, fdOut: number, offOut: number, nbytes: number, spliceFlags = 0, opts?: OpOptions): Promise<number> {
    return this.op('splice', fdIn, fdOut, 0, opts, undefined, prepSplice, fdIn, offIn, fdOut, offOut, nbytes, spliceFlags);
  }

  /** IORING_OP_TEE: tee(2) between two pipes; resolves with the byte count. */
  tee(fdIn: number, fdOut: number, nbytes: number, spliceFlags = 0, opts?: OpOptions): Promise<number> {
    return this.op('tee', fdIn, fdOut, 0, opts, undefined, prepTee, fdIn, fdOut, nbytes, spliceFlags);
  }

  /** IORING_OP_SOCKET: socket(2); resolves with the new fd. */
  socket(domain: number, type: number, protocol = 0, opts?: OpOptions): Promise<number> {
    return this.op('socket', undefined, undefined, 0, opts, undefined, prepSocket, domain, type, protocol);
  }

  /** IORING_OP_BIND: bind(2) to `{ address, port }`, `{ path }` or raw sockaddr bytes. Linux 6.11. */
  bind(fd: number, addr: SockaddrInit, opts?: OpOptions): Promise<void> {
    return this.op('bind', fd, undefined, 0, opts, toVoid, prepBind, fd, addr);
  }

  /** IORING_OP_LISTEN: listen(2). Linux 6.11. */
  listen(fd: number, backlog: number, opts?: OpOptions): Promise<void> {
    return this.op('listen', fd, undefined, 0, opts, toVoid, prepListen, fd, backlog);
  }

  /** IORING_OP_ACCEPT: accept4(2) with SOCK_* `flags`; resolves with the connection's fd. */
  accept(fd: number, flags = 0, opts?: OpOptions): Promise<number> {
    return this.op('accept', fd, undefined, 0, opts, undefined, prepAccept, fd, null, null, flags);
  }

  /** IORING_OP_CONNECT: connect(2) to `{ address, port }`, `{ path }` or raw sockaddr bytes. */
  connect(fd: number, addr: SockaddrInit, opts?: OpOptions): Promise<void> {
    return this.op('connect', fd, undefined, 0, opts, toVoid, prepConnect, fd, addr);
  }

  /** IORING_OP_SEND: send(2) of `buf` (or `length` bytes of it), MSG_* `flags`; resolves with the byte count. */
  send(fd: number, buf: ArrayBufferView, flags = 0, opts?: OpOptions & { length?: number }): Promise<number> {
    let n: number | undefined;
    try {
      n = opts?.length ?? lengthOf(buf);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.op('send', fd, undefined, 0, opts, undefined, prepSend, fd, buf, n, flags);
  }

  /**
   * @internal send() of `length` bytes that calls `done(error, bytes)` when
   * it ends, in place of a promise (tsuring/net's writes). Every failure
   * reaches `done`, after this returns; only a `done` that is not a function
   * throws (a TypeError, as Node's callback APIs do).
   */
  sendWith(fd: number, buf: ArrayBufferView, flags: number, length: number, done: Done): void {
    if (typeof done !== 'function') throw new TypeError(`done must be a function (got ${typeof done})`);
    this.opCallback('send', fd, done, prepSend, fd, buf, length, flags);
  }

  /** IORING_OP_RECV: recv(2) into `buf`; resolves with the byte count (0 at end of stream). */
  recv(fd: number, buf: ArrayBufferView, flags = 0, opts?: OpOptions & { length?: number }): Promise<number> {
    let n: number | undefined;
    try {
      n = opts?.length ?? lengthOf(buf);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.op('recv', fd, undefined, 0, opts, undefined, prepRecv, fd, buf, n, flags);
  }

  /** IORING_OP_SENDMSG: sendmsg(2) of a Msghdr or `{ name?, iov, control? }`; resolves with the byte count. */
  sendmsg(fd: number, msg: Msghdr | MsghdrInit, flags = 0, opts?: OpOptions): Promise<number> {
    return this.op('sendmsg', fd, undefined, 0, opts, undefined, prepSendmsg, fd, msg, flags);
  }

  /**
   * IORING_OP_RECVMSG: recvmsg(2) into a Msghdr (its namelen, controllen
   * and flags are the kernel's after) or `{ name?, iov, control? }`;
   * resolves with the byte count.
   */
  recvmsg(fd: number, msg: Msghdr | MsghdrInit, flags = 0, opts?: OpOptions): Promise<number> {
    return this.op('recvmsg', fd, undefined, 0, opts, undefined, prepRecvmsg, fd, msg, flags);
  }

  /**
   * IORING_OP_SEND_ZC: a zero-copy send of `buf`. Resolves with the byte
   * count only once the kernel has released the buffer (the notification
   * CQE), so `buf` may be reused when the promise settles. Linux 6.0.
   */
  sendZc(fd: number, buf: ArrayBufferView, flags = 0, opts?: OpOptions & { length?: number; zcFlags?: number }): Promise<number> {
    let n: number | undefined;
    let zcFlags: number;
    try {
      n = opts?.length ?? lengthOf(buf);
      zcFlags = opts?.zcFlags ?? 0;
    } catch (err) {
      return Promise.reject(err);
    }
    return this.op('sendZc', fd, undefined, ZC, opts, undefined, prepSendZc, fd, buf, n, flags, zcFlags);
  }

  /** IORING_OP_SHUTDOWN: shutdown(2), SHUT_RD / SHUT_WR / SHUT_RDWR. */
  shutdown(fd: number, how: number, opts?: OpOptions): Promise<void> {
    return this.op('shutdown', fd, undefined, 0, opts, toVoid, prepShutdown, fd, how);
  }

  /** IORING_OP_POLL_ADD: waits until `fd` has one of the POLL* events in `mask`; resolves with the events it has. */
  poll(fd: number, mask: number, opts?: OpOptions): Promise<number> {
    return this.op('poll', fd, undefined, 0, opts, undefined, prepPollAdd, fd, mask);
  }

  /**
   * IORING_OP_TIMEOUT: resolves (with 0) once `ms` (or { sec, nsec }) has
   * passed; the kernel's -ETIME is the expected outcome, not an error.
   */
  timeout(ms: Timeout, opts?: OpOptions): Promise<number> {
    return this.op('timeout', undefined, undefined, 0, opts, undefined, prepTimeout, ms).catch((err: unknown) => {
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
    const o = futexOptions(opts);
    if (o instanceof Error) return Promise.reject(o);
    return this.op('futexWait', undefined, undefined, 0, opts, toVoid, prepFutexWait, futex, val, o.mask, o.ff);
  }

  /** IORING_OP_FUTEX_WAKE: wakes up to `count` waiters on `futex`; resolves with how many it woke. Linux 6.7. */
  futexWake(futex: ArrayBufferView, count = 1, opts?: OpOptions & { mask?: number | bigint; futexFlags?: number }): Promise<number> {
    const o = futexOptions(opts);
    if (o instanceof Error) return Promise.reject(o);
    return this.op('futexWake', undefined, undefined, 0, opts, undefined, prepFutexWake, futex, count, o.mask, o.ff);
  }

  /**
   * IORING_OP_WAITID: waitid(2) for a child (P_PID, P_PIDFD, P_PGID, P_ALL
   * with W* `options`, WEXITED at least); resolves with its siginfo
   * (`pid`, `status`, `code`...). Linux 6.7.
   */
  waitid(idtype: number, id: number, options: number, opts?: OpOptions): Promise<Siginfo> {
    return this.op('waitid', undefined, undefined, 0, opts, toSiginfo, prepWaitid, idtype, id, undefined, options);
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
    let len: number;
    let cell: Int32Array | null = null;
    try {
      if (target instanceof AsyncRing || (typeof target === 'object' && target !== null && 'asyncRingFd' in target)) {
        if (typeof data !== 'number' || !Number.isInteger(data) || data < 0 || data > MSG_MAX) {
          return Promise.reject(new RangeError(`data must be an integer from 0 to ${MSG_MAX} (got ${String(data)})`));
        }
        if (target instanceof AsyncRing) {
          fd = target.ring.fd;
          cell = target.targetCell;
        } else {
          const shared: unknown = target.cell;
          if (!(shared instanceof SharedArrayBuffer) || shared.byteLength !== 8) {
            return Promise.reject(new TypeError("a message target must be an AsyncRing's messageTarget"));
          }
          fd = target.asyncRingFd;
          cell = new Int32Array(shared);
        }
        ud = messageData(data);
      } else {
        fd = target instanceof IoUring ? target.fd : target;
      }
      len = opts?.len ?? 0;
    } catch (err) {
      return Promise.reject(err);
    }
    if (cell === null) return this.op('msgRing', fd, undefined, 0, opts, toVoid, prepMsgRing, fd, len, ud);
    // Counted before the check (both seq-cst): the target's close() either
    // sees this sender and keeps its fd open until the MSG_RING's own CQE,
    // or this sender sees the ring closed.
    const c = cell;
    Atomics.add(c, TARGET_SENDERS, 1);
    if (Atomics.load(c, TARGET_OPEN) !== 1) {
      unsend(c);
      return Promise.reject(new IoUringError(EBADF, 'msgRing', undefined, 'the target AsyncRing is closed', { fd }));
    }
    return this.op('msgRing', fd, undefined, 0, opts, toVoid, prepMsgRing, fd, len, ud).then(
      () => unsend(c),
      (err: unknown) => {
        unsend(c);
        throw err;
      },
    );
  }

  /** What another thread's AsyncRing passes to msgRing to reach messages() here. */
  get messageTarget(): MessageTarget {
    return { asyncRingFd: this.ring.fd, cell: this.targetCell.buffer as SharedArrayBuffer };
  }

  /**
   * Any encoder as an awaited operation: `prep` fills the SQE (user_data is
   * the ring's), `keep` names memory to hold until the final CQE. Resolves
   * with the final CQE's res (the first without IORING_CQE_F_MORE: a
   * multishot operation started this way settles when it ends, a zero-copy
   * send on its notification, whose res is 0); a negative res rejects with
   * IoUringError whose syscall is `name`.
   */
  run(prep: Prep, opts?: OpOptions & { name?: string }): Promise<number> {
    if (typeof prep !== 'function') return Promise.reject(new TypeError('run needs an encoder: a function that fills the SQE it is given'));
    let name: string;
    try {
      name = String(opts?.name ?? 'io_uring op');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.op(name, undefined, undefined, 0, opts, undefined, prep);
  }

  /**
   * Several operations as one IOSQE_IO_LINK chain: each starts when the one
   * before it succeeded. Resolves with every res in order, failures as
   * -errno: after the first failure the rest are -ECANCELED. Rejects only for
   * a bad argument or a closed ring. `opts.signal` cancels the chain;
   * `fixedFile` and `flags` are the encoders' to set, entry by entry.
   */
  chain(preps: readonly Prep[], opts?: Omit<OpOptions, 'fixedFile' | 'flags'>): Promise<number[]> {
    // The encoders as they are now, read once: the array may be a Proxy, or change later.
    let list: Prep[];
    try {
      if (!Array.isArray(preps)) return Promise.reject(new TypeError('chain needs a non-empty array of encoders'));
      list = Array.prototype.slice.call(preps) as Prep[];
    } catch (err) {
      return Promise.reject(err);
    }
    if (list.length === 0) return Promise.reject(new TypeError('chain needs a non-empty array of encoders'));
    for (let i = 0; i < list.length; i++) {
      if (typeof list[i] !== 'function') return Promise.reject(new TypeError(`chain needs encoders: entry ${i} is not a function`));
    }
    if (list.length > MAX_CHAIN || list.length + 3 > this.ring.sqEntries) {
      return Promise.reject(new RangeError(`a chain has at most ${Math.min(MAX_CHAIN, this.ring.sqEntries - 3)} entries here (got ${list.length})`));
    }
    return this.chainOp(list, opts);
  }

  // ------------------------------------------------------------- multishot

  /**
   * Multishot accept (IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT): one
   * connection fd per iteration, as they arrive. Leaving the loop cancels
   * it (accepted fds never handed out are closed). Linux 5.19.
   */
  acceptMultishot(fd: number, flags = 0, opts?: MultishotOptions): AsyncIterableIterator<number> {
    return this.stream<number>('acceptMultishot', [(sqe) => prepMultishotAccept(sqe, fd, null, null, flags)], opts, {
      value: (res) => (res >= 0 ? res : undefined),
      rearm: true,
      discard: (v) => closeQuietly(v),
      pool: null,
      fd,
    });
  }

  /**
   * Multishot poll (IORING_POLL_ADD_MULTI): the POLL* events of `fd` each
   * time it becomes ready for one in `mask`. Linux 5.13.
   */
  pollMultishot(fd: number, mask: number, opts?: MultishotOptions): AsyncIterableIterator<number> {
    return this.stream<number>('pollMultishot', [(sqe) => prepPollMultishot(sqe, fd, mask)], opts, {
      value: (res) => (res >= 0 ? res : undefined),
      rearm: true,
      discard: () => {},
      pool: null,
      fd,
    });
  }

  /**
   * A multishot timeout (IORING_TIMEOUT_MULTISHOT): yields 1, 2, 3... every
   * `ms` (or { sec, nsec }), `count` times (0, the default: until the loop
   * is left). Linux 6.4.
   */
  timeoutMultishot(ms: Timeout, opts?: MultishotOptions & { count?: number }): AsyncIterableIterator<number> {
    let ticks = 0;
    let count: number;
    try {
      count = opts?.count ?? 0;
    } catch (err) {
      return failedIterator(err);
    }
    // Re-armed (when the kernel stopped it for a full CQ) with the ticks left.
    return this.stream<number>('timeoutMultishot', [(sqe) => prepTimeout(sqe, ms, count === 0 ? 0 : count - ticks, IORING_TIMEOUT_MULTISHOT)], opts, {
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
    return this.startReceive('recvMultishot', fd, opts, (sqe, bgid, cap) => {
      prepRecvMultishot(sqe, fd, null, 0, flags);
      sqe.flags |= IOSQE_BUFFER_SELECT;
      sqe.bufGroup = bgid;
      if (cap > 0 && RECV_CAP) sqe.optlen = cap; // the arming's total (see RECV_CAP)
    });
  }

  /**
   * Multishot read (IORING_OP_READ_MULTISHOT) of a pipe, socket or other
   * pollable fd into provided buffers: a Chunk per read, as recvMultishot.
   * Linux 6.7.
   */
  readMultishot(fd: number, opts?: ReceiveOptions): AsyncIterableIterator<Chunk> {
    return this.startReceive('readMultishot', fd, opts, (sqe, bgid) => prepReadMultishot(sqe, fd, 0, -1, bgid));
  }
}

// A view's byteLength through the intrinsic getter (a subclass or an own
// property can't change it); undefined for anything that is not a view,
// for the encoder to refuse.
const typedLength = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'byteLength')!.get!;
const dataViewLength = Object.getOwnPropertyDescriptor(DataView.prototype, 'byteLength')!.get!;
function lengthOf(buf: unknown): number | undefined {
  if (!ArrayBuffer.isView(buf)) return undefined;
  return (buf instanceof DataView ? dataViewLength : typedLength).call(buf) as number;
}

// What a path operation names for its error: the path, or, for an empty
// one (AT_EMPTY_PATH: the operation is on `dfd` itself), the fd. Never
// throws, whatever `path` is: an encoder refuses what is not a path.
function pathOrDfd(dfd: number, path: unknown): unknown {
  try {
    if (path === '' || (ArrayBuffer.isView(path) && (lengthOf(path) === 0 || (path as Uint8Array)[0] === 0))) return dfd;
  } catch {
    // Not a path: the encoder refuses it.
  }
  return path;
}

function unsend(cell: Int32Array): void {
  Atomics.sub(cell, TARGET_SENDERS, 1);
  Atomics.notify(cell, TARGET_SENDERS);
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already gone: nothing to leak.
  }
}

export { BufferPool, Chunk, MultishotIterator };
