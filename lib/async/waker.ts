// How completions wake Node's event loop, with no helper thread and no busy
// loop:
//
//  - 'poll': libuv itself watches the ring fd (a uv_poll through koffi's
//    `node.poll`). The ring fd is readable while the CQ holds entries, so a
//    completion wakes the loop in about 4 us; an idle watcher costs nothing.
//    A DEFER_TASKRUN ring posts its CQEs only when its task enters the
//    kernel, so its fd never turns readable by itself (measured on 6.18);
//    there an eventfd registered with the ring (IORING_REGISTER_EVENTFD),
//    which the kernel signals when task work is queued, is watched instead,
//    and the wake handler must call getEvents() to have the CQEs posted.
//  - 'doorbell', the fallback where that API is missing or fails: a POLL_ADD
//    on the ring fd, linked to a one-byte WRITE into a pipe whose read end a
//    net.Socket watches. About 9 us a wake and two SQEs per arming; not for
//    DEFER_TASKRUN or COOP_TASKRUN rings, whose completions need the waiting
//    task to run them.
//  - 'eventfd', the default in a worker_thread: an eventfd registered with
//    the ring (which the kernel signals as CQEs are posted, or on a
//    DEFER_TASKRUN ring when task work is queued), read by a net.Socket that
//    owns its number. libuv's watcher then belongs to a Node handle, which
//    Node closes with no JavaScript when the worker is torn down, terminate()
//    included. koffi's uv_poll is not a Node handle: left open at teardown
//    it aborted the process (its callback, or libuv re-adding the fd that
//    thread-exit.ts's socket owns: two watchers on one number).
//
// Either way the watcher is ref'd (keeps the process alive) only while
// something is in flight: `arm()` when work starts, `disarm()` when none is
// left, so a process with nothing pending exits by itself.

import { readSync } from 'node:fs';
import { Socket } from 'node:net';
import { isMainThread } from 'node:worker_threads';
import { IoUringError } from '../errors.ts';
import { ERRNO } from '../errno.ts';
import * as ffi from '../../ffi/index.ts';
import type { IoUring } from '../ring/io-uring.ts';
import type { Sqe } from '../ring/sqe.ts';
import { prepRw } from '../prep/rw.ts';
import { addressFor } from '../ring/memory.ts';
import { socketAt } from '../ring/thread-exit.ts';
import { O_CLOEXEC, O_NONBLOCK } from '../uapi/fs.ts';
import {
  IORING_OP_POLL_ADD, IORING_OP_WRITE, IORING_REGISTER_EVENTFD, IORING_REGISTER_SYNC_CANCEL, IORING_SETUP_COOP_TASKRUN,
  IORING_SETUP_DEFER_TASKRUN, IORING_UNREGISTER_EVENTFD, IOSQE_IO_LINK,
} from '../uapi/constants.ts';
import { io_uring_sync_cancel_reg } from '../uapi/layout.ts';
import { DOORBELL_POLL_DATA, DOORBELL_WRITE_DATA } from './user-data.ts';

const POLLIN = 0x1;

export interface Waker {
  readonly kind: 'poll' | 'doorbell' | 'eventfd';
  /**
   * Something is in flight: keep the process alive and call `onWake` when
   * the CQ has entries. Call again after each wake while work remains (the
   * doorbell re-arms its POLL_ADD; the poll watcher needs nothing). Returns
   * how many SQEs it queued (each posts a CQE): the doorbell's two, or 0.
   */
  arm(): number;
  /** Nothing is in flight: let the process exit. */
  disarm(): void;
  /**
   * Entries are about to be submitted to a ring that may be in drain mode
   * (an IOSQE_IO_DRAIN entry was issued): a waker whose own entry is in
   * flight in the ring takes it out first, so what is submitted does not
   * wait on it (arm() puts it back behind them).
   */
  beforeDrain(): void;
  /**
   * Stops watching. Resolves once libuv has finished closing its watcher:
   * only then may the watched fd be closed (see closeLater).
   */
  close(): Promise<void>;
}

// libuv finishes closing a poll watcher in the closing phase of the loop,
// after the JS that asked for it, and then drops that fd number from epoll.
// If the fd was closed meanwhile and its number reused by a new ring, the
// new ring's watcher silently stops firing (measured: a hang) or the loop
// touches freed state (a segfault). So a watched fd is closed only after two
// turns of setImmediate: past at least one closing phase.
export function afterClosingPhase(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

// Live poll watchers, stopped when the process exits: an event libuv
// delivers while Node tears the environment down (an eventfd left readable
// by the last getEvents, say) would call into JS too late, and koffi aborts
// the process ("napi_throw", exit code 134).
const livePollers = new Set<PollWaker>();
let exitHook = false;
function stopAllPollers(): void {
  for (const p of livePollers) p.stopForExit();
}

// Whether Node drains the microtask queue after koffi's poll callback
// returns. Node 20 to 24 do; Node 26 does not: the promises a wake settles
// are resolved, but what awaits them runs only when the loop next runs a
// task of its own, which can be seconds away (an AsyncRing waiting on a
// MSG_RING answer sat 8 to 30 s). From Node 26 on, every wake queues an
// immediate, after which Node drains the queue. Before it, this is found out
// at the first wake: a microtask queued there either ran before the check
// phase, or it did not. That probe can't be trusted where Node doesn't
// drain: any other callback of the same loop turn (a socket's data, a
// timer) drains the queue before the check phase too, and a wrong 'ran'
// left every later wake undrained (seen on Node 26: an HTTP server on
// tsuring/net stalled in 9 runs of 15 under load).
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
let checkpoint: 'unknown' | 'ran' | 'missing' = NODE_MAJOR >= 26 ? 'missing' : 'unknown';
let probing = false;
function noop(): void {}
function kickMicrotasks(): void {
  if (checkpoint === 'missing') {
    setImmediate(noop);
    return;
  }
  if (probing) return;
  probing = true;
  let ran = false;
  queueMicrotask(() => {
    ran = true;
  });
  setImmediate(() => {
    checkpoint = ran ? 'ran' : 'missing';
    probing = false;
  });
}

class PollWaker implements Waker {
  readonly kind = 'poll';
  private readonly handle: ffi.PollHandle;
  private armed = true;
  private closed = false;
  private readonly ring: IoUring;
  private readonly efd: number;

  constructor(ring: IoUring, onWake: () => void, poll: ffi.PollFn, efd: number) {
    this.ring = ring;
    this.efd = efd;
    const counter = Buffer.alloc(8);
    // koffi calls back as (status, events); status < 0 is a libuv error,
    // which for a ring fd means it was closed under us: nothing to reap.
    this.handle = poll(efd >= 0 ? efd : ring.fd, { readable: true }, (status: unknown) => {
      if (typeof status === 'number' && status < 0) return;
      if (efd >= 0) {
        try {
          readSync(efd, counter, 0, 8, null); // reset the eventfd's count
        } catch {
          // EAGAIN: already read
        }
      }
      onWake();
      if (checkpoint !== 'ran') kickMicrotasks();
    });
    this.disarm();
    livePollers.add(this);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', stopAllPollers);
    }
  }

  arm(): number {
    if (!this.armed && !this.closed) {
      this.handle.ref?.();
      this.armed = true;
    }
    return 0;
  }

  disarm(): void {
    if (this.armed && !this.closed) {
      this.handle.unref?.();
      this.armed = false;
    }
  }

  /** Nothing of this waker's is in the ring. */
  beforeDrain(): void {}

  close(): Promise<void> {
    // A closed uv handle must not be touched again: ref or unref on one
    // kills the process (SIGSEGV, seen when a disarm came a turn late).
    this.closed = true;
    if (!livePollers.delete(this)) return Promise.resolve();
    this.handle.stop?.();
    this.handle.close?.();
    if (this.efd >= 0 && !this.ring.isClosed) this.ring.registerRaw(IORING_UNREGISTER_EVENTFD, null, 0);
    const efd = this.efd;
    return afterClosingPhase().then(() => {
      if (efd >= 0) ffi.close(efd);
    });
  }

  // At exit there is no later turn: stop the watcher, leave the fds to the OS.
  stopForExit(): void {
    this.closed = true;
    this.handle.stop?.();
  }
}

class DoorbellWaker implements Waker {
  readonly kind = 'doorbell';
  private readonly ring: IoUring;
  private readonly socket: Socket;
  private readonly writeFd: number;
  // The socket owning the write end's number, so that a worker's teardown
  // closes it (null where that couldn't be made: the fd is closed by hand).
  private readonly writeOwner: Socket | null;
  private readonly byte = new Uint8Array(new ArrayBuffer(1));
  private readonly byteAddr = addressFor(this.byte, 1, 'doorbell byte');
  private pending = false; // a POLL_ADD is armed in the kernel
  // struct io_uring_sync_cancel_reg matching the POLL_ADD's user_data, fd -1, timeout { 0, 0 }.
  private readonly cancelArg = new Uint8Array(io_uring_sync_cancel_reg.sizeof);
  private readonly cancelWords = new Uint32Array(this.cancelArg.buffer);
  private refd = false;
  private closed = false;

  constructor(ring: IoUring, onWake: () => void, fds: [number, number]) {
    this.ring = ring;
    new DataView(this.cancelArg.buffer).setInt32(io_uring_sync_cancel_reg.fd, -1, true);
    this.writeFd = fds[1];
    const owner = socketAt(fds[1], false);
    this.writeOwner = typeof owner === 'number' ? null : owner;
    this.writeOwner?.unref();
    this.socket = new Socket({ fd: fds[0], readable: true, writable: false });
    this.socket.on('data', () => {
      this.pending = false;
      onWake();
    });
    this.socket.on('error', () => {});
    this.socket.unref();
  }

  /** Arms the doorbell if it isn't; the caller submits (the entries go with its next submit). */
  arm(): number {
    if (this.closed) return 0;
    if (!this.refd) {
      this.socket.ref();
      this.refd = true;
    }
    if (this.pending) return 0;
    if (this.ring.sqSpaceLeft() < 2) return 0; // the caller's submit makes room; it arms again after
    const poll = this.ring.getSqe()!;
    const write = this.ring.getSqe()!;
    ringPollAdd(poll, this.ring.fd);
    poll.userData = DOORBELL_POLL_DATA;
    prepRw(IORING_OP_WRITE, write, this.writeFd, this.byteAddr, 1, -1);
    write.keep(this.byte);
    write.userData = DOORBELL_WRITE_DATA;
    this.pending = true;
    return 2;
  }

  disarm(): void {
    if (this.refd && !this.closed) {
      this.socket.unref();
      this.refd = false;
    }
  }

  // The armed POLL_ADD completes only when a CQE is posted. An
  // IOSQE_IO_DRAIN entry waits for every request in flight before it, and
  // in drain mode (Linux 6.16+) so does every entry after it: with nothing
  // else to complete, they and the poll waited on each other (seen: an
  // operation never settling on a doorbell ring after a drained one). So the
  // poll (and the WRITE linked to it) is cancelled synchronously, bypassing
  // the SQ, and the next arm() queues a new one after the new entries: the
  // kernel defers it with them, and it fires once a CQE is posted. The
  // cancelled pair still post their CQEs, which reap() takes as the
  // doorbell's.
  beforeDrain(): void {
    if (!this.pending || this.closed) return;
    const u = this.cancelWords;
    u[0] = DOORBELL_POLL_DATA % 2 ** 32;
    u[1] = Math.floor(DOORBELL_POLL_DATA / 2 ** 32);
    try {
      this.ring.registerRaw(IORING_REGISTER_SYNC_CANCEL, this.cancelArg, 1);
      this.pending = false;
    } catch (err) {
      // ETIME/EALREADY: found, and its CQE follows. ENOENT: it already
      // fired, and its byte is on the way. EINVAL: no synchronous cancel
      // (before Linux 6.0).
      const errno = err instanceof IoUringError ? -err.errno : 0;
      if (errno === ERRNO.ETIME || errno === ERRNO.EALREADY) this.pending = false;
    }
  }

  close(): Promise<void> {
    // The socket closes the pipe's read end; libuv drops it from epoll in
    // the closing phase, so nothing here may reuse fd numbers before then.
    this.closed = true;
    this.socket.destroy();
    return afterClosingPhase().then(() => {
      if (this.writeOwner !== null) this.writeOwner.destroy();
      else ffi.close(this.writeFd);
    });
  }
}

class EventfdWaker implements Waker {
  readonly kind = 'eventfd';
  private readonly ring: IoUring;
  private readonly socket: Socket;
  private refd = false;
  private closed = false;

  constructor(ring: IoUring, onWake: () => void, socket: Socket) {
    this.ring = ring;
    this.socket = socket;
    // Each read takes the eventfd's count to 0 (8 bytes), so it turns
    // readable again only for CQEs posted after it: none is missed.
    socket.on('data', onWake);
    socket.on('error', () => {});
    socket.unref();
    socket.resume();
  }

  arm(): number {
    if (!this.refd && !this.closed) {
      this.socket.ref();
      this.refd = true;
    }
    return 0;
  }

  disarm(): void {
    if (this.refd && !this.closed) {
      this.socket.unref();
      this.refd = false;
    }
  }

  /** Nothing of this waker's is in the ring. */
  beforeDrain(): void {}

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    if (!this.ring.isClosed) this.ring.registerRaw(IORING_UNREGISTER_EVENTFD, null, 0);
    this.socket.destroy(); // closes the eventfd
    return afterClosingPhase();
  }
}

// An eventfd registered with `ring`, its number owned by a paused Socket.
function eventfdSocket(ring: IoUring): Socket {
  const efd = ffi.eventfd(0, O_CLOEXEC | O_NONBLOCK); // EFD_CLOEXEC and EFD_NONBLOCK share O_'s values
  if (efd < 0) throw new IoUringError(efd, 'eventfd');
  const socket = socketAt(efd, true);
  if (typeof socket === 'number') {
    ffi.close(efd);
    throw new IoUringError(socket, 'dup', "the eventfd waker's socket");
  }
  try {
    ring.registerRaw(IORING_REGISTER_EVENTFD, new Int32Array([efd]), 1);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return socket;
}

function ringPollAdd(sqe: Sqe, fd: number): void {
  prepRw(IORING_OP_POLL_ADD, sqe, fd, 0, 0, 0);
  sqe.poll32Events = POLLIN;
  sqe.flags = IOSQE_IO_LINK;
}

/**
 * A waker for `ring`: on the main thread the uv_poll watcher where koffi has
 * it (or `prefer` is 'poll'), the doorbell otherwise (or when `prefer` is
 * 'doorbell'); in a worker_thread, or when `prefer` is 'eventfd', the
 * eventfd waker, which is the one a terminated worker's teardown can close.
 * Throws when the doorbell is asked of a ring that can't use it.
 */
export function createWaker(ring: IoUring, onWake: () => void, prefer: 'poll' | 'doorbell' | 'eventfd' | 'auto' = 'auto'): Waker {
  if (prefer === 'eventfd' || (prefer === 'auto' && !isMainThread)) {
    return new EventfdWaker(ring, onWake, eventfdSocket(ring));
  }
  if (prefer === 'poll' && !isMainThread) {
    throw new TypeError("the 'poll' waker can't be used in a worker_thread: its uv_poll is not a Node handle, and the teardown of a terminated worker aborts the process on it; use 'auto' or 'eventfd'");
  }
  const poll = ffi.pollFunction();
  if (prefer !== 'doorbell' && poll !== undefined && ring.fd >= 0) {
    let efd = -1;
    try {
      if (ring.flags & IORING_SETUP_DEFER_TASKRUN) {
        efd = ffi.eventfd(0, O_CLOEXEC | O_NONBLOCK); // EFD_CLOEXEC and EFD_NONBLOCK share O_'s values
        if (efd < 0) throw new IoUringError(efd, 'eventfd');
        ring.registerRaw(IORING_REGISTER_EVENTFD, new Int32Array([efd]), 1);
      }
      return new PollWaker(ring, onWake, poll, efd);
    } catch (err) {
      if (efd >= 0) ffi.close(efd);
      // Out of fds (or memory) the doorbell would fail the same way, and its
      // refusal of a DEFER ring would hide the real cause: report it as is.
      if (prefer === 'poll' || err instanceof IoUringError) throw err;
    }
  } else if (prefer === 'poll') {
    throw new TypeError("this koffi has no node.poll, or the ring has no fd: the 'poll' waker can't be used");
  }
  if (ring.flags & (IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN)) {
    throw new TypeError('the doorbell waker needs a ring without DEFER_TASKRUN or COOP_TASKRUN: their completions run only when the ring is waited on');
  }
  const fds = ffi.pipe(O_CLOEXEC | O_NONBLOCK);
  if (typeof fds === 'number') throw new IoUringError(fds, 'pipe2', 'the doorbell waker\'s pipe');
  return new DoorbellWaker(ring, onWake, fds);
}
