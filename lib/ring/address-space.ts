// Each ring in shared memory reserves about 10 GiB of address space (its
// WebAssembly.Memory's guard region: see ringMemory in setup.ts), and
// x86_64 gives a process 128 TiB. Past about 107 TiB (11,000 rings) making
// rings slowed from 0.5 ms to over 60 ms each as V8 collected garbage to find
// room, and at 13,088 reservations V8 refused outright (measured, Node 20).
// So past 25/32 of the space (100 TiB, about 10,200 rings), or of RLIMIT_AS
// where that is lower, a ring's memory is no longer reserved this way: the
// process keeps room to work.

import { readFileSync } from 'node:fs';
import * as ffi from '../../ffi/index.ts';

const RLIMIT_AS = 9;
const TASK_SIZE = 2 ** 47;
const PAGE = 4096;

/** Why a shared ring was refused when the address space is low. */
export const ADDRESS_SPACE_NOTE = 'over 25/32 of the address space is reserved, most of it by rings (about 10 GiB each)';

/** Whether this process has reserved over 25/32 of the address space it may use. */
export function addressSpaceLow(): boolean {
  let limit = TASK_SIZE;
  const rl = ffi.getrlimit(RLIMIT_AS);
  if (typeof rl !== 'number' && rl[0] < BigInt(limit)) limit = Number(rl[0]);
  let statm: string;
  try {
    statm = readFileSync('/proc/self/statm', 'latin1');
  } catch {
    return false; // out of fds, say: setup itself will say what is wrong
  }
  const pages = Number(statm.slice(0, statm.indexOf(' ')));
  return pages * PAGE > (limit / 32) * 25;
}
