// Completion notification through an eventfd: IORING_REGISTER_EVENTFD,
// EVENTFD_ASYNC and UNREGISTER_EVENTFD.
//
// Throws an IoUringError (syscall 'io_uring_register', the detail naming the
// liburing call) where liburing would return -errno.

import { checkFd } from '../check.ts';
import type { IoUring } from '../ring/io-uring.ts';
import { IORING_REGISTER_EVENTFD, IORING_REGISTER_EVENTFD_ASYNC, IORING_UNREGISTER_EVENTFD } from '../uapi/constants.ts';
import { registerCall } from './syscall.ts';

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
