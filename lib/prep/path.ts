// Paths and other C strings for the kernel: NUL-terminated bytes in memory the
// entry keeps.

import { byteLengthOf } from '../ring/memory.ts';

const encoder = new TextEncoder();

/**
 * `s` as a NUL-terminated C string in fresh memory: a string is UTF-8
 * encoded; bytes are copied (their length read from the view's internal
 * slot, so a lying `length` can't change what is copied). A NUL inside would
 * cut the path short where the kernel reads it, so it is a TypeError; so is
 * a detached Uint8Array.
 */
export function cString(s: string | Uint8Array, what = 'path'): Uint8Array {
  let out: Uint8Array;
  let n: number;
  if (typeof s === 'string') {
    const bytes = encoder.encode(s);
    n = bytes.length;
    out = new Uint8Array(new ArrayBuffer(n + 1));
    out.set(bytes);
  } else if (s instanceof Uint8Array) {
    n = byteLengthOf(s, what);
    // A detached view reads length 0; constructing from it throws.
    if (n === 0 && isDetachedView(s)) throw new TypeError(`${what} is detached (its ArrayBuffer was transferred)`);
    out = new Uint8Array(new ArrayBuffer(n + 1));
    out.set(s); // %TypedArray%.prototype.set reads the source's internal slots
  } else {
    throw new TypeError(`${what} must be a string or a Uint8Array`);
  }
  // Searched in the copy, which no caller's object can reach.
  if (out.indexOf(0) !== n) throw new TypeError(`${what} contains a NUL byte`);
  return out;
}

function isDetachedView(v: Uint8Array): boolean {
  try {
    new Uint8Array(v);
    return false;
  } catch {
    return true;
  }
}
