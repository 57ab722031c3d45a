// The ring tsuring/fs's own functions run on: one AsyncRing per thread
// (module state is per thread: a worker_thread loads this module afresh),
// made at the first call. An AsyncRing with nothing in flight doesn't keep
// the process alive (its waker is disarmed once idle: see
// lib/async/schedule.ts), so neither does this one. Its file table is
// readFile's and writeFile's (fast.ts). It is a plain ring: with
// COOP_TASKRUN (which tsuring/net's ring has) the completions io-wq posts
// wait for this thread's next system call, and readFile of small files ran
// at 0.80-0.90 of the plain ring's rate (bench/fs.ts --workload small-files).

import { AsyncRing } from '../async/async-ring.ts';
import { enableChains } from './fast.ts';

let ring: AsyncRing | null = null;

/** This thread's ring for tsuring/fs, made at first use. */
export function defaultRing(): AsyncRing {
  if (ring === null) {
    ring = new AsyncRing({});
    enableChains(ring);
  }
  return ring;
}
