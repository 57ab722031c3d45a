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

/** In a worker_thread, lets Node close `fd` when the worker ends. */
export function adoptRingFd(fd: number): void {
  if (isMainThread || fd < 0 || owners.has(fd)) return;
  const socket = socketAt(fd, false);
  if (typeof socket === 'number') return;
  socket.unref();
  owners.set(fd, socket);
}

/** Closes a ring fd, through the socket that owns it where there is one. */
export function closeRingFd(fd: number): number {
  const socket = owners.get(fd);
  if (socket === undefined) return ffi.close(fd);
  owners.delete(fd);
  socket.destroy();
  return 0;
}
