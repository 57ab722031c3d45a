// A ring's fd when its worker_thread ends. A worker's fds are the process's,
// so a ring a worker never closed (it was terminated, or it ended without
// close()) kept its fd open for the life of the process. Node closes the fds
// of the worker's own handles (sockets, pipes) while it tears the worker
// down, before the worker's memory is freed and whether or not any
// JavaScript can still run (worker.terminate() runs none: no 'exit' event).
// So in a worker the ring fd's number is handed to a net.Socket that is never
// read or written: Node refuses an io_uring fd for a Socket, so the Socket is
// made on a pipe at that number, and the ring is put back under it with
// dup3(2). Closing the socket closes the ring fd; close() does that itself.

import { Socket } from 'node:net';
import { isMainThread } from 'node:worker_threads';
import * as ffi from '../../ffi/index.ts';
import { ERRNO } from '../errno.ts';
import { O_CLOEXEC } from '../uapi/fs.ts';

const owners = new Map<number, Socket>();

// That close must end the ring: the kernel kills a ring at the last close of
// its file, cancelling what it can and stopping an SQPOLL thread from
// submitting more, and Node frees the worker's memory only after. Anything
// else that holds the ring file keeps the ring going past that point: a
// mapping of the ring fd (memory: 'mmap', IOU_PBUF_RING_MMAP) for the life of
// the process, a registered ring fd (IORING_REGISTER_RING_FDS) until the
// thread has exited, after its heap is gone. Seen: with rings kept alive that
// way, terminated workers' freed heap got the bytes of the file they had been
// reading (glibc's "corrupted double-linked list", a free chunk's links
// overwritten with them), 3 runs in 70 under CPU load, none in 75 since. In
// a worker_thread such things are refused, the ring fd is not registered,
// and a ring whose fd can't be handed to Node is not made.

/** True in a worker_thread: the ring may hold nothing that outlives its fd. */
export const inWorker = !isMainThread;

/** Why a worker_thread refuses what would keep its ring alive past its fd. */
export const WORKER_RING_NOTE =
  "in a worker_thread a ring must end when Node closes its fd at the worker's end (worker.terminate() runs no JavaScript), " +
  "and this would keep the ring alive after the worker's memory is freed, with its operations still writing there";

/** Why a worker_thread's ring is not made when its fd can't be handed to a socket. */
export const WORKER_ADOPT_NOTE =
  "in a worker_thread the ring fd is handed to a Node socket, which Node closes at the worker's end (worker.terminate() runs no JavaScript), " +
  'and that failed: without it the ring would outlive the worker and go on writing into its freed memory';

/**
 * A net.Socket that owns fd number `fd`, which still names the same file
 * afterwards: Node closes it when the socket is destroyed or its thread's
 * environment is torn down, with no JavaScript. Node makes Sockets only on
 * pipes, sockets, ttys and files, so the Socket is made on a pipe put at that
 * number, and the file is put back under it with dup3(2); the Socket is made
 * paused, so libuv starts watching the number only once the caller resumes
 * it, when it names the file again. Returns -errno when it can't.
 */
export function socketAt(fd: number, readable: boolean): Socket | number {
  const spare = ffi.dup(fd);
  if (spare < 0) return spare;
  const p = ffi.pipe(O_CLOEXEC);
  if (typeof p === 'number') {
    ffi.close(spare);
    return p;
  }
  // libuv reads only a pipe opened for reading: the read end for a readable socket.
  let socket: Socket | number = ffi.dup3(readable ? p[0] : p[1], fd, O_CLOEXEC);
  if (socket >= 0) {
    try {
      socket = new Socket({ fd, readable, writable: false, pauseOnCreate: true } as ConstructorParameters<typeof Socket>[0]);
    } catch {
      socket = -ERRNO.EINVAL;
    }
  }
  ffi.close(p[0]);
  ffi.close(p[1]);
  // The file again at its own number, now under the socket's handle.
  ffi.dup3(spare, fd, O_CLOEXEC);
  ffi.close(spare);
  return socket;
}

/** In a worker_thread, lets Node close `fd` when the worker ends. 0, or -errno when it can't. */
export function adoptRingFd(fd: number): number {
  if (!inWorker || fd < 0 || owners.has(fd)) return 0;
  const socket = socketAt(fd, false);
  if (typeof socket === 'number') return socket;
  socket.unref();
  owners.set(fd, socket);
  return 0;
}

/** Closes a ring fd, through the socket that owns it where there is one. */
export function closeRingFd(fd: number): number {
  const socket = owners.get(fd);
  if (socket === undefined) return ffi.close(fd);
  owners.delete(fd);
  socket.destroy();
  return 0;
}
