// The ring tsuring/fs's own functions run on: one AsyncRing per thread
// (module state is per thread: a worker_thread loads this module afresh),
// made at the first call. An AsyncRing with nothing in flight doesn't keep
// the process alive (its waker is disarmed once idle: see
// lib/async/schedule.ts), so neither does this one. Its file table is
// readFile's and writeFile's (fast.ts). tsuring/net's sockets run on it too.
//
// It is set up with COOP_TASKRUN and TASKRUN_FLAG: a receive that becomes
// ready while this thread runs JavaScript queues its completion without an
// inter-processor interrupt to stop it, and the completion is posted at the
// thread's next system call (a sleeping thread is still woken). Without
// them, a busy echo server spent 13% of its CPU returning from those
// interrupts (perf, 100 connections). Where the kernel lacks them (before
// 5.19), or where the waker can't watch such a ring, it is set up without.

import { AsyncRing } from '../async/async-ring.ts';
import { IORING_SETUP_COOP_TASKRUN, IORING_SETUP_TASKRUN_FLAG } from '../uapi/constants.ts';
import { IoUringError } from '../errors.ts';
import { ERRNO } from '../errno.ts';
import { enableChains } from './fast.ts';

let ring: AsyncRing | null = null;

function make(): AsyncRing {
  try {
    return new AsyncRing({ flags: IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG });
  } catch (err) {
    // EINVAL from io_uring_setup (an older kernel), or the doorbell waker's
    // TypeError (koffi without node.poll): the plain ring then.
    if (!(err instanceof TypeError) && !(err instanceof IoUringError && err.errno === -ERRNO.EINVAL)) throw err;
    return new AsyncRing({});
  }
}

/** This thread's ring for tsuring/fs, made at first use. */
export function defaultRing(): AsyncRing {
  if (ring === null) {
    ring = make();
    enableChains(ring);
  }
  return ring;
}
