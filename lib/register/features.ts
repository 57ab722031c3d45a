// The IORING_FEAT_* bits io_uring_setup reported, as named booleans.

import { prefixFlags } from '../uapi/names.ts';
import type { IoUring } from '../ring/io-uring.ts';

const PREFIX = 'IORING_FEAT_';
const FEATURES = prefixFlags(PREFIX);

/**
 * Every feature the pinned header names, true where the ring's kernel has it:
 * `{ SINGLE_MMAP: true, NODROP: true, ..., NO_IOWAIT: false }`, keyed by the
 * name after IORING_FEAT_. Bits this header does not know are under `unknown`.
 */
export function featureNames(ringOrBits: IoUring | number): Record<string, boolean> & {
  /** Bits set that the pinned header does not name. */
  unknown: number;
} {
  const bits = typeof ringOrBits === 'number' ? ringOrBits : ringOrBits.features;
  const out: Record<string, boolean> = {};
  let known = 0;
  for (const [name, bit] of FEATURES) {
    out[name.slice(PREFIX.length)] = (bits & bit) !== 0;
    known |= bit;
  }
  return Object.assign(out, { unknown: (bits & ~known) >>> 0 });
}
