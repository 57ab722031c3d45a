// Paths and other C strings for the kernel: NUL-terminated bytes in memory the
// entry keeps.

const encoder = new TextEncoder();

/**
 * `s` as a NUL-terminated C string: a string is UTF-8 encoded; bytes are
 * copied. A NUL inside would cut the path short where the kernel reads it, so
 * it is a TypeError.
 */
export function cString(s: string | Uint8Array, what = 'path'): Uint8Array {
  let bytes: Uint8Array;
  if (typeof s === 'string') bytes = encoder.encode(s);
  else if (s instanceof Uint8Array) bytes = s;
  else throw new TypeError(`${what} must be a string or a Uint8Array`);
  if (bytes.includes(0)) throw new TypeError(`${what} contains a NUL byte`);
  const out = new Uint8Array(new ArrayBuffer(bytes.length + 1));
  out.set(bytes);
  return out;
}
