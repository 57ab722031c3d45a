// Arguments read as node:fs/promises reads them (Node's validators in
// lib/internal/validators.js and lib/internal/fs/utils.js): the same
// checks, in the same order, throwing the same codes, so that a call Node
// refuses is refused here before anything reaches the ring.

import { Buffer } from 'node:buffer';
import { fileURLToPath } from 'node:url';
import { isUint8Array } from 'node:util/types';
import { argError, invalidArgType, invalidArgValue, outOfRange } from './errors.ts';
import { validateInteger } from './flags.ts';

const typedArrayIncludes = Object.getPrototypeOf(Uint8Array.prototype).includes as (this: Uint8Array, v: number) => boolean;

/** The major version of the Node running: where node:fs/promises differs by line, tsuring/fs follows the one it runs on. */
export const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** A path as node:fs takes it. */
export type PathLike = string | Buffer | URL;

function isURL(v: unknown): v is URL {
  return v != null && typeof v === 'object' && (v as URL).href !== undefined && (v as URL).protocol !== undefined
    && (v as { auth?: unknown }).auth === undefined && (v as { path?: unknown }).path === undefined;
}

/**
 * Node's getValidatedPath: a string, a Buffer (any Uint8Array) or a file:
 * URL, without NUL bytes. Returns the path itself when it is a string (the
 * common case allocates nothing).
 */
export function validPath(p: unknown, name = 'path'): string | Uint8Array {
  if (isURL(p)) p = fileURLToPath(p);
  if (typeof p === 'string') {
    if (p.includes('\u0000')) throw invalidArgValue(name, p, 'must be a string, Uint8Array, or URL without null bytes');
    return p;
  }
  // By the engine's own check, as Node's validatePath: a Proxy of a
  // Uint8Array is no path, and the NUL search reads the view's own bytes.
  if (isUint8Array(p)) {
    if (typedArrayIncludes.call(p, 0)) throw invalidArgValue(name, p, 'must be a string, Uint8Array, or URL without null bytes');
    return p;
  }
  throw invalidArgType(name, 'of type string or an instance of Buffer or URL', p);
}


/** Node's assertEncoding. */
export function assertEncoding(encoding: unknown): void {
  if (encoding && !Buffer.isEncoding(encoding as string)) throw invalidArgValue('encoding', encoding, 'is invalid encoding');
}

/** Node's validateAbortSignal. */
export function validateAbortSignal(signal: unknown, name: string): asserts signal is AbortSignal | undefined {
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || !('aborted' in signal))) {
    throw invalidArgType(name, 'an instance of AbortSignal', signal);
  }
}

/**
 * Node's getOptions: null, undefined or a function give `defaults`; a
 * string is the encoding; an object is used as it is (not merged with the
 * defaults), its encoding and signal checked.
 */
export function getOptions<T extends object>(options: unknown, defaults: T): T & { encoding?: BufferEncoding | 'buffer' | null; signal?: AbortSignal } {
  if (options == null || typeof options === 'function') return defaults;
  let o: Record<string, unknown>;
  if (typeof options === 'string') {
    o = { ...defaults, encoding: options };
  } else if (typeof options !== 'object') {
    throw invalidArgType('options', 'one of type string or object', options);
  } else {
    o = options as Record<string, unknown>;
  }
  if (o.encoding !== 'buffer') assertEncoding(o.encoding);
  if (o.signal !== undefined) validateAbortSignal(o.signal, 'options.signal');
  return o as never;
}

/** Node's validateObject (null allowed when `nullable`). */
export function validateObject(value: unknown, name: string, nullable = false): void {
  if ((!nullable && value === null) || Array.isArray(value) || (typeof value !== 'object' && typeof value !== 'function') ) {
    throw invalidArgType(name, 'of type object', value);
  }
}

/** Node's validateBoolean. */
export function validateBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
}

/** Node's validateBuffer. */
export function validateBuffer(buffer: unknown, name = 'buffer'): asserts buffer is ArrayBufferView {
  if (!ArrayBuffer.isView(buffer)) throw invalidArgType(name, 'an instance of Buffer, TypedArray, or DataView', buffer);
}

/** Node's validateBufferArray. */
export function validateBufferArray(buffers: unknown, name = 'buffers'): asserts buffers is ArrayBufferView[] {
  if (!Array.isArray(buffers)) throw invalidArgType(name, 'an ArrayBufferView[]', buffers);
  for (let i = 0; i < buffers.length; i++) {
    if (!ArrayBuffer.isView(buffers[i])) throw invalidArgType(name, 'an ArrayBufferView[]', buffers);
  }
}

/** Node's validateStringAfterArrayBufferView. */
export function validateStringAfterArrayBufferView(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string or an instance of Buffer, TypedArray, or DataView', value);
}

/** Node's validateOffsetLengthRead. */
export function validateOffsetLengthRead(offset: number, length: number, bufferLength: number): void {
  if (offset < 0) throw outOfRange('offset', '>= 0', offset);
  if (length < 0) throw outOfRange('length', '>= 0', length);
  if (offset + length > bufferLength) throw outOfRange('length', `<= ${bufferLength - offset}`, length);
}

/** Node's validateOffsetLengthWrite. */
export function validateOffsetLengthWrite(offset: number, length: number, byteLength: number): void {
  if (offset > byteLength) throw outOfRange('offset', `<= ${byteLength}`, offset);
  if (length > byteLength - offset) throw outOfRange('length', `<= ${byteLength - offset}`, length);
  if (length < 0) throw outOfRange('length', '>= 0', length);
  validateInteger(length, 'length', 0, 2 ** 31 - 1);
}

/**
 * Node's validatePosition (Node 22 and later): an integer from -1, or a
 * bigint that leaves room for `length` bytes below 2^63.
 */
export function validatePosition(position: unknown, name: string, length: number): void {
  if (typeof position === 'number') {
    validateInteger(position, name, -1);
  } else if (typeof position === 'bigint') {
    const max = 2n ** 63n - 1n - BigInt(length);
    if (!(position >= -1n && position <= max)) throw outOfRange(name, `>= -1 && <= ${max}`, position);
  } else {
    throw invalidArgType(name, 'of type number or bigint', position);
  }
}

/**
 * A file position for the ring: -1 (the file position) for null, undefined,
 * negative numbers and numbers that are no safe integer (NaN, 1.5, 2^64),
 * as Node's binding takes any of them as -1 (GET_OFFSET in
 * src/node_file.cc) and libuv reads or writes at the file position for any
 * negative offset; a bigint as a number.
 * Differs from node:fs/promises: a bigint past 2^53 is refused (RangeError)
 * rather than used, as the ring's offsets are numbers.
 */
export function ringPosition(position: number | bigint | null | undefined): number {
  if (position == null) return -1;
  if (typeof position === 'bigint') {
    if (position > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw argError('range', 'ERR_OUT_OF_RANGE', `The value of "position" is out of range. tsuring/fs takes positions up to 2^53-1. Received ${position}n`);
    }
    return position < 0n ? -1 : Number(position);
  }
  return Number.isSafeInteger(position) && position >= 0 ? position : -1;
}
