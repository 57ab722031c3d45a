// NAPI busy polling of the network queues a ring's sockets use, while it
// waits for completions (IORING_REGISTER_NAPI, UNREGISTER_NAPI).
//
// Throws an IoUringError (syscall 'io_uring_register', the detail naming the
// liburing call) where liburing would return -errno.

import { checkU32 } from '../check.ts';
import type { IoUring } from '../ring/io-uring.ts';
import { IORING_REGISTER_NAPI, IORING_UNREGISTER_NAPI } from '../uapi/constants.ts';
import { io_uring_napi } from '../uapi/layout.ts';
import { registerCall } from './syscall.ts';

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
 * Differs from liburing: an object; the old settings are returned.
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
 * Differs from liburing: the settings are returned, not filled in.
 * @since Linux 6.9
 * @see io_uring_unregister_napi(3)
 */
export function unregisterNapi(ring: IoUring): Napi {
  const buf = napiArg(undefined);
  registerCall(ring, IORING_UNREGISTER_NAPI, buf, 1, 'unregister_napi');
  return napiOut(buf);
}
