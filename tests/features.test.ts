// featureNames: the IORING_FEAT_* bits io_uring_setup reported, by name.

import { describe, expect, it } from 'vitest';
import { IoUring, IORING_FEAT_EXT_ARG, IORING_FEAT_NODROP, IORING_FEAT_SINGLE_MMAP } from '../lib/index.ts';
import { featureNames } from '../lib/register/features.ts';

describe('featureNames', () => {
  it('names each bit of a number, and keeps what it does not know', () => {
    const f = featureNames(IORING_FEAT_SINGLE_MMAP | IORING_FEAT_EXT_ARG | 0x80000000);
    expect(f.SINGLE_MMAP).toBe(true);
    expect(f.EXT_ARG).toBe(true);
    expect(f.NODROP).toBe(false);
    expect(f.unknown).toBe(0x80000000);
  });

  it("matches the ring's features, which on this kernel include NODROP and EXT_ARG", () => {
    using ring = new IoUring(2);
    const f = featureNames(ring);
    expect(f.NODROP).toBe((ring.features & IORING_FEAT_NODROP) !== 0);
    const set = Object.entries(f).filter(([k, v]) => k !== 'unknown' && v === true).length;
    expect(set).toBe([...ring.features.toString(2)].filter((c) => c === '1').length - [...f.unknown.toString(2)].filter((c) => c === '1').length);
  });
});
