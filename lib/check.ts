// The argument checks: one function for each kind of value a field of an SQE,
// a registration struct or io_uring_params holds, shared by the ring, the
// encoders and the registrations. This is where "refuse before the first
// write" lives: every encoder (and every call that builds a struct for the
// kernel) runs these on all its arguments first, and writes only once they
// have all passed, so one that throws leaves its SQE exactly as getSqe()
// handed it out and the kernel never sees the value.
//
// What is refused is a value its
// field can't hold (a string for a number, 2^40 in a u32, a fraction). What
// the field holds goes through, however odd (fd -1, an unknown flag bit): the
// kernel judges it, and its -errno comes back as in C. Memory is judged
// elsewhere: addressFor() in ring/memory.ts refuses a length past a buffer's
// end, or a detached or resizable buffer.
//
// A refused value is a TypeError when it is not a number at all (a BigInt, a
// string, an object: never coerced, so no valueOf or toString runs), and a
// RangeError when it is a number the field can't hold. The message names the
// argument and what was got.
//
// Each check returns the value it passed, so a setter can write
// `u32[w] = checkU32(v, 'x')`. The encoders' per-op path (prepRw's own
// checks, rw(), the Sqe accessors) keeps a few of these tests inline where a
// call would be one more per operation.

/** @internal `v` for an error message, without running any of its code (no valueOf, no toString). */
export function shown(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'bigint') return `${v}n`;
  return v === null ? 'null' : typeof v;
}

/** @internal Throws the error for a refused number: TypeError for a non-number, RangeError otherwise. */
export function refuse(v: unknown, what: string, range: string): never {
  if (typeof v !== 'number') throw new TypeError(`${what} must be a number, ${range} (got ${shown(v)})`);
  throw new RangeError(`${what} must be ${range} (got ${v})`);
}

/** @internal A u8 field (opcode, sqe flags): an integer from 0 to 255. */
export function checkU8(v: number, what: string): number {
  if (typeof v !== 'number' || (v & 0xff) !== v) refuse(v, what, 'an integer from 0 to 255');
  return v;
}

/** @internal A u16 field (buf_index, buf_group, ioprio, addr_len, a port): an integer from 0 to 65535. */
export function checkU16(v: number, what: string): number {
  if (typeof v !== 'number' || (v & 0xffff) !== v) refuse(v, what, 'an integer from 0 to 65535');
  return v;
}

/**
 * @internal A u32 field that is a count, an index or an id (a slot, a clock
 * id, a CQE count): an integer from 0 to 2^32-1. A flag word takes
 * checkBits32 instead, which also takes the negative int32 that `|` makes of
 * a mask with bit 31 set.
 */
export function checkU32(v: number, what: string): number {
  if (typeof v !== 'number' || (v >>> 0) !== v) refuse(v, what, 'an integer from 0 to 2^32-1');
  return v;
}

/**
 * @internal A length that names memory, in a u32 field (the SQE's `len`, an
 * iovec count): a u32, checked as checkU32 checks it. Whether the memory
 * holds that many bytes is for addressFor() to say, which the caller runs
 * next. The same function under the name that says what the argument is.
 */
export { checkU32 as checkLength };

/**
 * @internal An optional u32 setting (an io_uring_params field, a wait's
 * min_wait_usec): undefined is 0, anything else is checked as checkU32
 * checks it.
 */
export function checkOptionalU32(v: number | undefined, what: string): number {
  return v === undefined ? 0 : checkU32(v, what);
}

/**
 * @internal A 32-bit mask: an integer that is a u32, or the int32 that JS
 * bit operators make of one with bit 31 set (`POLLIN | EPOLLET` is negative).
 * Also what a kernel `int` carried in a u32 field takes (a socket protocol, a
 * listen backlog, a waitid idtype, a URING_CMD's cmd_op).
 */
export function checkBits32(v: number, what: string): number {
  if (typeof v !== 'number' || ((v >>> 0) !== v && (v | 0) !== v)) refuse(v, what, 'a 32-bit integer (0 to 2^32-1, or a negative int32)');
  return v;
}

/** @internal A kernel `int` in a signed field (a socket domain or type): an integer from -2^31 to 2^31-1. */
export function checkS32(v: number, what: string): number {
  if (typeof v !== 'number' || (v | 0) !== v) refuse(v, what, 'an integer from -2^31 to 2^31-1');
  return v;
}

/**
 * @internal A file descriptor (fd, dfd, a registered file's index): any
 * int32, as the SQE's s32 `fd` holds, checked as checkS32 checks it. Whether
 * it names an open file is the kernel's to say: -1 completes with -EBADF, as
 * in C; AT_FDCWD is a dfd, and with an absolute path the kernel ignores dfd.
 */
export { checkS32 as checkFd };

/** @internal An integer from `lo` to `hi` (both included): a bound the field's width does not give (a ring size, a CPU number). */
export function checkIntRange(v: number, lo: number, hi: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) refuse(v, what, `an integer from ${lo} to ${hi}`);
  return v;
}

/** @internal A u64 field given as a number (a 64-bit length or offset, a raw address): an integer from 0 to 2^53-1. */
export function checkSafeU64(v: number, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) refuse(v, what, 'an integer from 0 to 2^53-1');
  return v;
}

/**
 * @internal A u64 field written from a number that may be negative (an
 * offset or address written as two's complement: -1 is all ones): an
 * integer from -(2^53-1) to 2^53-1.
 */
export function checkSafeInt(v: number, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) refuse(v, what, "an integer from -(2^53-1) to 2^53-1 (a negative one is written as two's complement)");
  return v;
}

/**
 * @internal A file offset: an integer from 0 to 2^53-1, or -1 for "the file
 * position" where the operation allows it (read, write and their kin).
 */
export function checkOffset(off: number, what = 'offset'): number {
  if (typeof off === 'number' && (off >>> 0) === off) return off; // the common case: below 4 GiB
  if (typeof off !== 'number' || !Number.isSafeInteger(off) || off < -1) refuse(off, what, 'an integer from 0 to 2^53-1, or -1 for the current position');
  return off;
}

const TWO64 = 1n << 64n;

/**
 * @internal A u64 field that carries any 64-bit value (user_data, a futex
 * value or mask, epoll data): an integer number from 0 to 2^53-1 (a
 * TypeError otherwise, as for user_data) or a bigint from 0 to 2^64-1 (a
 * RangeError otherwise).
 */
export function checkU64(v: number | bigint, what: string): number | bigint {
  if (typeof v === 'bigint') {
    if (v < 0n || v >= TWO64) throw new RangeError(`${what} must be from 0 to 2^64-1 (got ${shown(v)})`);
  } else if (!Number.isSafeInteger(v) || v < 0) {
    throw new TypeError(`${what} must be an integer from 0 to 2^53-1, or a bigint up to 2^64-1 (got ${shown(v)})`);
  }
  return v;
}
