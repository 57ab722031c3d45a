// The clock a ring's wait timeouts are measured on (IORING_REGISTER_CLOCK),
// and the clock ids it takes.
//
// Throws an IoUringError (syscall 'io_uring_register', the detail naming the
// liburing call) where liburing would return -errno.

import { checkU32 } from '../check.ts';
import type { IoUring } from '../ring/io-uring.ts';
import { IORING_REGISTER_CLOCK } from '../uapi/constants.ts';
import { io_uring_clock_register } from '../uapi/layout.ts';
import { registerCall } from './syscall.ts';

/**
 * io_uring_register_clock(3): the clock that the ring's wait timeouts (and
 * IORING_ENTER_ABS_TIMER deadlines) are measured on: CLOCK_MONOTONIC (the
 * default) or CLOCK_BOOTTIME; any other is EINVAL.
 * Differs from liburing: the clock id, not a struct io_uring_clock_register.
 * @since Linux 6.12
 * @see io_uring_register_clock(3)
 */
export function registerClock(ring: IoUring, clockid: number): void {
  checkU32(clockid, 'clockid');
  const buf = new Uint8Array(new ArrayBuffer(io_uring_clock_register.sizeof));
  new DataView(buf.buffer).setUint32(io_uring_clock_register.clockid, clockid, true);
  registerCall(ring, IORING_REGISTER_CLOCK, buf, 0, 'register_clock');
}
