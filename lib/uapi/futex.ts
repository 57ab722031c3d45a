// futex2 constants (include/uapi/linux/futex.h), for FUTEX_WAIT, FUTEX_WAKE
// and FUTEX_WAITV.

// futex2 flags, include/uapi/linux/futex.h. io_uring takes these, not the
// FUTEX_* flags of futex(2) v1. Linux 6.18 takes 32-bit futexes only: any
// other size is -EINVAL (measured).
export const FUTEX2_SIZE_U8 = 0x00;
export const FUTEX2_SIZE_U16 = 0x01;
export const FUTEX2_SIZE_U32 = 0x02;
export const FUTEX2_SIZE_U64 = 0x03;
export const FUTEX2_NUMA = 0x04;
export const FUTEX2_MPOL = 0x08;
/** The futex is private to this process (all of Node's threads share one mm). */
export const FUTEX2_PRIVATE = 128;
export const FUTEX2_SIZE_MASK = 0x03;
/** A mask (val3 in futex(2)) that matches every waiter. */
export const FUTEX_BITSET_MATCH_ANY = 0xffffffff;
/** The most entries a futex_waitv vector may have. */
export const FUTEX_WAITV_MAX = 128;
