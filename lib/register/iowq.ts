// The io-wq worker pool that runs requests which can't complete inline:
// its CPU affinity (IORING_REGISTER_IOWQ_AFF) and its size
// (IORING_REGISTER_IOWQ_MAX_WORKERS).
//
// Throws an IoUringError (syscall 'io_uring_register', the detail naming the
// liburing call) where liburing would return -errno.

import { checkIntRange } from '../check.ts';
import type { IoUring } from '../ring/io-uring.ts';
import { IORING_REGISTER_IOWQ_AFF, IORING_REGISTER_IOWQ_MAX_WORKERS, IORING_UNREGISTER_IOWQ_AFF } from '../uapi/constants.ts';
import { registerCall } from './syscall.ts';

/**
 * io_uring_register_iowq_aff(3): pins the io-wq workers of the calling
 * thread (or, on an SQPOLL ring, of the SQ thread) to the CPUs numbered in
 * `cpus`; they must be allowed by the thread's cpuset (EINVAL otherwise), and
 * numbers past the kernel's CPU count are dropped. The list becomes a
 * `cpu_set_t` bitmask. Workers already running keep their CPUs; new ones
 * take these. The io-wq is per thread, shared by its rings: the setting
 * reaches all of them.
 * Differs from liburing: a list of CPUs, not a cpu_set_t and size.
 * @since Linux 5.14
 * @see io_uring_register_iowq_aff(3)
 */
export function registerIowqAff(ring: IoUring, cpus: readonly number[]): void {
  if (!Array.isArray(cpus) || cpus.length === 0) throw new RangeError('cpus must be a non-empty array of CPU numbers');
  let max = 0;
  for (let i = 0; i < cpus.length; i++) {
    checkIntRange(cpus[i]!, 0, 0xfffff, `cpus[${i}]`);
    max = Math.max(max, cpus[i]!);
  }
  // glibc's cpu_set_t is 1024 bits; more CPUs need a larger mask (the kernel
  // reads at most its own cpumask size), in whole 64-bit words.
  const bytes = Math.max(128, Math.ceil((max + 1) / 64) * 8);
  const mask = new Uint8Array(new ArrayBuffer(bytes));
  for (const c of cpus) mask[c >>> 3]! |= 1 << (c & 7);
  registerCall(ring, IORING_REGISTER_IOWQ_AFF, mask, bytes, 'register_iowq_aff');
}

/**
 * io_uring_unregister_iowq_aff(3): lets the io-wq workers run on every CPU
 * the thread may use again.
 * @since Linux 5.14
 * @see io_uring_unregister_iowq_aff(3)
 */
export function unregisterIowqAff(ring: IoUring): void {
  registerCall(ring, IORING_UNREGISTER_IOWQ_AFF, null, 0, 'unregister_iowq_aff');
}

/**
 * io_uring_register_iowq_max_workers(3): caps the io-wq workers of each kind
 * ([bounded, unbounded]: IO_WQ_BOUND for regular file and block I/O,
 * IO_WQ_UNBOUND for the rest); 0 leaves a cap unchanged, so [0, 0] only reads
 * them. Returns the caps in force before the call (as [0, 0] if this thread
 * has no io-wq yet). The caps apply to every thread that uses the ring.
 * @since Linux 5.15
 * @see io_uring_register_iowq_max_workers(3)
 */
export function registerIowqMaxWorkers(ring: IoUring, values: readonly [number, number]): [number, number] {
  if (!Array.isArray(values) || values.length !== 2) throw new TypeError('values must be [bounded, unbounded]');
  checkIntRange(values[0], 0, 0x7fffffff, 'values[0] (bounded)');
  checkIntRange(values[1], 0, 0x7fffffff, 'values[1] (unbounded)');
  const v = new Uint32Array([values[0], values[1]]);
  registerCall(ring, IORING_REGISTER_IOWQ_MAX_WORKERS, v, 2, 'register_iowq_max_workers');
  return [v[0]!, v[1]!];
}
