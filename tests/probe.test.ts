// The probe: getProbe, getProbeRing and registerProbe, opcodeSupported in
// liburing's argument order, and requireOpcode: an operation the running
// kernel lacks is refused before anything is submitted, by name and with the
// release that added it.

import { describe, expect, it } from 'vitest';
import {
  IoUring, IoUringError, getProbe, getProbeRing, opcodeSupported, registerProbe, requireOpcode, OPCODES,
  IORING_OP_NOP, IORING_OP_READ, IORING_OP_URING_CMD128, IORING_OP_LAST,
} from '../lib/index.ts';

describe('probe', () => {
  it('says the basic opcodes are supported, and matches a ring-taken probe', () => {
    const p = getProbe();
    expect(p.supported(IORING_OP_NOP)).toBe(true);
    expect(opcodeSupported(p, IORING_OP_READ)).toBe(true);
    expect(p.lastOp).toBeGreaterThanOrEqual(IORING_OP_READ);
    using ring = new IoUring(2);
    const q = getProbeRing(ring);
    expect(Array.from({ length: 256 }, (_, i) => q.supported(i))).toEqual(Array.from({ length: 256 }, (_, i) => p.supported(i)));
    expect(p.supported(IORING_OP_LAST)).toBe(false);
    expect(p.supported(-1)).toBe(false);
  });

  it('opcodeSupported takes the probe first, as io_uring_opcode_supported(p, op) does', () => {
    const p = getProbe();
    expect(opcodeSupported(p, IORING_OP_NOP)).toBe(true);
    expect(opcodeSupported(p, IORING_OP_LAST)).toBe(false);
    // The old order (op, probe) is refused, not read as a probe.
    expect(() => opcodeSupported(IORING_OP_NOP as unknown as typeof p, p as unknown as number)).toThrow(TypeError);
  });

  it('registerProbe returns last_op, ops_len and the ops the kernel filled', () => {
    using ring = new IoUring(2);
    const p = getProbeRing(ring);
    const all = registerProbe(ring, 256);
    expect(all.lastOp).toBe(p.lastOp);
    // The kernel clamps nr to IORING_OP_LAST: one entry per opcode it knows.
    expect(all.opsLen).toBe(p.lastOp + 1);
    expect(all.ops.map((o) => o.op)).toEqual(Array.from({ length: all.opsLen }, (_, i) => i));
    expect(all.ops.map((o) => o.flags)).toEqual(Array.from(p.flags.subarray(0, all.opsLen)));
    const few = registerProbe(ring, 4);
    expect(few.opsLen).toBe(4);
    expect(few.ops).toEqual(all.ops.slice(0, 4));
    expect(few.lastOp).toBe(p.lastOp);
    for (const bad of [-1, 1.5, 2 ** 32, '4' as unknown as number]) expect(() => registerProbe(ring, bad)).toThrow(RangeError);
  });

  it('requireOpcode lets a supported opcode through', () => {
    expect(() => requireOpcode(IORING_OP_READ)).not.toThrow();
  });

  const has128 = getProbe().supported(IORING_OP_URING_CMD128);
  it.skipIf(has128)(`7. a missing opcode is refused by name and release, before submitting${has128 ? ' (skipped: this kernel has URING_CMD128)' : ''}`, () => {
    let err: unknown;
    try {
      requireOpcode(IORING_OP_URING_CMD128);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IoUringError);
    expect(err).toMatchObject({ code: 'EOPNOTSUPP', errno: -95 });
    const info = OPCODES[IORING_OP_URING_CMD128]!;
    expect((err as Error).message).toContain(`IORING_OP_URING_CMD128 is not supported by this kernel`);
    expect((err as Error).message).toContain(`Linux ${info.since}`);
    expect((err as Error).message).toContain('io_uring_prep_uring_cmd128(3)');
  });

  it('an opcode past the table is refused by number', () => {
    expect(() => requireOpcode(200)).toThrow(/opcode 200 is not supported/);
  });
});
