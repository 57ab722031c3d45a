// Bit flags and enumerations as names: the library's one namer, for the
// decoders, snapshots, traces and the capability report. A flag word is
// named from a table of [name, mask] pairs: the constants of one or more
// prefixes in the pinned header, or a list given by name where a field takes
// constants of several headers (poll(2) and epoll(7) events) or only some of
// a prefix (POLL_REMOVE's flags). Never on a hot path.

import * as C from './constants.ts';

/**
 * [name, mask] pairs, in the order they are tried: masks of several bits
 * (O_SYNC, STATX_BASIC_STATS) first, then single bits, lowest first. A mask
 * is named only when every bit of it is set, and takes those bits.
 */
export type FlagTable = readonly (readonly [name: string, mask: number])[];

function popcount(v: number): number {
  let n = 0;
  for (let x = v >>> 0; x !== 0; x >>>= 1) n += x & 1;
  return n;
}

function byWidthThenValue(a: readonly [string, number], b: readonly [string, number]): number {
  return popcount(b[1]) - popcount(a[1]) || (a[1] >>> 0) - (b[1] >>> 0);
}

/**
 * A table from `{ NAME }` shorthand (`flagTable({ RWF_HIPRI, RWF_DSYNC })`),
 * so a name can't drift from its constant. A zero value names no bit and is
 * left out; O_SYNC comes before the O_DSYNC it contains.
 */
export function flagTable(named: Readonly<Record<string, number>>): FlagTable {
  return Object.entries(named).filter(([, v]) => v !== 0).sort(byWidthThenValue);
}

const families = new Map<string, FlagTable>();

/**
 * The single-bit constants of the pinned header whose names start with one
 * of `prefixes`, lowest bit first (`prefixFlags('IORING_TIMEOUT_',
 * 'IORING_LINK_TIMEOUT_')` for a TIMEOUT's flags). Bit numbers, shifts and
 * masks of valid flags (IOSQE_ASYNC_BIT is 4, IORING_CQE_BUFFER_SHIFT 16,
 * IORING_URING_CMD_MASK the flags URING_CMD takes) are not flags, whatever
 * their value.
 */
export function prefixFlags(...prefixes: string[]): FlagTable {
  const key = prefixes.join(' ');
  let f = families.get(key);
  if (f === undefined) {
    f = Object.entries(C)
      .filter(([k, v]) => prefixes.some((p) => k.startsWith(p)) && !/_(BIT|SHIFT|MASK)$/.test(k)
        && typeof v === 'number' && v > 0 && (v & (v - 1)) === 0)
      .map(([k, v]) => [k, v as number] as const)
      .sort(byWidthThenValue);
    families.set(key, f);
  }
  return f;
}

/**
 * The names of the flags set in `bits`: among the constants starting with
 * `prefix` (e.g. 'IORING_SETUP_'; `strip` leaves the prefix out), or from a
 * table made by flagTable() or prefixFlags(). Lowest bit first, a mask of
 * several bits before its parts; bits nothing names come last as one hex
 * number, so nothing set is left out.
 */
export function flagNames(bits: number, prefix: string, strip?: boolean): string[];
export function flagNames(bits: number, table: FlagTable): string[];
export function flagNames(bits: number, family: string | FlagTable, strip = false): string[] {
  const table = typeof family === 'string' ? prefixFlags(family) : family;
  const cut = strip && typeof family === 'string' ? family.length : 0;
  const out: string[] = [];
  let left = bits >>> 0;
  for (const [name, mask] of table) {
    if (((left & mask) >>> 0) === mask >>> 0) {
      out.push(cut ? name.slice(cut) : name);
      left = (left & ~mask) >>> 0;
    }
  }
  if (left !== 0) out.push(`0x${left.toString(16)}`);
  return out;
}

/**
 * An enumeration (values, not bits: an advice, a socket domain) from
 * `{ NAME }` shorthand, by value: `valueNames({ SHUT_RD, SHUT_WR }).get(1)`
 * is 'SHUT_WR'.
 */
export function valueNames(named: Readonly<Record<string, number>>): ReadonlyMap<number, string> {
  return new Map(Object.entries(named).map(([k, v]) => [v, k]));
}
