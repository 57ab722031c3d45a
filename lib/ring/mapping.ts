// Mappings of the kernel's io_uring memory (rings, SQEs, kernel-allocated
// buffer rings), and how they are let go without ever leaving a view over
// unmapped memory: touching one kills the process with SIGSEGV.

import * as ffi from '../../ffi/index.ts';

// <sys/mman.h>, the same on x86_64 and arm64.
const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 0x01;
const MAP_PRIVATE = 0x02;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_POPULATE = 0x8000;
const MADV_DONTFORK = 10;

export interface Mapping {
  addr: number;
  len: number;
}

/**
 * mmap of `len` bytes of `fd` at `offset`, shared and populated, and kept out
 * of a fork()ed child (MADV_DONTFORK, as liburing's io_uring_ring_dontfork).
 * The address, or -errno.
 */
export function mapShared(fd: number, len: number, offset: number): number {
  const addr = ffi.mmap(0, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
  if (addr >= 0) ffi.madvise(addr, len, MADV_DONTFORK);
  return addr;
}

const unmapLater = new FinalizationRegistry<Mapping>((m) => {
  ffi.munmap(m.addr, m.len);
});

/** Unmaps `m` once `view` (an ArrayBuffer over it) has been collected. */
export function unmapWhenCollected(view: ArrayBuffer, m: Mapping): void {
  unmapLater.register(view, m);
}

/**
 * Replaces the mapping with anonymous memory at the same address: the kernel
 * keeps its own pages as long as it needs them, and a view still held
 * somewhere now reads and writes harmless memory instead of faulting. The
 * range itself goes when its views are collected (unmapWhenCollected).
 */
export function retireMapping(m: Mapping): void {
  ffi.mmap(m.addr, m.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}
