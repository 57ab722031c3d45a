// One error class for every control-plane failure (setup, enter, register,
// mmap), shaped like Node's own system errors (`errno` negative, `code`,
// `syscall`), so `err.code === 'EINVAL'` works as for fs errors. Codes come
// from the library's Linux errno table (lib/errno.ts). A failed completion is
// not an exception at the ring layer: its `res < 0` stays a number in the CQE.
//
// What each errno means is here too, the one home of those words: the ring
// throws with them, and the capability report (lib/debug/, a layer above)
// says with them why io_uring_setup is refused on this machine.

import { getSystemErrorMap } from 'node:util';
import { errnoName } from './errno.ts';

// Why io_uring_setup failed, per errno: every usual cause (IoUringError's
// message, where nothing is known of the process), and, for the errnos whose
// cause the process's state settles, the one that applies given what /proc
// says (the capability report's reason, lib/debug/capabilities.ts). From
// io_uring_setup(2) and Documentation/admin-guide/sysctl/kernel.rst
// (io_uring_disabled, io_uring_group).

/**
 * What /proc says of the process, as far as io_uring_setup's refusals go;
 * lib/debug/environment.ts reads it (its EnvironmentReport is one).
 */
export interface SetupEnvironment {
  /** kernel.io_uring_disabled: 0, 1 or 2; null where the sysctl is absent. */
  ioUringDisabled: number | null;
  /** kernel.io_uring_group: the gid allowed when io_uring_disabled is 1 (-1: none). */
  ioUringGroup: number | null;
  inIoUringGroup: boolean | null;
  capSysAdmin: boolean | null;
  /** The Seccomp: mode of /proc/self/status: 0 none, 1 strict, 2 filter. */
  seccomp: number | null;
  seccompFilters: number | null;
}

/** What settles which cause applies: the process, the kernel release, RLIMIT_MEMLOCK's soft limit in words. */
export interface SetupFacts {
  env: SetupEnvironment;
  release: string;
  memlock: string;
}

interface SetupCause {
  /** Every usual cause of the errno. */
  readonly usual: string;
  /** The one that applies, for the plainest ring (one entry, no flags). */
  readonly here?: (facts: SetupFacts) => string;
}

function releaseBefore(rel: string, major: number, minor: number): boolean {
  const m = rel.match(/^(\d+)\.(\d+)/);
  if (!m) return false;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return a < major || (a === major && b < minor);
}

function seccompWords(env: SetupEnvironment): string {
  const n = env.seccompFilters;
  return `a seccomp filter (Seccomp: 2 in /proc/self/status${n ? `, ${n} filter${n === 1 ? '' : 's'}` : ''})`;
}

const SETUP_CAUSES: Readonly<Record<string, SetupCause>> = {
  EPERM: {
    usual: 'io_uring is disabled for this process: the sysctl kernel.io_uring_disabled is 2 (or 1 and the user is not in kernel.io_uring_group), or a seccomp filter (such as Docker\'s default profile) blocks it; enable it or run with a profile that allows io_uring_setup',
    here: ({ env }) => {
      if (env.ioUringDisabled === 2) {
        return 'io_uring is switched off for every process: the sysctl kernel.io_uring_disabled is 2. '
          + 'An administrator can allow it with `sysctl kernel.io_uring_disabled=0` (or 1, and a group in kernel.io_uring_group).';
      }
      if (env.ioUringDisabled === 1 && env.capSysAdmin !== true && env.inIoUringGroup !== true) {
        const group = env.ioUringGroup === null || env.ioUringGroup < 0 ? 'no group is set (-1)' : `the group is gid ${env.ioUringGroup}`;
        return `io_uring is restricted: the sysctl kernel.io_uring_disabled is 1, so only processes with CAP_SYS_ADMIN or in the group kernel.io_uring_group may create rings; ${group}, and this process is in neither. `
          + 'Add the user to that group, or set kernel.io_uring_disabled to 0.';
      }
      // Docker's default profile has blocked the io_uring syscalls since
      // Docker 25 (moby/moby#46762), containerd's since 2.0 (#9320).
      if (env.seccomp === 2) {
        return `${seccompWords(env)} refuses io_uring_setup with EPERM, as container runtimes' default profiles do (Docker's since Docker 25, containerd's since 2.0); `
          + 'run with a profile that allows io_uring_setup, io_uring_enter and io_uring_register (docker run --security-opt seccomp=<profile.json>).';
      }
      return `io_uring_setup was refused with EPERM, but neither kernel.io_uring_disabled (${env.ioUringDisabled ?? 'absent'}) nor a seccomp filter (Seccomp: ${env.seccomp ?? 'unknown'}) explains it: `
        + 'a security module (SELinux, AppArmor) or a sandbox that does not show in this process\'s /proc may forbid io_uring.';
    },
  },
  ENOSYS: {
    usual: 'this kernel has no io_uring (Linux 5.1 or newer built with CONFIG_IO_URING is needed), or a seccomp filter makes the syscall unknown',
    here: ({ env, release }) => {
      if (env.seccomp === 2) {
        return `io_uring_setup is not a system call this process may make: ${seccompWords(env)} answers ENOSYS for the syscalls it blocks (Docker's default profile blocks the io_uring syscalls); `
          + 'otherwise the kernel was built without CONFIG_IO_URING.';
      }
      if (releaseBefore(release, 5, 1)) return `this kernel (${release}) has no io_uring: it came in Linux 5.1.`;
      return `this kernel (${release}) has no io_uring: it was built without CONFIG_IO_URING (or a sandbox in between does not offer it).`;
    },
  },
  EOPNOTSUPP: { usual: 'a seccomp filter or security module refuses io_uring here' },
  ENOMEM: {
    usual: 'the kernel could not allocate the rings: lower the entry count, or raise RLIMIT_MEMLOCK (older kernels account ring memory to it)',
    // liburing's README: rings count against RLIMIT_MEMLOCK up to 5.11;
    // later kernels charge only registered buffers to it.
    here: ({ release, memlock }) => 'the kernel could not allocate or lock the memory of even a one-entry ring. '
      + `Before Linux 5.12 ring memory is charged to RLIMIT_MEMLOCK (here ${memlock}): raise it (ulimit -l), or close other rings.`
      + (releaseBefore(release, 5, 12) ? '' : ' This kernel no longer charges it there, so the machine is short of memory.'),
  },
  EINVAL: {
    usual: 'the kernel refused these parameters: an entry count over the maximum without IORING_SETUP_CLAMP, a setup flag this kernel does not know, or flags that do not go together (DEFER_TASKRUN needs SINGLE_ISSUER; SQ_AFF needs SQPOLL)',
    here: () => 'the kernel refused even the plainest ring (one entry, no flags) with EINVAL: its io_uring does not match the interface this library was written against.',
  },
  EFAULT: { usual: 'the kernel could not read or pin the ring memory handed to it' },
  EMFILE: {
    usual: 'the process has no free file descriptor (RLIMIT_NOFILE)',
    here: () => 'this process has no free file descriptor for the ring (RLIMIT_NOFILE): close some, or raise it (ulimit -n).',
  },
  ENFILE: {
    usual: 'the system has no free file descriptor',
    here: () => 'the system has no free file descriptor for the ring (fs.file-max).',
  },
  EBADF: { usual: 'the wq_fd to attach to is not an io_uring fd' },
};

/**
 * Why io_uring_setup failed with `errno` (positive or negative) for the
 * plainest ring, in the words that fit `facts`; null where the errno's
 * cause does not depend on them (IoUringError's message says it then).
 */
export function setupCauseHere(errno: number, facts: SetupFacts): string | null {
  return SETUP_CAUSES[errnoName(errno)]?.here?.(facts) ?? null;
}

// What each errno usually means for each syscall, from the man pages
// (io_uring_setup(2), io_uring_enter(2), io_uring_register(2)) and from what
// was measured on real machines.
const CAUSES: Record<string, Record<string, string>> = {
  io_uring_setup: Object.fromEntries(Object.entries(SETUP_CAUSES).map(([code, c]) => [code, c.usual])),
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

// The text of each errno, as Node's system errors word it: libuv's, from
// util.getSystemErrorMap(), where its name for the number is the one
// errno.ts gives (libuv calls 95 ENOTSUP, "operation not supported on
// socket", where io_uring means EOPNOTSUPP of any file); glibc's strerror(3)
// text otherwise, its first letter lowercased as libuv's are. Read only
// when an error is made.
const LINUX_TEXT: Readonly<Record<number, string>> = {
  8: 'exec format error', 10: 'no child processes', 15: 'block device required',
  33: 'numerical argument out of domain', 35: 'resource deadlock avoided', 37: 'no locks available',
  42: 'no message of desired type', 43: 'identifier removed', 44: 'channel number out of range',
  45: 'level 2 not synchronized', 46: 'level 3 halted', 47: 'level 3 reset', 48: 'link number out of range',
  50: 'no CSI structure available', 51: 'level 2 halted', 52: 'invalid exchange', 53: 'invalid request descriptor',
  54: 'exchange full', 55: 'no anode', 56: 'invalid request code', 57: 'invalid slot', 59: 'bad font file format',
  60: 'device not a stream', 62: 'timer expired', 63: 'out of streams resources', 65: 'package not installed',
  66: 'object is remote', 67: 'link has been severed', 68: 'advertise error', 69: 'srmount error',
  70: 'communication error on send', 72: 'multihop attempted', 73: 'RFS specific error', 74: 'bad message',
  76: 'name not unique on network', 77: 'file descriptor in bad state', 78: 'remote address changed',
  79: 'can not access a needed shared library', 80: 'accessing a corrupted shared library',
  81: '.lib section in a.out corrupted', 82: 'attempting to link in too many shared libraries',
  83: 'cannot exec a shared library directly', 85: 'interrupted system call should be restarted',
  86: 'streams pipe error', 87: 'too many users', 95: 'operation not supported', 96: 'protocol family not supported',
  102: 'network dropped connection on reset', 109: 'too many references: cannot splice',
  115: 'operation now in progress', 116: 'stale file handle', 117: 'structure needs cleaning',
  118: 'not a XENIX named type file', 119: 'no XENIX semaphores available', 120: 'is a named type file',
  122: 'disk quota exceeded', 123: 'no medium found', 124: 'wrong medium type', 126: 'required key not available',
  127: 'key has expired', 128: 'key has been revoked', 129: 'key was rejected by service', 130: 'owner died',
  131: 'state not recoverable', 132: 'operation not possible due to RF-kill', 133: 'memory page has hardware error',
};

let nodeTexts: Map<number, [string, string]> | null = null;

/** What `errno` (positive or negative) means, in strerror(3)'s words as Node gives them: 'no such file or directory'. */
export function errnoText(errno: number): string {
  const e = Math.abs(errno);
  nodeTexts ??= getSystemErrorMap();
  const node = nodeTexts.get(-e);
  if (node !== undefined && node[0] === errnoName(e)) return node[1];
  return LINUX_TEXT[e] ?? `unknown error ${e}`;
}

/**
 * What a failed operation named, for its error: as Node's fs errors carry
 * `path` (and `dest` for the second path of rename, link and symlink), and,
 * where an operation names no path, the file descriptor it was given
 * (`fd`, and `destFd` for the second of splice and tee) or the registered
 * file's index (`fileIndex`, with IOSQE_FIXED_FILE).
 */
export interface ErrorTarget {
  /** The path the operation named (its error's `path`). */
  path?: string | Uint8Array;
  /** The second path, of rename, link and symlink (its error's `dest`). */
  dest?: string | Uint8Array;
  /** The descriptor an operation without a path was given. */
  fd?: number;
  /** The second descriptor, of splice and tee. */
  destFd?: number;
  /** The registered file's index, with IOSQE_FIXED_FILE. */
  fileIndex?: number;
}

// A path given as bytes, as text (UTF-8, up to its NUL): what Node shows of a Buffer path.
function pathText(p: string | Uint8Array): string {
  if (typeof p === 'string') return p;
  try {
    const nul = p.indexOf(0);
    return new TextDecoder().decode(nul < 0 ? p : p.subarray(0, nul));
  } catch {
    return ''; // detached since
  }
}

/**
 * What a failed control-plane call (io_uring_setup, io_uring_enter,
 * io_uring_register, mmap) throws, shaped like Node's system errors: check
 * `err.code === 'EINVAL'` as for fs errors. The message names the call, what
 * was being done, and what usually causes that errno. A failed operation is
 * not one: its CQE's `res` is the negative errno; AsyncRing rejects with
 * this class for those.
 *
 * Differs from liburing: liburing returns -errno where this throws.
 */
export class IoUringError extends Error {
  /** The negative errno (-22 for EINVAL), as Node's system errors carry it. */
  readonly errno: number;
  /** The errno's name ('EINVAL'). */
  readonly code: string;
  /** The system call, or the operation, that failed ('io_uring_setup', 'read'). */
  readonly syscall: string;
  /** The path the operation named (openat, statx, unlinkat, ...; the target of symlinkat), as on Node's fs errors; absent where it named none. */
  readonly path?: string;
  /** The second path of renameat, linkat and symlinkat (the new name), as Node's `dest`. */
  readonly dest?: string;
  /** The file descriptor an operation that names no path was given (read, write, fsync, ...). */
  readonly fd?: number;
  /** The second descriptor of splice and tee (where the data goes). */
  readonly destFd?: number;
  /** The registered file's index, for an operation given one with IOSQE_FIXED_FILE. */
  readonly fileIndex?: number;

  /**
   * `errno` is positive (EINVAL) or negative (-EINVAL, as the ring returns
   * it); `detail` names what was being done; `cause` replaces the usual
   * explanation of the errno where the caller knows better; `target` is the
   * path or fd the operation named. The message is Node's shape, `ENOENT:
   * no such file or directory, openat '/x'`, then the detail, the fd and the
   * cause: `EBADF: bad file descriptor, read (fd 9)`.
   */
  constructor(errno: number, syscall: string, detail?: string, cause?: string, target?: ErrorTarget) {
    const e = Math.abs(errno);
    const code = errnoName(e);
    cause ??= CAUSES[syscall]?.[code];
    let where = '';
    const notes: string[] = [];
    let path: string | undefined;
    let dest: string | undefined;
    if (target !== undefined) {
      if (target.path !== undefined) where += ` '${(path = pathText(target.path))}'`;
      if (target.dest !== undefined) where += ` -> '${(dest = pathText(target.dest))}'`;
      if (target.fd !== undefined) notes.push(`fd ${target.fd}${target.destFd !== undefined ? ` -> fd ${target.destFd}` : ''}`);
      if (target.fileIndex !== undefined) notes.push(`fixed file ${target.fileIndex}`);
    }
    if (detail) notes.push(detail);
    super(`${code}: ${errnoText(e)}, ${syscall}${where}${notes.length ? ` (${notes.join(', ')})` : ''}${cause ? `: ${cause}` : ''}`);
    this.name = 'IoUringError';
    // Node's system errors carry a negative errno.
    this.errno = -e;
    this.code = code;
    this.syscall = syscall;
    if (path !== undefined) this.path = path;
    if (dest !== undefined) this.dest = dest;
    if (target?.fd !== undefined) this.fd = target.fd;
    if (target?.destFd !== undefined) this.destFd = target.destFd;
    if (target?.fileIndex !== undefined) this.fileIndex = target.fileIndex;
  }
}

/**
 * Settles a promise that an async function may be awaiting as rejected with
 * `err`, whose stack is taken again on the way so that it shows that
 * function and its callers (`at async main (file:...)`), as Node's
 * fs.promises errors do, instead of the frames that reaped the CQE.
 *
 * V8 adds an awaiting async function's frame to a stack taken inside a
 * promise reaction job, following the job's promise through the chain of
 * promises waiting on it (CaptureAsyncStackTrace in V8's src/execution/isolate.cc).
 * So the promise is resolved with a second one, `r`, and the stack taken
 * in r's reaction, which runs after the job that chains r to the promise
 * (both queued here, in that order). Costs three promises and a few
 * microtask turns, on failure only.
 */
export function rejectWithCallerFrames(resolve: (v: unknown) => void, err: unknown): void {
  let go!: () => void;
  const r = new Promise<void>((res) => {
    go = res;
  }).then(function retake(): never {
    try {
      if (typeof err === 'object' && err !== null) Error.captureStackTrace(err, retake);
    } catch {
      // A frozen error keeps the stack it has.
    }
    throw err;
  });
  resolve(r);
  go();
}

/** Throws when `r` is a negative errno; returns it otherwise. */
export function check(r: number, syscall: string, detail?: string): number {
  if (r < 0) throw new IoUringError(r, syscall, detail);
  return r;
}
