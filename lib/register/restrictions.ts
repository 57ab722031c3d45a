// Restrictions: what a ring made with IORING_SETUP_R_DISABLED may do once
// enabled (IORING_REGISTER_RESTRICTIONS, then IORING_REGISTER_ENABLE_RINGS).
//
// Throws an IoUringError (syscall 'io_uring_register', the detail naming the
// liburing call) where liburing would return -errno.

import { checkIntRange } from '../check.ts';
import { IoUringError } from '../errors.ts';
import type { IoUring } from '../ring/io-uring.ts';
import {
  IORING_REGISTER_RESTRICTIONS, IORING_RESTRICTION_REGISTER_OP, IORING_RESTRICTION_SQE_FLAGS_ALLOWED,
  IORING_RESTRICTION_SQE_FLAGS_REQUIRED, IORING_RESTRICTION_SQE_OP,
} from '../uapi/constants.ts';
import { io_uring_restriction } from '../uapi/layout.ts';
import { registerCall } from './syscall.ts';

/**
 * One rule of registerRestrictions: `opcode` is IORING_RESTRICTION_*. For
 * IORING_RESTRICTION_REGISTER_OP (an io_uring_register opcode) and
 * IORING_RESTRICTION_SQE_OP (an IORING_OP_*), `op` is the opcode allowed; for
 * IORING_RESTRICTION_SQE_FLAGS_ALLOWED / _REQUIRED, `flags` are IOSQE_* bits.
 */
export interface Restriction {
  /** IORING_RESTRICTION_*: what kind of rule. */
  opcode: number;
  /** The IORING_REGISTER_* or IORING_OP_* it allows (REGISTER_OP, SQE_OP). */
  op?: number;
  /** IOSQE_* bits (SQE_FLAGS_ALLOWED, SQE_FLAGS_REQUIRED). */
  flags?: number;
}

/**
 * io_uring_register_restrictions(3): limits what the ring may do to the
 * opcodes and SQE flags in `rules` (everything not allowed is refused: an
 * entry with -EACCES, a register call with EACCES). Only on a ring made with
 * IORING_SETUP_R_DISABLED (EBADFD otherwise), once (EBUSY); they take effect
 * at enableRings().
 * Differs from liburing: a list of rules, not a struct array and count.
 * @since Linux 5.10
 * @see io_uring_register_restrictions(3)
 */
export function registerRestrictions(ring: IoUring, rules: readonly Restriction[]): void {
  if (!Array.isArray(rules)) throw new TypeError('rules must be an array of { opcode, op } or { opcode, flags }');
  const buf = new Uint8Array(new ArrayBuffer(Math.max(1, rules.length) * io_uring_restriction.sizeof));
  const dv = new DataView(buf.buffer);
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    if (r === null || typeof r !== 'object') throw new TypeError(`rules[${i}] must be an object`);
    checkIntRange(r.opcode, 0, 0xffff, `rules[${i}].opcode`);
    let value: number | undefined;
    let name: string;
    if (r.opcode === IORING_RESTRICTION_REGISTER_OP || r.opcode === IORING_RESTRICTION_SQE_OP) {
      value = r.op;
      name = 'op';
    } else if (r.opcode === IORING_RESTRICTION_SQE_FLAGS_ALLOWED || r.opcode === IORING_RESTRICTION_SQE_FLAGS_REQUIRED) {
      value = r.flags;
      name = 'flags';
    } else {
      // An opcode this library does not know: pass whichever was given, and
      // let the kernel judge it.
      value = r.op ?? r.flags ?? 0;
      name = 'op';
    }
    if (value === undefined) throw new TypeError(`rules[${i}] needs ${name}`);
    checkIntRange(value, 0, 0xff, `rules[${i}].${name}`);
    const at = i * io_uring_restriction.sizeof;
    dv.setUint16(at + io_uring_restriction.opcode, r.opcode, true);
    dv.setUint8(at + io_uring_restriction.register_op, value); // union: register_op / sqe_op / sqe_flags
  }
  registerCall(ring, IORING_REGISTER_RESTRICTIONS, buf, rules.length, 'register_restrictions');
}

/**
 * io_uring_enable_rings(3): starts a ring made with IORING_SETUP_R_DISABLED,
 * and with it any restrictions registered (EBADFD on an enabled ring). The
 * same as `ring.enableRings()` (IORING_REGISTER_ENABLE_RINGS).
 * @since Linux 5.10
 * @see io_uring_enable_rings(3)
 */
export function enableRings(ring: IoUring): void {
  try {
    ring.enableRings();
  } catch (err) {
    if (err instanceof IoUringError && err.syscall === 'io_uring_register') throw new IoUringError(err.errno, 'io_uring_register', 'enable_rings');
    throw err;
  }
}
