// One error class for every control-plane failure (setup, enter, register,
// mmap), shaped like Node's own system errors (`errno` negative, `code`,
// `syscall`), so `err.code === 'EINVAL'` works as for fs errors. Codes come
// from the library's Linux errno table (lib/errno.ts). A failed completion is
// not an exception at the ring layer: its `res < 0` stays a number in the CQE.

import { errnoName } from './errno.ts';

// What each errno usually means for each syscall, from the man pages
// (io_uring_setup(2), io_uring_enter(2), io_uring_register(2)) and from what
// was measured on real machines.
const CAUSES: Record<string, Record<string, string>> = {
  io_uring_setup: {
    EPERM: 'io_uring is disabled for this process: the sysctl kernel.io_uring_disabled is 2 (or 1 and the user is not in kernel.io_uring_group), or a seccomp filter (such as Docker\'s default profile) blocks it; enable it or run with a profile that allows io_uring_setup',
    ENOSYS: 'this kernel has no io_uring (Linux 5.1 or newer built with CONFIG_IO_URING is needed), or a seccomp filter makes the syscall unknown',
    EOPNOTSUPP: 'a seccomp filter or security module refuses io_uring here',
    ENOMEM: 'the kernel could not allocate the rings: lower the entry count, or raise RLIMIT_MEMLOCK (older kernels account ring memory to it)',
    EINVAL: 'the kernel refused these parameters: an entry count over the maximum without IORING_SETUP_CLAMP, a setup flag this kernel does not know, or flags that do not go together (DEFER_TASKRUN needs SINGLE_ISSUER; SQ_AFF needs SQPOLL)',
    EFAULT: 'the kernel could not read or pin the ring memory handed to it',
    EMFILE: 'the process has no free file descriptor (RLIMIT_NOFILE)',
    ENFILE: 'the system has no free file descriptor',
    EBADF: 'the wq_fd to attach to is not an io_uring fd',
  },
  io_uring_enter: {
    EBADF: 'the ring fd is not open (was the ring closed?)',
    EBUSY: 'the completion queue overflowed and the kernel holds completions back: reap CQEs before submitting more',
    EAGAIN: 'the kernel could not allocate memory for a request right now; reap completions and retry',
    EEXIST: 'the thread that set up a SINGLE_ISSUER / DEFER_TASKRUN ring is the only one that may submit to it or wait on it',
    EINVAL: 'a flag or argument the kernel refused (the ring may still be disabled with IORING_SETUP_R_DISABLED)',
    EFAULT: 'the kernel could not read the wait argument',
    EOPNOTSUPP: 'the fd is not an io_uring, or this operation is not supported by the ring',
    ENXIO: 'the ring is being torn down',
    EBADFD: 'the ring is disabled (IORING_SETUP_R_DISABLED): call enableRings() first',
  },
  io_uring_register: {
    EINVAL: 'the kernel refused the argument or opcode (older kernels do not know newer register opcodes)',
    EBUSY: 'the resource is already registered, or requests using it are in flight',
    EFAULT: 'the kernel could not read the argument memory',
    ENOMEM: 'the kernel could not allocate or pin the memory (RLIMIT_MEMLOCK may be too low)',
    EMFILE: 'too many files: raise RLIMIT_NOFILE',
    EBADFD: 'the ring is not in a state that allows this (enable_rings on an enabled ring?)',
    EOPNOTSUPP: 'this kernel does not support that registration',
    ENXIO: 'nothing of that kind is registered',
    EEXIST: 'already registered',
  },
  eventfd: {
    EMFILE: 'the process has no free file descriptor (RLIMIT_NOFILE): a DEFER_TASKRUN AsyncRing needs one for its eventfd besides the ring fd',
    ENFILE: 'the system has no free file descriptor',
  },
  pipe2: {
    EMFILE: 'the process has no free file descriptor (RLIMIT_NOFILE): the doorbell waker needs two for its pipe besides the ring fd',
    ENFILE: 'the system has no free file descriptor',
  },
  mmap: {
    ENOMEM: 'the address space or RLIMIT_MEMLOCK is exhausted',
    EINVAL: 'the kernel refused the ring mapping (mismatched size or offset)',
  },
};

export class IoUringError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;

  /**
   * `errno` is positive (EINVAL) or negative (-EINVAL, as the ring returns
   * it); `detail` names what was being done; `cause` replaces the usual
   * explanation of the errno where the caller knows better.
   */
  constructor(errno: number, syscall: string, detail?: string, cause?: string) {
    const e = Math.abs(errno);
    const code = errnoName(e);
    cause ??= CAUSES[syscall]?.[code];
    super(`${syscall}${detail ? ` (${detail})` : ''} failed: ${code}${cause ? `: ${cause}` : ''}`);
    this.name = 'IoUringError';
    // Node's system errors carry a negative errno.
    this.errno = -e;
    this.code = code;
    this.syscall = syscall;
  }
}

/** Throws when `r` is a negative errno; returns it otherwise. */
export function check(r: number, syscall: string, detail?: string): number {
  if (r < 0) throw new IoUringError(r, syscall, detail);
  return r;
}
