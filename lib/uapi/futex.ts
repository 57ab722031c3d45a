// futex2 constants (include/uapi/linux/futex.h), for FUTEX_WAIT, FUTEX_WAKE
// and FUTEX_WAITV.

// futex2 flags, include/uapi/linux/futex.h. io_uring takes these, not the
// FUTEX_* flags of futex(2) v1. Linux 6.18 takes 32-bit futexes only: any
// other size is -EINVAL (measured).
/** futex2: an 8-bit futex */
export const FUTEX2_SIZE_U8 = 0x00;
/** futex2: a 16-bit futex */
export const FUTEX2_SIZE_U16 = 0x01;
/** futex2: a 32-bit futex */
export const FUTEX2_SIZE_U32 = 0x02;
/** futex2: a 64-bit futex */
export const FUTEX2_SIZE_U64 = 0x03;
/** futex2: a NUMA-aware futex (a node id follows the value) */
export const FUTEX2_NUMA = 0x04;
/** futex2: choose the node by the memory policy */
export const FUTEX2_MPOL = 0x08;
/** The futex is private to this process (all of Node's threads share one mm). */
export const FUTEX2_PRIVATE = 128;
/** futex2: the size bits of the flags */
export const FUTEX2_SIZE_MASK = 0x03;
/** A mask (val3 in futex(2)) that matches every waiter. */
export const FUTEX_BITSET_MATCH_ANY = 0xffffffff;
/** The most entries a futex_waitv vector may have. */
export const FUTEX_WAITV_MAX = 128;
