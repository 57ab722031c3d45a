// Addresses of JS memory, for the kernel. A typed array's address is taken
// once per ArrayBuffer through the FFI and cached; once taken, the buffer is
// marked untransferable (node:worker_threads markAsUntransferable), so a
// postMessage transfer list can't detach it while the kernel writes into it:
// Node leaves such a buffer attached and copies it instead.

import { markAsUntransferable } from 'node:worker_threads';
import { addressOf } from '../../ffi/index.ts';

const bases = new WeakMap<ArrayBufferLike, number>();

// The engine's own accessors, taken once at load. A view's `byteLength`,
// `byteOffset` and `buffer` read through the object can lie (an own
// property, a subclass getter, a Proxy's trap) and make the kernel write past
// the memory; these read the internal slots, whatever the object says.
// %TypedArray%.prototype[Symbol.toStringTag]'s getter is the spec's brand
// check: undefined for anything but a typed array (so for a DataView).
const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
function intrinsicGetter(proto: object, name: PropertyKey): ((this: unknown) => unknown) | undefined {
  return Object.getOwnPropertyDescriptor(proto, name)?.get as ((this: unknown) => unknown) | undefined;
}
const taTag = intrinsicGetter(typedArrayProto, Symbol.toStringTag)!;
const taBuffer = intrinsicGetter(typedArrayProto, 'buffer')!;
const taByteOffset = intrinsicGetter(typedArrayProto, 'byteOffset')!;
const taByteLength = intrinsicGetter(typedArrayProto, 'byteLength')!;
const dvBuffer = intrinsicGetter(DataView.prototype, 'buffer')!;
const dvByteOffset = intrinsicGetter(DataView.prototype, 'byteOffset')!;
const dvByteLength = intrinsicGetter(DataView.prototype, 'byteLength')!;
const abByteLength = intrinsicGetter(ArrayBuffer.prototype, 'byteLength')!;
const abResizable = intrinsicGetter(ArrayBuffer.prototype, 'resizable');
const sabGrowable = intrinsicGetter(SharedArrayBuffer.prototype, 'growable');
const isView = ArrayBuffer.isView;
const Uint8ArrayCtor = Uint8Array;
const SharedArrayBufferCtor = SharedArrayBuffer;
const apply = Reflect.apply;

// Node 24 makes a buffer marked untransferable non-detachable, so
// ArrayBuffer.prototype.transfer() refuses it too; Node 22 still lets
// transfer() detach it and move (or copy and free) its memory while the
// kernel may be writing there. Where that is so, the two methods refuse the
// buffers whose address this library handed out, as Node 24 does.
function guardTransfer(): void {
  const proto = ArrayBuffer.prototype as unknown as Record<string, unknown>;
  for (const name of ['transfer', 'transferToFixedLength']) {
    const original = proto[name];
    if (typeof original !== 'function') continue;
    Object.defineProperty(proto, name, {
      configurable: true,
      writable: true,
      value: {
        [name](this: ArrayBuffer, ...args: unknown[]): ArrayBuffer {
          if (bases.has(this)) throw new TypeError('ArrayBuffer is not detachable: tsuring gave its address to the kernel');
          return apply(original as (...a: unknown[]) => ArrayBuffer, this, args);
        },
      }[name],
    });
  }
}

// The buffers of non-shared WebAssembly.Memory objects, as their `buffer`
// getter hands them out. Such a buffer is detached only by the memory's own
// grow, which grows it in place (V8 reserves a wasm memory's whole range),
// so it needs no mark; and it must not get one where the mark makes a
// buffer non-detachable: from Node 24, grow() of a memory whose buffer was
// marked aborts the process (V8's FromJust on the refused detach). A buffer
// taken before this module loaded is not seen here.
const wasmBuffers = new WeakSet<ArrayBufferLike>();
function watchWasmBuffers(): void {
  const memory = (globalThis as { WebAssembly?: { Memory?: { prototype: object } } }).WebAssembly?.Memory;
  if (memory === undefined) return;
  const d = Object.getOwnPropertyDescriptor(memory.prototype, 'buffer');
  const get = d?.get;
  if (get === undefined || d!.configurable !== true) return;
  const watched = {
    get buffer(): ArrayBufferLike {
      const b = apply(get, this, []) as ArrayBufferLike;
      if (!(b instanceof SharedArrayBufferCtor)) wasmBuffers.add(b);
      return b;
    },
  };
  Object.defineProperty(memory.prototype, 'buffer', { ...d, get: intrinsicGetter(watched, 'buffer') });
}

// Which of the two this Node needs: whether a marked buffer can still be
// detached by transfer() (Node 21 and 22) or not (Node 24 on). Node 20 has
// no transfer() and needs neither.
function guardDetach(): void {
  if (typeof (ArrayBuffer.prototype as unknown as Record<string, unknown>).transfer !== 'function') return;
  const probe = new ArrayBuffer(8);
  markAsUntransferable(probe);
  try {
    (probe as unknown as { transfer(): ArrayBuffer }).transfer();
  } catch {
    watchWasmBuffers();
    return;
  }
  guardTransfer();
}
guardDetach();

// A Proxy of a view is not a view (ArrayBuffer.isView is false for it), so
// after isView every read below is of a real view's internal slots.
function isTypedArray(view: ArrayBufferView): boolean {
  return apply(taTag, view, []) !== undefined;
}

/**
 * Whether `v` is a Uint8Array (a Buffer too), by the engine's own brand
 * check: no getter, prototype lookup or Proxy trap of the object runs, so a
 * revoked Proxy or a lying subclass can't throw or answer for it.
 */
export function isUint8View(v: unknown): v is Uint8Array {
  return isView(v) && apply(taTag, v, []) === 'Uint8Array';
}

/**
 * A view's length in bytes, read from its internal slot (0 once its buffer
 * is detached): what the kernel may really touch. Throws a TypeError for
 * anything that is not a Buffer, TypedArray or DataView.
 */
export function byteLengthOf(view: ArrayBufferView, what = 'view'): number {
  if (!isView(view)) throw new TypeError(`${what} must be a Buffer, TypedArray or DataView`);
  return (isTypedArray(view) ? apply(taByteLength, view, []) : apply(dvByteLength, view, [])) as number;
}

function byteOffsetOf(view: ArrayBufferView, typed: boolean): number {
  return (typed ? apply(taByteOffset, view, []) : apply(dvByteOffset, view, [])) as number;
}

function bufferOf(view: ArrayBufferView, typed: boolean): ArrayBufferLike {
  return (typed ? apply(taBuffer, view, []) : apply(dvBuffer, view, [])) as ArrayBufferLike;
}

/**
 * @internal A plain Uint8Array over the same bytes as `view`, made from its
 * internal slots: its length, offset and subarray() are the engine's, not a
 * subclass's or an own property's; from byte `start` on. Throws a TypeError
 * for a non-view, a RangeError when it holds fewer than `start` bytes.
 */
export function bytesOf(view: ArrayBufferView, what = 'view', start = 0): Uint8Array {
  if (!isView(view)) throw new TypeError(`${what} must be a Buffer, TypedArray or DataView`);
  const typed = isTypedArray(view);
  const len = (typed ? apply(taByteLength, view, []) : apply(dvByteLength, view, [])) as number;
  if (!(start <= len)) throw new RangeError(`${what} holds ${len} bytes, fewer than ${start}`);
  return new Uint8ArrayCtor(bufferOf(view, typed), byteOffsetOf(view, typed) + start, len - start);
}

/**
 * @internal Whether `view` is on a resizable ArrayBuffer or a growable
 * SharedArrayBuffer (which addressFor refuses), by the engine's own slots.
 */
export function onResizable(view: ArrayBufferView): boolean {
  if (!isView(view)) return false;
  const buf = bufferOf(view, isTypedArray(view));
  return buf instanceof SharedArrayBufferCtor
    ? sabGrowable !== undefined && apply(sabGrowable, buf, []) === true
    : abResizable !== undefined && apply(abResizable, buf, []) === true;
}

/** @internal The ArrayBuffer of a view, from its internal slot, whatever the view says. */
export function viewBuffer(view: ArrayBufferView): ArrayBufferLike {
  return bufferOf(view, isTypedArray(view));
}

// Per view: its address and length. On Node 20 reading a typed array's
// `buffer`, `byteOffset` or `byteLength` costs 9-30 ns (measured), more than
// the rest of preparing a read, so a view seen before is looked up instead,
// and only its length is read again: a view's address and length can't
// change while its buffer is attached (resizable buffers are refused, and
// the buffer is marked untransferable, so postMessage can't detach it), but
// other ways to detach one remain (a WebAssembly.Memory that grows, a
// transfer()), and a detached view reads length 0.
interface ViewInfo {
  addr: number;
  len: number;
  typed: boolean;
}
const views = new WeakMap<object, ViewInfo>();

function isDetached(buf: ArrayBufferLike): boolean {
  if (buf instanceof SharedArrayBufferCtor) return false;
  if (apply(abByteLength, buf, []) !== 0) return false;
  try {
    new Uint8ArrayCtor(buf);
    return false;
  } catch {
    return true;
  }
}

/**
 * The address of `view`'s first byte, after checking it can be handed to the
 * kernel: an ArrayBufferView, attached, on a fixed-size buffer, and at least
 * `need` bytes long. Every fact is read from the view's internal slots, never
 * through the object. Throws TypeError or RangeError; `what` names the
 * argument in the message.
 */
export function addressFor(view: ArrayBufferView, need: number, what: string): number {
  const info = views.get(view);
  if (info !== undefined) {
    const len = info.typed ? apply(taByteLength, view, []) : apply(dvByteLength, view, []);
    if (len === info.len) {
      if (!(need <= len)) tooShort(view, need, what);
      return info.addr;
    }
    views.delete(view); // detached since: the slow path says so
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
  const len = byteLengthOf(view, what);
  if (len === 0 && isDetached(bufferOf(view, isTypedArray(view)))) throw new TypeError(`${what} is detached (its ArrayBuffer was transferred)`);
  throw new RangeError(`${what} holds ${len} bytes; the operation needs ${need}`);
}

function slowAddress(view: ArrayBufferView, need: number, what: string): number {
  if (!isView(view)) throw new TypeError(`${what} must be a Buffer, TypedArray or DataView`);
  const typed = isTypedArray(view);
  const buf = bufferOf(view, typed);
  const len = (typed ? apply(taByteLength, view, []) : apply(dvByteLength, view, [])) as number;
  if (len === 0 && isDetached(buf)) throw new TypeError(`${what} is detached (its ArrayBuffer was transferred)`);
  const shared = buf instanceof SharedArrayBufferCtor;
  const growing = shared
    ? sabGrowable !== undefined && apply(sabGrowable, buf, []) === true
    : abResizable !== undefined && apply(abResizable, buf, []) === true;
  if (growing) throw new TypeError(`${what} is on a resizable buffer, which could shrink under the kernel`);
  if (!(need <= len)) {
    if (typeof need !== 'number' || Number.isNaN(need)) throw new TypeError(`${what}: the length must be a number (got ${typeof need === 'number' ? need : typeof need})`);
    tooShort(view, need, what);
  }
  let base = bases.get(buf);
  if (base === undefined) {
    if (!shared && apply(abByteLength, buf, []) === 0) return 0; // nothing to read or write; the kernel gets len 0
    // Take the address through a view of the whole buffer: a zero-length
    // view at the end has no address of its own.
    base = addressOf(new Uint8ArrayCtor(buf));
    if (!shared && !wasmBuffers.has(buf)) markAsUntransferable(buf);
    bases.set(buf, base);
  }
  const addr = base + byteOffsetOf(view, typed);
  views.set(view, { addr, len, typed });
  return addr;
}

/**
 * A copy of the array `list`, its length read once and each element once,
 * for an encoder or registration that names every element's memory: the
 * caller's array may be emptied, or be a Proxy whose length changes between
 * reads, and only what was encoded may be kept. `max` bounds the length.
 */
export function snapshotList<T>(list: readonly T[], what: string, max = 0x7fffffff): T[] {
  if (!Array.isArray(list)) throw new TypeError(`${what} must be an array`);
  const n = list.length;
  if (!Number.isSafeInteger(n) || n < 0 || n > max) throw new RangeError(`${what} has ${String(n)} elements; at most ${max} are allowed`);
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = list[i]!;
  return out;
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
