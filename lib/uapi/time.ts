// Clock ids (include/uapi/linux/time.h), for IORING_REGISTER_CLOCK.

/** CLOCK_MONOTONIC from <linux/time.h>: the default clock of a ring's waits. */
export const CLOCK_MONOTONIC = 1;
/** CLOCK_BOOTTIME from <linux/time.h>: like CLOCK_MONOTONIC, but counts time suspended. */
export const CLOCK_BOOTTIME = 7;
