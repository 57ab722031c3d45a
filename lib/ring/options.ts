// What `new IoUring(entries, options)` takes (every io_uring_params field the
// caller chooses), and the checks made on it before any memory is set aside
// or the kernel is asked, so that both memory modes refuse alike.

import { checkOptionalU32 } from '../check.ts';
import {
  IORING_SETUP_ATTACH_WQ, IORING_SETUP_CLAMP, IORING_SETUP_CQE_MIXED, IORING_SETUP_CQSIZE, IORING_SETUP_SQE_MIXED,
} from '../uapi/constants.ts';

/**
 * What `new IoUring(entries, options)` takes: the io_uring_params fields the
 * caller chooses (io_uring_setup(2)), and where the ring memory lives.
 * Refused with a TypeError or RangeError before anything is set up: a value
 * that does not fit its u32 field, or an unknown `memory`.
 */
export interface IoUringOptions {
  /** IORING_SETUP_* flags. Default 0 (plus the optimisations below). */
  flags?: number;
  /** `sq_thread_cpu`: the CPU for the SQPOLL thread (with IORING_SETUP_SQ_AFF). */
  sqThreadCpu?: number;
  /** `sq_thread_idle`: milliseconds the SQPOLL thread spins before sleeping. */
  sqThreadIdle?: number;
  /** `cq_entries`: the CQ size; sets IORING_SETUP_CQSIZE. Default twice the SQ. */
  cqEntries?: number;
  /** `wq_fd`: a ring whose io-wq to share; sets IORING_SETUP_ATTACH_WQ. */
  wqFd?: number;
  /**
   * Where the rings live. 'shared' (a SharedArrayBuffer handed over with
   * IORING_SETUP_NO_MMAP, Linux 6.5+), 'mmap' (the kernel's pages, mapped),
   * or 'auto' (default): shared where the kernel takes it, mmap otherwise.
   */
  memory?: 'auto' | 'shared' | 'mmap';
  /**
   * Register the ring fd (io_uring_register_ring_fd) so each enter skips the
   * fd lookup, which costs more in a multi-threaded process like Node's.
   * Default true; skipped quietly where the kernel refuses (before 5.18, or
   * past its 16 registered rings per thread).
   */
  registerRingFd?: boolean;
}

/** What `share()` gives a worker_thread to `IoUring.attach()` the same ring. */
export interface SharedRing {
  /** The ring's fd, which the sharing ring owns. */
  fd: number;
  /** The SharedArrayBuffer that holds the rings and the SQEs. */
  memory: SharedArrayBuffer;
  /** Where in `memory` the ring memory starts. */
  base: number;
  /** A copy of the io_uring_params io_uring_setup filled (the ring offsets). */
  params: Uint8Array;
  /** The ring's IORING_SETUP_* flags. */
  flags: number;
}

/** @internal The option attach() passes: the ring of another thread. Not exported from the package. */
export const ATTACH = Symbol('attach');

// The kernel's IORING_MAX_ENTRIES and IORING_MAX_CQ_ENTRIES.
export const KERN_MAX_ENTRIES = 32768;
export const KERN_MAX_CQ_ENTRIES = 2 * KERN_MAX_ENTRIES;

// Every IORING_SETUP_* bit the pinned header defines.
const KNOWN_SETUP_FLAGS = 0x1fffff;

// cq.ts and register.ts take the optional-u32 check from here under this name.

/** The kernel's rounding of a ring size (roundup_pow_of_two). */
export function roundupPow2(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}

/** The setup flags and CQ size the options ask for, once checked. */
export interface RingRequest {
  /** The flags the caller named: never dropped. */
  userFlags: number;
  /** userFlags plus what the other options imply (CQSIZE, ATTACH_WQ). */
  flagsBase: number;
  /** cq_entries, or 0 for the kernel's default. */
  cqWanted: number;
}

/**
 * Checks `entries` and the flag and size options against the kernel's own
 * rules (io_uring_create), so that both memory modes refuse alike and before
 * any memory is set aside.
 */
export function checkRequest(entries: number, options: IoUringOptions): RingRequest {
  if (!Number.isInteger(entries) || entries < 1) throw new RangeError(`entries must be a positive integer (got ${entries})`);
  const userFlags = checkOptionalU32(options.flags, 'flags');
  if ((userFlags & ~KNOWN_SETUP_FLAGS) !== 0) {
    throw new RangeError(`unknown IORING_SETUP_* bits 0x${(userFlags & ~KNOWN_SETUP_FLAGS).toString(16)}`);
  }
  if (userFlags & (IORING_SETUP_SQE_MIXED | IORING_SETUP_CQE_MIXED)) {
    throw new RangeError('IORING_SETUP_SQE_MIXED and IORING_SETUP_CQE_MIXED rings are not supported by this version of tsuring');
  }
  if (entries > KERN_MAX_ENTRIES && !(userFlags & IORING_SETUP_CLAMP)) {
    throw new RangeError(`entries must be at most ${KERN_MAX_ENTRIES} (got ${entries}); IORING_SETUP_CLAMP clamps instead`);
  }
  let cqWanted = 0;
  let flagsBase = userFlags;
  if (options.cqEntries !== undefined) {
    cqWanted = checkOptionalU32(options.cqEntries, 'cqEntries');
    if (cqWanted < 1) throw new RangeError('cqEntries must be at least 1');
    if (cqWanted > KERN_MAX_CQ_ENTRIES && !(userFlags & IORING_SETUP_CLAMP)) {
      throw new RangeError(`cqEntries must be at most ${KERN_MAX_CQ_ENTRIES} (got ${cqWanted}); IORING_SETUP_CLAMP clamps instead`);
    }
    const sq = roundupPow2(Math.min(entries, KERN_MAX_ENTRIES));
    if (roundupPow2(Math.min(cqWanted, KERN_MAX_CQ_ENTRIES)) < sq) throw new RangeError(`cqEntries (${cqWanted}) must be at least the SQ size (${sq})`);
    flagsBase |= IORING_SETUP_CQSIZE;
  }
  if (options.wqFd !== undefined) flagsBase |= IORING_SETUP_ATTACH_WQ;
  return { userFlags, flagsBase, cqWanted };
}
