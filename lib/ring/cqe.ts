// A completion queue entry: a view of one 16-byte (or, on CQE32 rings,
// 32-byte) slot of the CQ. Like liburing's `struct io_uring_cqe *`, it is
// valid until `cqeSeen()` / `cqAdvance()` hands the slot back to the kernel;
// copy out what you need before that. The ring makes one per slot, so reaping
// allocates nothing.
//
// Layout: struct io_uring_cqe { __u64 user_data; __s32 res; __u32 flags;
// __u64 big_cqe[]; } in include/uapi/linux/io_uring.h.

import type { IoUring } from './io-uring.ts';
import { getU64Big } from './sqe.ts';

const TWO32 = 4294967296;

/**
 * A completion queue entry (liburing's `struct io_uring_cqe *`), as
 * {@link IoUring.peekCqe}, {@link IoUring.waitCqe} and
 * {@link IoUring.forEachCqe} hand it out: a view of one CQ slot, valid until
 * {@link IoUring.cqeSeen} or {@link IoUring.cqAdvance} gives the slot back to
 * the kernel. Copy out what must outlive that ({@link Cqe.toJSON}).
 */
export class Cqe {
  /** The ring this entry belongs to. */
  readonly ring: IoUring;
  /** @internal the ring memory as 32-bit words */
  readonly u32: Uint32Array;
  /** @internal this entry's first word */
  readonly w: number;
  /** The entry's size in bytes: 16, or 32 on IORING_SETUP_CQE32 rings. */
  readonly size: number;

  /** @internal built by the ring, one per slot */
  constructor(ring: IoUring, u32: Uint32Array, w: number, size: number) {
    this.ring = ring;
    this.u32 = u32;
    this.w = w;
    this.size = size;
  }

  /** The submitting SQE's user_data (an integer up to 2^53-1; see `userDataBig`). */
  get userData(): number {
    const hi = this.u32[this.w + 1]!;
    if (hi >= 0x200000) throw new RangeError('user_data is above 2^53; read it with userDataBig');
    return hi * TWO32 + this.u32[this.w]!;
  }

  /** user_data as a full 64-bit value. */
  get userDataBig(): bigint {
    return getU64Big(this.u32, this.w);
  }

  /** The result: what the syscall would return, or -errno. */
  get res(): number {
    return this.u32[this.w + 2]! | 0;
  }

  /** IORING_CQE_F_* bits; the buffer id sits in the top 16 with IORING_CQE_F_BUFFER. */
  get flags(): number {
    return this.u32[this.w + 3]!;
  }

  /**
   * `big_cqe[i]` (i = 0 or 1): the extra 16 bytes of a CQE32 ring, used by
   * URING_CMD passthrough and a few others.
   */
  bigCqe(i: number): bigint {
    if (this.size !== 32 || (i !== 0 && i !== 1)) throw new RangeError('big_cqe has two u64 words, on IORING_SETUP_CQE32 rings only');
    return getU64Big(this.u32, this.w + 4 + 2 * i);
  }

  /** A plain copy of the fields, for logging and tests. */
  toJSON(): {
    /** user_data: a bigint above 2^53. */
    userData: number | bigint;
    /** The result, or -errno. */
    res: number;
    /** IORING_CQE_F_* bits. */
    flags: number;
  } {
    const hi = this.u32[this.w + 1]!;
    return { userData: hi >= 0x200000 ? this.userDataBig : this.userData, res: this.res, flags: this.flags };
  }
}
