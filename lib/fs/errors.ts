// The errors tsuring/fs throws, built as node:fs/promises builds its own:
// a system error is a plain Error whose message is `CODE: text, syscall
// 'path' -> 'dest'`, with `errno` (negative), `code`, `syscall`, `path` and
// `dest` as properties, in that order; the texts are libuv's, taken from
// node:util's getSystemErrorMap so they match Node's word for word. Argument
// errors carry Node's `code` (ERR_INVALID_ARG_TYPE, ...) and class.
//
// The stack: a ring operation settles from a completion, with no JavaScript
// frame of the caller on the stack. Each function of lib/fs is an async
// function that awaits the ring and builds the error after the await, so V8
// records the awaiting callers as `at async <caller>` frames, as Node's own
// errors show them.

import { getSystemErrorMap, inspect } from 'node:util';
import { IoUringError } from '../errors.ts';

const systemErrors = getSystemErrorMap();

/** A Node-shaped system error (what node:fs/promises rejects with). */
export interface FsError extends Error {
  /** The error number, negative as Node's are (-2 for ENOENT): the CQE's res. */
  errno: number;
  /** The error's name ('ENOENT', 'EEXIST', ...), from node:util's getSystemErrorName. */
  code: string;
  /** Node's name for the call that failed ('open', 'stat', 'copyfile'), whichever io_uring operation ran it. */
  syscall: string;
  /** The path the call was given, when it was given one (a Buffer or URL as a string). */
  path?: string;
  /** The second path of a call with two (rename's, link's, copyFile's destination, symlink's path). */
  dest?: string;
}

/**
 * The error node:fs/promises would throw for `errno` (negative, as a CQE's
 * res, or positive) from `syscall` (Node's name: 'open', 'stat', 'copyfile'),
 * with the path and destination it names, if any.
 */
export function fsError(errno: number, syscall: string, path?: string, dest?: string): FsError {
  const e = -Math.abs(errno);
  const [code, text] = systemErrors.get(e) ?? ['UNKNOWN', 'unknown error'];
  let message = `${code}: ${text}, ${syscall}`;
  if (path !== undefined) message += ` '${path}'`;
  if (dest !== undefined) message += ` -> '${dest}'`;
  const err = new Error(message) as FsError;
  err.errno = e;
  err.code = code;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  if (dest !== undefined) err.dest = dest;
  Error.captureStackTrace(err, fsError);
  return err;
}

/**
 * `err` (what a ring operation rejected with) as Node's error for
 * `syscall`: an IoUringError's errno becomes a system error naming `path`
 * and `dest`; anything else (a refusal, an abort) is returned as it is.
 */
export function toFsError(err: unknown, syscall: string, path?: string, dest?: string): unknown {
  // The ring's error, or node:fs's own (a step run through node:fs).
  const errno = (err as { errno?: unknown } | null)?.errno;
  if (err instanceof IoUringError || (err instanceof Error && typeof errno === 'number' && 'syscall' in err)) {
    const out = fsError(errno as number, syscall, path, dest);
    Error.captureStackTrace(out, toFsError);
    return out;
  }
  return err;
}

/** What a FileHandle's method throws once it is closed, as Node's does: `file closed`, code EBADF, no errno. */
export function closedError(syscall: string): Error {
  const err = new Error('file closed') as Error & { code: string; syscall: string };
  err.code = 'EBADF';
  err.syscall = syscall;
  Error.captureStackTrace(err, closedError);
  return err;
}

/** ERR_INVALID_STATE, as Node's: `Invalid state: <message>`, a plain Error. */
export function invalidState(message: string): Error {
  const err = new Error(`Invalid state: ${message}`) as Error & { code: string };
  err.code = 'ERR_INVALID_STATE';
  Error.captureStackTrace(err, invalidState);
  err.stack = err.stack?.replace(/^Error/, 'Error [ERR_INVALID_STATE]');
  return err;
}

/** ERR_METHOD_NOT_IMPLEMENTED, as Node's: `The <what> method is not implemented`. */
export function methodNotImplemented(what: string): Error {
  const err = new Error(`The ${what} method is not implemented`) as Error & { code: string };
  err.code = 'ERR_METHOD_NOT_IMPLEMENTED';
  Error.captureStackTrace(err, methodNotImplemented);
  err.stack = err.stack?.replace(/^Error/, 'Error [ERR_METHOD_NOT_IMPLEMENTED]');
  return err;
}

/** Node's AbortError (node:internal/errors): code ABORT_ERR, the signal's reason as its cause. */
export class AbortError extends Error {
  /** Always 'ABORT_ERR'. */
  readonly code = 'ABORT_ERR';
  /** Node's message and options; `cause` is the signal's reason. */
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

/** Throws Node's AbortError when `signal` has been aborted (node:fs/promises' checkAborted). */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
}

/** An argument error with Node's code, class and message. */
export function argError(kind: 'type' | 'range' | 'plain', code: string, message: string): Error {
  const err = kind === 'type' ? new TypeError(message) : kind === 'range' ? new RangeError(message) : new Error(message);
  (err as Error & { code: string }).code = code;
  // Node's name reads `TypeError [ERR_X]` only in the stack's first line.
  err.stack = err.stack?.replace(/^(\w+Error)/, `$1 [${code}]`);
  return err;
}

/** How Node's ERR_INVALID_ARG_* messages show the value received. */
export function received(value: unknown): string {
  if (value == null) return ` Received ${String(value)}`;
  if (typeof value === 'function') return ` Received function ${value.name}`;
  if (typeof value === 'object') {
    if (value.constructor?.name) return ` Received an instance of ${value.constructor.name}`;
    return ` Received ${inspect(value, { depth: -1 })}`;
  }
  let shown = inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return ` Received type ${typeof value} (${shown})`;
}

/** ERR_INVALID_ARG_TYPE: `name` must be of the types `expected` says. */
export function invalidArgType(name: string, expected: string, value: unknown): Error {
  const what = name.includes('.') ? 'property' : 'argument';
  return argError('type', 'ERR_INVALID_ARG_TYPE', `The "${name}" ${what} must be ${expected}.${received(value)}`);
}

/** ERR_INVALID_ARG_VALUE: `name` is invalid (`reason`, default "is invalid"). */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): Error {
  const type = name.includes('.') ? 'property' : 'argument';
  let shown = inspect(value);
  if (shown.length > 128) shown = `${shown.slice(0, 128)}...`;
  return argError('type', 'ERR_INVALID_ARG_VALUE', `The ${type} '${name}' ${reason}. Received ${shown}`);
}

/** ERR_OUT_OF_RANGE: `name` must be `range`. */
export function outOfRange(name: string, range: string, value: unknown): Error {
  const shown = typeof value === 'number' && Number.isInteger(value) && Math.abs(value) > 2 ** 32
    ? addUnderscores(String(value))
    : typeof value === 'bigint' ? `${addUnderscores(String(value))}n` : inspect(value);
  return argError('range', 'ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${shown}`);
}

function addUnderscores(s: string): string {
  let res = '';
  let i = s.length;
  const start = s[0] === '-' ? 1 : 0;
  for (; i >= start + 4; i -= 3) res = `_${s.slice(i - 3, i)}${res}`;
  return `${s.slice(0, i)}${res}`;
}
