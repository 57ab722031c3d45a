// Addresses of JS memory, for the kernel. A typed array's address is taken
// once per ArrayBuffer through the FFI and cached; once taken, the buffer is
// marked untransferable (node:worker_threads markAsUntransferable), so a
// postMessage transfer list can't detach it while the kernel writes into it:
// Node leaves such a buffer attached and copies it instead.

import { markAsUntransferable } from 'node:worker_threads';
import { addressOf } from '../../ffi/index.ts';

const bases = new WeakMap<ArrayBufferLike, number>();

// Per view: its address and length. On Node 20 reading a typed array's
// `buffer`, `byteOffset` or `byteLength` costs 9-30 ns (measured), more than
// the rest of preparing a read, so a view seen before is looked up instead.
// A view's address and length can't change: its buffer is fixed-size
// (resizable ones are refused) and marked untransferable, so it can't be
// detached by postMessage either.
interface ViewInfo {
  addr: number;
  len: number;
}
const views = new WeakMap<object, ViewInfo>();

function isDetached(buf: ArrayBufferLike): boolean {
  if (buf.byteLength !== 0 || buf instanceof SharedArrayBuffer) return false;
  try {
    new Uint8Array(buf);
    return false;
  } catch {
    return true;
  }
}

/**
 * The address of `view`'s first byte, after checking it can be handed to the
 * kernel: an ArrayBufferView, attached, on a fixed-size buffer, and at least
 * `need` bytes long. Throws TypeError or RangeError; `what` names the
 * argument in the message.
 */
export function addressFor(view: ArrayBufferView, need: number, what: string): number {
  const info = views.get(view);
  if (info !== undefined) {
    if (need > info.len) tooShort(view, need, what);
    return info.addr;
  }
  return slowAddress(view, need, what);
}

/**
 * The address of `view`'s first byte, for an SQE written as words
 * (`ring.sqes`) or a struct the kernel reads: checked as the encoders check a
 * buffer (a TypeError if it is detached or resizable, a RangeError if it is
 * shorter than `need` bytes). The address is valid while `view` is
 * referenced: keep it on the entry with `ring.sqeAt(pos).keep(view)`.
 */
export function bufferAddress(view: ArrayBufferView, need = 0): number {
  return addressFor(view, need, 'view');
}

function tooShort(view: ArrayBufferView, need: number, what: string): never {
  if (view.byteLength === 0 && isDetached(view.buffer)) throw new TypeError(`${what} is detached (its ArrayBuffer was transferred)`);
  throw new RangeError(`${what} holds ${view.byteLength} bytes; the operation needs ${need}`);
}

function slowAddress(view: ArrayBufferView, need: number, what: string): number {
  if (!ArrayBuffer.isView(view)) throw new TypeError(`${what} must be a Buffer, TypedArray or DataView`);
  const buf = view.buffer;
  if (view.byteLength === 0 && isDetached(buf)) throw new TypeError(`${what} is detached (its ArrayBuffer was transferred)`);
  if ((buf as { resizable?: boolean }).resizable === true || (buf as { growable?: boolean }).growable === true) {
    throw new TypeError(`${what} is on a resizable buffer, which could shrink under the kernel`);
  }
  if (need > view.byteLength) tooShort(view, need, what);
  let base = bases.get(buf);
  if (base === undefined) {
    if (buf.byteLength === 0) return 0; // nothing to read or write; the kernel gets len 0
    // Take the address through a view of the whole buffer: a zero-length
    // view at the end has no address of its own.
    base = addressOf(new Uint8Array(buf));
    if (!(buf instanceof SharedArrayBuffer)) markAsUntransferable(buf);
    bases.set(buf, base);
  }
  const addr = base + view.byteOffset;
  views.set(view, { addr, len: view.byteLength });
  return addr;
}

/** Checks `n` is a byte count an SQE's 32-bit `len` can carry. */
export function checkLength(n: number, what: string): void {
  if ((n >>> 0) !== n) throw new RangeError(`${what} must be an integer from 0 to 2^32-1 (got ${n})`);
}

/** Checks `fd` is a file descriptor (or registered-file index) an SQE can carry. */
export function checkFd(fd: number, what = 'fd'): void {
  if ((fd | 0) !== fd || fd < 0) {
    throw new TypeError(`${what} must be an integer from 0 to 2^31-1 (got ${typeof fd === 'number' ? fd : typeof fd})`);
  }
}

/** Checks a file offset: an integer, or -1 for "the file position" where the operation allows it. */
export function checkOffset(off: number, what = 'offset'): void {
  if ((off >>> 0) === off) return; // the common case: below 4 GiB
  if (!Number.isSafeInteger(off) || off < -1) throw new RangeError(`${what} must be an integer >= 0, or -1 for the current position (got ${off})`);
}

// Memory the kernel might still write when its owner went away (a ring closed
// with an operation that would not complete, or one the garbage collector
// found with work in flight). It is held for the life of the process: a leak
// is safe, a reuse is not.
const graveyard: unknown[] = [];
export function bury(...things: unknown[]): void {
  graveyard.push(...things);
}
export function buried(): number {
  return graveyard.length;
}

/**
 * A zero-filled Buffer of `size` bytes whose address is a multiple of
 * `alignment` (a power of two, default 4096): what O_DIRECT reads and writes
 * need, and what keeps a 4 KiB read within one page. The Buffer is a view of
 * a slightly larger ArrayBuffer.
 */
export function allocAligned(size: number, alignment = 4096): Buffer {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`size must be a non-negative integer (got ${size})`);
  if (!Number.isInteger(alignment) || alignment < 1 || (alignment & (alignment - 1)) !== 0) {
    throw new RangeError(`alignment must be a power of two (got ${alignment})`);
  }
  const ab = new ArrayBuffer(size + alignment);
  const base = addressFor(new Uint8Array(ab), 0, 'buffer');
  const skip = (alignment - (base % alignment)) % alignment;
  return Buffer.from(ab, skip, size);
}
