// IORING_REGISTER_PROBE: which opcodes the running kernel supports.

import { release } from 'node:os';
import { IoUringError } from '../errors.ts';
import { IoUring } from '../ring/io-uring.ts';
import { IO_URING_OP_SUPPORTED, IORING_REGISTER_PROBE } from '../uapi/constants.ts';
import { io_uring_probe, io_uring_probe_op } from '../uapi/layout.ts';
import { opcodeInfo } from '../uapi/opcodes.ts';
import { ERRNO } from '../errno.ts';

// The probe's op array has a u8 length: 256 entries cover every opcode there
// can be.
const PROBE_OPS = 256;

/** A liburing `struct io_uring_probe`, decoded. */
export class Probe {
  /** The highest opcode the kernel knows (`last_op`). */
  readonly lastOp: number;
  /** IO_URING_OP_* flags per opcode (0 past lastOp). */
  readonly flags: Uint16Array;

  /** @internal */
  constructor(lastOp: number, flags: Uint16Array) {
    this.lastOp = lastOp;
    this.flags = flags;
  }

  /** io_uring_opcode_supported(3). */
  supported(op: number): boolean {
    return op >= 0 && op <= this.lastOp && (this.flags[op]! & IO_URING_OP_SUPPORTED) !== 0;
  }
}

/** io_uring_get_probe_ring(3): the opcodes `ring`'s kernel supports (Linux 5.6). */
export function getProbeRing(ring: IoUring): Probe {
  const buf = new Uint8Array(io_uring_probe.sizeof + PROBE_OPS * io_uring_probe_op.sizeof);
  ring.registerRaw(IORING_REGISTER_PROBE, buf, PROBE_OPS);
  const dv = new DataView(buf.buffer);
  const lastOp = buf[io_uring_probe.last_op]!;
  const opsLen = buf[io_uring_probe.ops_len]!;
  const flags = new Uint16Array(PROBE_OPS);
  for (let i = 0; i < opsLen; i++) {
    const at = io_uring_probe.ops + i * io_uring_probe_op.sizeof;
    flags[buf[at + io_uring_probe_op.op]!] = dv.getUint16(at + io_uring_probe_op.flags, true);
  }
  return new Probe(lastOp, flags);
}

let cached: Probe | null = null;

/**
 * io_uring_get_probe(3): the running kernel's probe, from a small ring made
 * for the purpose (once per process; the kernel does not change under us).
 *
 * Differs from liburing: taken once per process and shared, where liburing
 * allocates one per call to be freed with io_uring_free_probe.
 */
export function getProbe(): Probe {
  if (cached !== null) return cached;
  const ring = new IoUring(2, { registerRingFd: false });
  try {
    cached = getProbeRing(ring);
  } finally {
    ring.close();
  }
  return cached;
}

/**
 * io_uring_opcode_supported(3): whether `probe` (from getProbe or
 * getProbeRing) says `op` is supported; `probe.supported(op)` is the same.
 */
export function opcodeSupported(probe: Probe, op: number): boolean {
  if (!(probe instanceof Probe)) throw new TypeError('opcodeSupported takes the probe first, as io_uring_opcode_supported(p, op) does: opcodeSupported(getProbe(), op)');
  return probe.supported(op);
}

/**
 * Throws unless the running kernel supports `op`: an IoUringError (EOPNOTSUPP)
 * naming the operation and the Linux release that added it, before anything
 * is submitted.
 */
export function requireOpcode(op: number, probe: Probe = getProbe()): void {
  if (probe.supported(op)) return;
  const info = opcodeInfo(op);
  const err = new IoUringError(ERRNO.EOPNOTSUPP, 'io_uring_register', 'probe');
  err.message = info
    ? `IORING_OP_${info.name} is not supported by this kernel (${release()}): it needs Linux ${info.since} or newer; see ${info.man}`
    : `opcode ${op} is not supported by this kernel (${release()})`;
  throw err;
}

/** struct io_uring_probe as IORING_REGISTER_PROBE filled it (`resv` fields left out). */
export interface ProbeResult {
  /** `last_op`: the highest opcode the kernel knows. */
  lastOp: number;
  /** `ops_len`: how many of `ops` the kernel filled (the `nr` asked for, at most one past its last opcode). */
  opsLen: number;
  /** `ops[0..ops_len)`: each op's number and IO_URING_OP_* flags. */
  ops: {
    /** The IORING_OP_* number. */
    op: number;
    /** IO_URING_OP_SUPPORTED where the kernel has it. */
    flags: number;
  }[];
}

/**
 * io_uring_register_probe(3): IORING_REGISTER_PROBE on `ring` with room for
 * `nr` ops, returning what the kernel wrote. getProbeRing does the same with
 * room for every opcode, and decodes it.
 *
 * Differs from liburing: returns the probe rather than filling the caller's
 * `struct io_uring_probe *`; throws an IoUringError where liburing returns
 * -errno.
 * @since Linux 5.6
 * @see io_uring_register_probe(3)
 */
export function registerProbe(ring: IoUring, nr: number): ProbeResult {
  if (typeof nr !== 'number' || (nr >>> 0) !== nr) throw new RangeError(`nr must be an integer from 0 to 2^32-1 (got ${typeof nr === 'number' ? nr : typeof nr})`);
  // The kernel clamps nr to IORING_OP_LAST, which ops_len (a u8) bounds.
  const room = Math.min(nr, PROBE_OPS);
  const buf = new Uint8Array(io_uring_probe.sizeof + room * io_uring_probe_op.sizeof);
  ring.registerRaw(IORING_REGISTER_PROBE, buf, nr);
  const dv = new DataView(buf.buffer);
  const opsLen = buf[io_uring_probe.ops_len]!;
  const ops: { op: number; flags: number }[] = [];
  for (let i = 0; i < opsLen; i++) {
    const at = io_uring_probe.ops + i * io_uring_probe_op.sizeof;
    ops.push({ op: buf[at + io_uring_probe_op.op]!, flags: dv.getUint16(at + io_uring_probe_op.flags, true) });
  }
  return { lastOp: buf[io_uring_probe.last_op]!, opsLen, ops };
}
