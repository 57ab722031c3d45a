// The only module that imports koffi. It declares the three io_uring syscalls,
// mmap and the few libc helpers the library needs, and hands back plain
// numbers: a result >= 0, or -errno on failure, as liburing's syscall layer
// does. Nothing here throws once loaded; loading itself is lazy, so importing
// the package on a system without koffi's binary (or without Linux) does not
// throw: `loadError()` says why the first ring can't be made.
//
// Every pointer crosses this boundary as a JS number (an address below 2^53,
// which every x86_64 and arm64 user address is). Callers get the address of a
// typed array's memory with `addressOf`, and must keep that memory referenced
// for as long as anything (the kernel included) may use the address.

import { createRequire } from 'node:module';

// The io_uring syscalls have the same numbers on every architecture: they were
// added after the syscall tables were unified (Linux 5.1).
const NR_IO_URING_SETUP = 425;
const NR_IO_URING_ENTER = 426;
const NR_IO_URING_REGISTER = 427;

type SyscallFn = (nr: number, a: number, b: number, c: number, d: number, e: number, f: number) => number;

interface Bindings {
  syscall: SyscallFn;
  memmove: (dst: ArrayBufferView, src: ArrayBufferView, n: number) => number;
  mmap: (addr: number, len: number, prot: number, flags: number, fd: number, off: number) => number | bigint;
  munmap: (addr: number, len: number) => number;
  madvise: (addr: number, len: number, advice: number) => number;
  close: (fd: number) => number;
  pipe2: (fds: Int32Array, flags: number) => number;
  fcntl: (fd: number, cmd: number, arg: number) => number;
  socketpair: (domain: number, type: number, protocol: number, fds: Int32Array) => number;
  dup: (fd: number) => number;
  dup3: (oldfd: number, newfd: number, flags: number) => number;
  eventfd: (initval: number, flags: number) => number;
  epoll_create1: (flags: number) => number;
  getrlimit: (resource: number, out: BigUint64Array) => number;
  setrlimit: (resource: number, lim: BigUint64Array) => number;
  getsockname: (fd: number, addr: Uint8Array, addrlen: Uint32Array) => number;
  getpeername: (fd: number, addr: Uint8Array, addrlen: Uint32Array) => number;
  setsockopt: (fd: number, level: number, name: number, val: Int32Array, len: number) => number;
  errno: () => number;
  view: (addr: number, len: number) => ArrayBuffer;
  poll: PollFn | undefined;
}

/** libuv's own poll watcher, as koffi exposes it (`koffi.node.poll`). */
export type PollFn = (fd: number, opts: { readable?: boolean; writable?: boolean }, cb: (...args: unknown[]) => void) => PollHandle;
export interface PollHandle {
  stop?(): void;
  close?(): void;
  unref?(): void;
  ref?(): void;
}

let bindings: Bindings | null = null;
let failure: string | null = null;

function load(): Bindings | null {
  if (bindings !== null || failure !== null) return bindings;
  if (process.platform !== 'linux') {
    failure = `io_uring is a Linux interface; this is ${process.platform}`;
    return null;
  }
  let koffi: any;
  try {
    koffi = createRequire(import.meta.url)('koffi');
  } catch (err) {
    failure = `koffi could not be loaded (${(err as Error).message}); reinstall with npm install`;
    return null;
  }
  try {
    const libc = koffi.load('libc.so.6');
    // syscall(2) is variadic in C; on x86_64 and arm64 a fixed prototype of
    // longs passes the same registers, and glibc's wrapper reads six of them.
    const syscall = libc.func('long syscall(long nr, long a, long b, long c, long d, long e, long f)');
    bindings = {
      syscall,
      // memmove(p, p, 0) returns p: koffi passes a typed array as the address
      // of its memory, and V8 gives an on-heap array a stable off-heap store
      // the first time its address is taken.
      memmove: libc.func('uintptr_t memmove(void *dst, void *src, size_t n)'),
      mmap: libc.func('uintptr_t mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, long off)'),
      munmap: libc.func('int munmap(uintptr_t addr, size_t len)'),
      madvise: libc.func('int madvise(uintptr_t addr, size_t len, int advice)'),
      close: libc.func('int close(int fd)'),
      pipe2: libc.func('int pipe2(void *fds, int flags)'),
      // fcntl(2) is variadic; an int third argument goes in the same register.
      fcntl: libc.func('int fcntl(int fd, int cmd, int arg)'),
      socketpair: libc.func('int socketpair(int domain, int type, int protocol, void *fds)'),
      dup: libc.func('int dup(int fd)'),
      dup3: libc.func('int dup3(int oldfd, int newfd, int flags)'),
      eventfd: libc.func('int eventfd(unsigned int initval, int flags)'),
      epoll_create1: libc.func('int epoll_create1(int flags)'),
      getrlimit: libc.func('int getrlimit(int resource, void *rlim)'),
      setrlimit: libc.func('int setrlimit(int resource, void *rlim)'),
      // The socket calls tsuring/net needs before the ring has them: the
      // GETSOCKNAME socket command is Linux 6.19, getpeername has none, and
      // SETSOCKOPT (6.7) would be an SQE and an await for each option set.
      getsockname: libc.func('int getsockname(int fd, void *addr, void *addrlen)'),
      getpeername: libc.func('int getpeername(int fd, void *addr, void *addrlen)'),
      setsockopt: libc.func('int setsockopt(int fd, int level, int name, void *val, unsigned int len)'),
      errno: () => koffi.errno(),
      view: (addr: number, len: number) => koffi.view(addr, len),
      poll: typeof koffi.node?.poll === 'function' ? koffi.node.poll.bind(koffi.node) : undefined,
    };
  } catch (err) {
    failure = `libc could not be bound through koffi: ${(err as Error).message}`;
    return null;
  }
  return bindings;
}

/** Why the FFI can't be used here, or null when it can. Loads it on first call. */
export function loadError(): string | null {
  load();
  return failure;
}

function b(): Bindings {
  const x = bindings ?? load();
  if (x === null) throw new Error(failure ?? 'ffi unavailable');
  return x;
}

// -errno from a libc call that returned -1 (errno must be read before any
// other native call).
function sysret(r: number): number {
  return r < 0 ? -b().errno() : r;
}

/** io_uring_setup(2): the ring fd, or -errno. `params` is a 120-byte io_uring_params. */
export function ioUringSetup(entries: number, paramsAddr: number): number {
  const x = b();
  const r = x.syscall(NR_IO_URING_SETUP, entries, paramsAddr, 0, 0, 0, 0);
  return r < 0 ? -x.errno() : r;
}

/** io_uring_enter(2) with the EXT_ARG-era six arguments; result or -errno. */
export function ioUringEnter(fd: number, toSubmit: number, minComplete: number, flags: number, argAddr: number, argSize: number): number {
  const x = bindings!;
  const r = x.syscall(NR_IO_URING_ENTER, fd, toSubmit, minComplete, flags, argAddr, argSize);
  return r < 0 ? -x.errno() : r;
}

/** io_uring_register(2); result or -errno. `fd` may be -1 (ringless query). */
export function ioUringRegister(fd: number, opcode: number, argAddr: number, nrArgs: number): number {
  const x = b();
  const r = x.syscall(NR_IO_URING_REGISTER, fd, opcode, argAddr, nrArgs, 0, 0);
  return r < 0 ? -x.errno() : r;
}

/**
 * mmap(2): an address, or -errno. MAP_FAILED is (void *)-1, which koffi
 * hands back as the bigint 2^64-1 (too big for a number); a view over it
 * would kill the process on first touch.
 */
export function mmap(addr: number, len: number, prot: number, flags: number, fd: number, offset: number): number {
  const x = b();
  const r: number | bigint = x.mmap(addr, len, prot, flags, fd, offset);
  if (typeof r !== 'number' || r === -1) return -x.errno();
  return r;
}

export function munmap(addr: number, len: number): number {
  return sysret(b().munmap(addr, len));
}

export function madvise(addr: number, len: number, advice: number): number {
  return sysret(b().madvise(addr, len, advice));
}

export function close(fd: number): number {
  return sysret(b().close(fd));
}

/** pipe2(2): [readFd, writeFd], or -errno. */
export function pipe(flags = 0): [number, number] | number {
  const fds = new Int32Array(2);
  const r = sysret(b().pipe2(fds, flags));
  return r < 0 ? r : [fds[0]!, fds[1]!];
}

/** fcntl(2) with an int argument (F_SETPIPE_SZ, F_GETFL, ...): its result, or -errno. */
export function fcntl(fd: number, cmd: number, arg = 0): number {
  return sysret(b().fcntl(fd, cmd, arg));
}

/** socketpair(2): two connected sockets, or -errno. */
export function socketpair(domain: number, type: number, protocol = 0): [number, number] | number {
  const fds = new Int32Array(2);
  const r = sysret(b().socketpair(domain, type, protocol, fds));
  return r < 0 ? r : [fds[0]!, fds[1]!];
}

/** dup(2): a new fd for the same open file, or -errno. */
export function dup(fd: number): number {
  return sysret(b().dup(fd));
}

/** dup3(2): makes `newfd` refer to `oldfd`'s open file (closing what it was), or -errno. */
export function dup3(oldfd: number, newfd: number, flags: number): number {
  return sysret(b().dup3(oldfd, newfd, flags));
}

/** eventfd(2): an fd, or -errno. */
export function eventfd(initval: number, flags: number): number {
  return sysret(b().eventfd(initval, flags));
}

/** epoll_create1(2): an epoll fd, or -errno. */
export function epollCreate1(flags: number): number {
  return sysret(b().epoll_create1(flags));
}

/** getrlimit(2): [soft, hard] as bigints (RLIM_INFINITY is 2^64-1), or -errno. */
export function getrlimit(resource: number): [bigint, bigint] | number {
  const lim = new BigUint64Array(2);
  const r = sysret(b().getrlimit(resource, lim));
  return r < 0 ? r : [lim[0]!, lim[1]!];
}

/** setrlimit(2): 0 or -errno. */
export function setrlimit(resource: number, soft: bigint, hard: bigint): number {
  const lim = new BigUint64Array([soft, hard]);
  return sysret(b().setrlimit(resource, lim));
}

/**
 * getsockname(2) into `addr` (room for any address: 128 bytes); `addrlen[0]`
 * says the room on the way in and the address's length on the way out. 0 or -errno.
 */
export function getsockname(fd: number, addr: Uint8Array, addrlen: Uint32Array): number {
  return sysret(b().getsockname(fd, addr, addrlen));
}

/** getpeername(2), as getsockname: 0 or -errno. */
export function getpeername(fd: number, addr: Uint8Array, addrlen: Uint32Array): number {
  return sysret(b().getpeername(fd, addr, addrlen));
}

/** setsockopt(2) of an int option (`val[0]`): 0 or -errno. */
export function setsockopt(fd: number, level: number, name: number, val: Int32Array): number {
  return sysret(b().setsockopt(fd, level, name, val, 4));
}

/**
 * The address of the first byte of a typed array's memory. The caller checks
 * the view is attached and non-empty; the memory must stay referenced while
 * the address is in use.
 */
export function addressOf(view: ArrayBufferView): number {
  return b().memmove(view, view, 0);
}

/** An ArrayBuffer over foreign memory (an mmap). Touching it after munmap kills the process. */
export function view(addr: number, len: number): ArrayBuffer {
  return b().view(addr, len);
}

/** libuv's poll watcher through koffi, when this koffi has it. */
export function pollFunction(): PollFn | undefined {
  return load()?.poll;
}
