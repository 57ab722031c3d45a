// The probe, and RELIABILITY 7: an operation the running kernel lacks is
// refused before anything is submitted, by name and with the release that
// added it.

import { describe, expect, it } from 'vitest';
import {
  IoUring, IoUringError, getProbe, getProbeRing, opcodeSupported, requireOpcode, OPCODES,
  IORING_OP_NOP, IORING_OP_READ, IORING_OP_URING_CMD128, IORING_OP_LAST,
} from '../lib/index.ts';

describe('probe', () => {
  it('says the basic opcodes are supported, and matches a ring-taken probe', () => {
    const p = getProbe();
    expect(p.supported(IORING_OP_NOP)).toBe(true);
    expect(opcodeSupported(IORING_OP_READ)).toBe(true);
    expect(p.lastOp).toBeGreaterThanOrEqual(IORING_OP_READ);
    using ring = new IoUring(2);
    const q = getProbeRing(ring);
    expect(Array.from({ length: 256 }, (_, i) => q.supported(i))).toEqual(Array.from({ length: 256 }, (_, i) => p.supported(i)));
    expect(p.supported(IORING_OP_LAST)).toBe(false);
    expect(p.supported(-1)).toBe(false);
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
