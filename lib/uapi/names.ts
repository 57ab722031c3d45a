// Bit flags and enumerations of the pinned header as names: the constants
// of one family (one prefix) looked up by value, for decoders, snapshots and
// traces. Never on a hot path.

import * as C from './constants.ts';

const families = new Map<string, readonly [string, number][]>();

// The single-bit constants whose names start with `prefix`, lowest bit first.
// Bit numbers and shifts (IOSQE_ASYNC_BIT is 4, IORING_CQE_BUFFER_SHIFT 16)
// are counts, not masks, whatever their value.
function family(prefix: string): readonly [string, number][] {
  let f = families.get(prefix);
  if (f === undefined) {
    f = Object.entries(C)
      .filter(([k, v]) => k.startsWith(prefix) && !/_(BIT|SHIFT)$/.test(k) && typeof v === 'number' && v > 0 && (v & (v - 1)) === 0)
      .map(([k, v]) => [k, v as number] as [string, number])
      .sort((a, b) => a[1] - b[1]);
    families.set(prefix, f);
  }
  return f;
}

/**
 * The names of the bits set in `bits` among the constants starting with
 * `prefix` (e.g. 'IORING_SETUP_'), lowest first; bits no constant names
 * come last as one hex number, so nothing set is left out.
 */
export function flagNames(bits: number, prefix: string, strip = false): string[] {
  const out: string[] = [];
  let left = bits >>> 0;
  for (const [name, bit] of family(prefix)) {
    if ((left & bit) !== 0) {
      out.push(strip ? name.slice(prefix.length) : name);
      left = (left & ~bit) >>> 0;
    }
  }
  if (left !== 0) out.push(`0x${left.toString(16)}`);
  return out;
}
