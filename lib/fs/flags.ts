// Open flags and file modes as node:fs/promises reads them: the string
// flags of Node's stringToFlags (lib/internal/fs/utils.js), numbers as they
// are, and modes as a 32-bit integer or an octal string (parseFileMode in
// lib/internal/validators.js). Every fd tsuring/fs opens has O_CLOEXEC, as
// libuv's uv_fs_open adds it.

import { constants } from 'node:fs';
import { invalidArgValue, invalidArgType, outOfRange } from './errors.ts';

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND, O_EXCL, O_SYNC } = constants;


const FLAGS: Readonly<Record<string, number>> = {
  __proto__: null as never,
  r: O_RDONLY,
  rs: O_RDONLY | O_SYNC,
  sr: O_RDONLY | O_SYNC,
  'r+': O_RDWR,
  'rs+': O_RDWR | O_SYNC,
  'sr+': O_RDWR | O_SYNC,
  w: O_TRUNC | O_CREAT | O_WRONLY,
  wx: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  xw: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  'w+': O_TRUNC | O_CREAT | O_RDWR,
  'wx+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  'xw+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  a: O_APPEND | O_CREAT | O_WRONLY,
  ax: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  xa: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  as: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
  sa: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
  'a+': O_APPEND | O_CREAT | O_RDWR,
  'ax+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
  'xa+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
  'as+': O_APPEND | O_CREAT | O_RDWR | O_SYNC,
  'sa+': O_APPEND | O_CREAT | O_RDWR | O_SYNC,
};

/**
 * Node's stringToFlags: a flag string ('r', 'w+', 'ax', ...) as O_* bits,
 * a number as it is if it is an int32 (ERR_OUT_OF_RANGE if not), null or
 * undefined as O_RDONLY; anything else is ERR_INVALID_ARG_VALUE.
 */
export function stringToFlags(flags: unknown, name = 'flags'): number {
  if (typeof flags === 'number') {
    validateInteger(flags, name, -(2 ** 31), 2 ** 31 - 1);
    return flags;
  }
  if (flags == null) return O_RDONLY;
  if (typeof flags === 'string') {
    const f = FLAGS[flags];
    if (f !== undefined) return f;
  }
  throw invalidArgValue(name, flags);
}

const octal = /^[0-7]+$/;

/**
 * Node's parseFileMode: `value` (default `def`) as a mode: a uint32, or a
 * string of octal digits.
 */
export function parseFileMode(value: unknown, name: string, def?: number): number {
  value ??= def;
  if (typeof value === 'string') {
    if (!octal.test(value)) throw invalidArgValue(name, value, 'must be a 32-bit unsigned integer or an octal string');
    value = Number.parseInt(value, 8);
  }
  validateUint32(value, name);
  return value as number;
}

/** Node's validateInteger: an integer number from `min` to `max`. */
export function validateInteger(value: unknown, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
}

/** Node's validateUint32. */
export function validateUint32(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < 0 || value > 0xffffffff) throw outOfRange(name, `>= 0 && <= ${0xffffffff}`, value);
}
