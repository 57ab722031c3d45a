// The errors tsuring/net throws, built as node:net builds its own
// (lib/internal/errors.js in Node's source): a plain Error whose message
// and properties follow the helper node:net uses for that failure.
// - connect: `connect ECONNREFUSED 127.0.0.1:4000`, with errno, code,
//   syscall, address, port (exceptionWithHostPort; no port for a path).
// - listen: `listen EADDRINUSE: address already in use 127.0.0.1:4000`, with
//   code, errno, syscall, address, port (uvExceptionWithHostPort; port -1
//   for a path).
// - read, write: `read ECONNRESET`, `write EPIPE`, with errno, code, syscall
//   (errnoException).
// The texts are libuv's, from node:util's getSystemErrorMap, and the
// properties are set in Node's order, so a deep comparison with node:net's
// error for the same failure holds. A ring operation settles from a
// completion, so each error is made after the await that saw it, which
// gives it the caller's `at async` frames.

import { getSystemErrorMap } from 'node:util';
import { IoUringError } from '../errors.ts';
import { AbortError } from '../fs/errors.ts';

const systemErrors = getSystemErrorMap();

/** A Node-shaped socket error (what node:net emits or rejects with). */
export interface NetError extends Error {
  /** The error number, negative as Node's are (-111 for ECONNREFUSED). */
  errno: number;
  /** The error's name ('ECONNREFUSED'). */
  code: string;
  /** Node's name for the call: 'connect', 'listen', 'read', 'write', 'shutdown'. */
  syscall: string;
  /** The address (or path) of a connect or listen. */
  address?: string;
  /** The port of a connect or listen (-1 for a listen on a path, as Node's). */
  port?: number;
}

function nameOf(errno: number): [code: string, text: string] {
  return systemErrors.get(-Math.abs(errno)) ?? ['UNKNOWN', 'unknown error'];
}

/** node:net's errnoException: `${syscall} ${code}` (read, write, shutdown). */
export function errnoError(errno: number, syscall: string): NetError {
  const [code] = nameOf(errno);
  const err = new Error(`${syscall} ${code}`) as NetError;
  err.errno = -Math.abs(errno);
  err.code = code;
  err.syscall = syscall;
  Error.captureStackTrace(err, errnoError);
  return err;
}

/** node:net's exceptionWithHostPort: `connect ECONNREFUSED 127.0.0.1:4000` (or a path, no port). */
export function connectError(errno: number, address: string, port?: number): NetError {
  const [code] = nameOf(errno);
  const err = new Error(port !== undefined && port > 0 ? `connect ${code} ${address}:${port}` : `connect ${code} ${address}`) as NetError;
  err.errno = -Math.abs(errno);
  err.code = code;
  err.syscall = 'connect';
  err.address = address;
  if (port !== undefined && port > 0) err.port = port;
  Error.captureStackTrace(err, connectError);
  return err;
}

/** node:net's uvExceptionWithHostPort for listen: `listen EADDRINUSE: address already in use 127.0.0.1:4000`. */
export function listenError(errno: number, address: string, port: number): NetError {
  const [code, text] = nameOf(errno);
  const where = port >= 0 ? `${address}:${port}` : address;
  const err = new Error(`listen ${code}: ${text} ${where}`) as NetError;
  err.code = code;
  err.errno = -Math.abs(errno);
  err.syscall = 'listen';
  err.address = address;
  err.port = port;
  Error.captureStackTrace(err, listenError);
  return err;
}

/** The errno of what a ring operation rejected with, or 0 when it was no system error (an abort, a refusal). */
export function errnoOf(err: unknown): number {
  return err instanceof IoUringError ? err.errno : 0;
}

/** A Node stream error with its code: ERR_STREAM_DESTROYED, ERR_STREAM_WRITE_AFTER_END, ERR_SERVER_NOT_RUNNING... */
export function codeError(code: string, message: string): Error & { code: string } {
  const err = new Error(message) as Error & { code: string };
  err.code = code;
  err.stack = err.stack?.replace(/^Error/, `Error [${code}]`);
  return err;
}

/** What an idle socket is destroyed with (setTimeout without a callback): code ETIMEDOUT. */
export function idleError(ms: number): Error & { code: string } {
  const err = new Error(`socket idle for ${ms} ms`) as Error & { code: string };
  err.code = 'ETIMEDOUT';
  return err;
}

/** Node's AbortError for a `signal` that fired, its reason as the cause. */
export function abortError(signal: AbortSignal): Error {
  return new AbortError(undefined, { cause: signal.reason });
}

export { AbortError };
