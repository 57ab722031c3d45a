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

const O_CLOEXEC = 0x80000;
const owners = new Map<number, Socket>();

/** In a worker_thread, lets Node close `fd` when the worker ends. */
export function adoptRingFd(fd: number): void {
  if (isMainThread || fd < 0 || owners.has(fd)) return;
  const spare = ffi.dup(fd);
  if (spare < 0) return;
  const p = ffi.pipe(O_CLOEXEC);
  if (typeof p === 'number') {
    ffi.close(spare);
    return;
  }
  let socket: Socket | null = null;
  if (ffi.dup3(p[1], fd, O_CLOEXEC) >= 0) {
    try {
      socket = new Socket({ fd, readable: false, writable: false });
      socket.unref();
    } catch {
      socket = null;
    }
  }
  ffi.close(p[0]);
  ffi.close(p[1]);
  // The ring again at its own number, now under the socket's handle.
  ffi.dup3(spare, fd, O_CLOEXEC);
  ffi.close(spare);
  if (socket !== null) owners.set(fd, socket);
}

/** Closes a ring fd, through the socket that owns it where there is one. */
export function closeRingFd(fd: number): number {
  const socket = owners.get(fd);
  if (socket === undefined) return ffi.close(fd);
  owners.delete(fd);
  socket.destroy();
  return 0;
}
