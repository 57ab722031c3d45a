// IORING_REGISTER_ZCRX_IFQ: zero-copy receive needs a NIC with header split
// and a queue to dedicate, which this machine lacks. What can be checked
// here: the arguments are checked before the call, the registration reaches
// the kernel and comes back as a clear IoUringError, and the ring goes on.

import { describe, expect, it } from 'vitest';
import {
  IoUring, IoUringError, allocAligned, prepNop,
  IORING_SETUP_CQE32, IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_SINGLE_ISSUER,
} from '../lib/index.ts';
import { registerIfq } from '../lib/register/zcrx.ts';
import { runOne } from './helpers.ts';

const flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQE32;
const LOOPBACK = 1; // lo's interface index

describe('registerIfq', () => {
  it('checks its arguments before calling the kernel', () => {
    using ring = new IoUring(8, { flags });
    const area = allocAligned(4 * 4096);
    expect(() => registerIfq(ring, { ifIdx: LOOPBACK, rxq: 0, rqEntries: 3, area })).toThrow(RangeError);
    expect(() => registerIfq(ring, { ifIdx: -1, rxq: 0, rqEntries: 64, area })).toThrow(RangeError);
    expect(() => registerIfq(ring, { ifIdx: LOOPBACK, rxq: 0, rqEntries: 64, area: area.subarray(1) })).toThrow(/page-aligned/);
    expect(() => registerIfq(ring, { ifIdx: LOOPBACK, rxq: 0, rqEntries: 64, area: Buffer.alloc(0) })).toThrow(RangeError);
  });

  it('on a NIC that cannot do it (loopback), the kernel refuses with an IoUringError and the ring goes on', () => {
    using ring = new IoUring(8, { flags });
    let err: unknown;
    try {
      registerIfq(ring, { ifIdx: LOOPBACK, rxq: 0, rqEntries: 64, area: allocAligned(16 * 4096) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IoUringError);
    expect(err).toMatchObject({ syscall: 'io_uring_register' });
    expect(['EINVAL', 'EOPNOTSUPP', 'ENODEV', 'EPERM', 'ERANGE']).toContain((err as IoUringError).code);
    expect((err as Error).message).toContain('register_ifq');
    expect(runOne(ring, prepNop, 1).res).toBe(0);
  });
});
