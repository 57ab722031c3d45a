// io_uring_register(2) itself, as every registration calls it: on a ring
// (registerCall, through the ring's registerRaw, which knows whether the
// ring fd is registered) or with no ring at all (registerRingless, fd -1,
// which only IORING_REGISTER_SEND_MSG_RING and IORING_REGISTER_QUERY take).
// The rest of lib/register/ is liburing's src/register.c, a concept a file,
// each call named without `io_uring_`.
//
// Argument structs are built with the offsets of lib/uapi/layout.ts; the
// kernel copies them in during the call, so only the call itself needs them
// alive, and `refs` holds what they point at until it returns.

import * as ffi from '../../ffi/index.ts';
import { IoUringError } from '../errors.ts';
import { ERRNO } from '../errno.ts';
import type { IoUring } from '../ring/io-uring.ts';
import { addressFor } from '../ring/memory.ts';

// Objects whose addresses a struct passed to the kernel holds: referenced
// from here for the duration of the syscall, so the collector can't take one
// between taking its address and the kernel reading it.
const held: unknown[] = [];

/**
 * @internal io_uring_register(2) on `ring` (through `ring.registerRaw`, which
 * knows the ring's registered index) for liburing's `call`: the result, or an
 * IoUringError naming `call`. `refs` are objects that `arg` points at.
 */
export function registerCall(ring: IoUring, opcode: number, arg: ArrayBufferView | null, nrArgs: number, call: string, refs: readonly unknown[] = []): number {
  held.push(refs);
  try {
    return ring.registerRaw(opcode, arg, nrArgs);
  } catch (err) {
    if (err instanceof IoUringError && err.syscall === 'io_uring_register') throw new IoUringError(err.errno, 'io_uring_register', call);
    throw err;
  } finally {
    held.pop();
  }
}

/**
 * @internal io_uring_register(2) with no ring (fd -1), for
 * IORING_REGISTER_SEND_MSG_RING and IORING_REGISTER_QUERY: the result, or an
 * IoUringError naming `call`.
 */
export function registerRingless(opcode: number, arg: Uint8Array, nrArgs: number, call: string, refs: readonly unknown[]): number {
  const err = ffi.loadError();
  if (err !== null) throw new IoUringError(ERRNO.ENOSYS, 'io_uring_register', call, err);
  held.push(refs);
  try {
    const r = ffi.ioUringRegister(-1, opcode, addressFor(arg, arg.byteLength, 'arg'), nrArgs);
    if (r < 0) throw new IoUringError(r, 'io_uring_register', call);
    return r;
  } finally {
    held.pop();
  }
}
