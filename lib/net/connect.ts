// connect(): a socket(2) and a connect(2) on the ring, the fd made
// SOCK_CLOEXEC, a failure closed and thrown as node:net's error.

import { SOCK_CLOEXEC, SOCK_STREAM, AF_UNIX } from '../uapi/net.ts';
import { ERRNO } from '../errno.ts';
import { invalidArgType } from '../fs/errors.ts';
import { connectEndpoint } from './address.ts';
import { abortError, connectError, errnoError, errnoOf } from './errors.ts';
import { netContext, type NetContext } from './ring.ts';
import { Socket, type SocketOptions } from './socket.ts';

const { ETIME, ETIMEDOUT } = ERRNO;

/** What connect() takes: `{ port, host }` (host 'localhost' by default) or `{ path }`, and the socket's options. */
export interface ConnectOptions extends SocketOptions {
  /** The port, for TCP. */
  port?: number;
  /** An IP address or a name dns.lookup resolves (default 'localhost'). */
  host?: string;
  /** A Unix socket's path (a leading NUL for the abstract namespace). */
  path?: string;
}

/**
 * Connects to `{ port, host }` or `{ path }` (or `connect(port, host)`,
 * `connect(path)`), resolving with the connected Socket. Rejects with
 * node:net's error (`connect ECONNREFUSED 127.0.0.1:4000`, with errno,
 * code, syscall, address, port). `timeout` bounds the connect too (then
 * `connect ETIMEDOUT`) and is the socket's idle timeout after; `signal`
 * aborts the connect (an AbortError) and, later, destroys the socket.
 */
export function connect(options: ConnectOptions | number | string, host?: string): Promise<Socket> {
  return connectOn(netContext(), options, host);
}

/** connect() on a given context (its ring and pool). */
export async function connectOn(ctx: NetContext, options: ConnectOptions | number | string, host?: string): Promise<Socket> {
  let o: ConnectOptions;
  if (typeof options === 'number') o = { port: options, host };
  else if (typeof options === 'string') o = { path: options };
  else if (options !== null && typeof options === 'object') o = options;
  else throw invalidArgType('options', 'of type object', options);
  const signal = o.signal;
  if (signal?.aborted) throw abortError(signal);
  const ep = await connectEndpoint(o);
  const where = ep.family === AF_UNIX ? ep.path : ep.address;
  const { ring } = ctx;
  let fd: number;
  try {
    fd = await ring.socket(ep.family, SOCK_STREAM | SOCK_CLOEXEC);
  } catch (err) {
    const errno = errnoOf(err);
    throw errno !== 0 ? errnoError(errno, 'socket') : err;
  }
  try {
    const to = ep.family === AF_UNIX ? { path: ep.path } : { address: ep.address, port: ep.port };
    await ring.connect(fd, to, { signal, timeout: o.timeout || undefined });
  } catch (err) {
    await ring.closeFd(fd).catch(() => {});
    if (signal?.aborted) throw abortError(signal);
    const errno = errnoOf(err);
    if (errno === 0) throw err;
    throw connectError(errno === -ETIME ? ETIMEDOUT : errno, where, ep.port);
  }
  return new Socket(ctx, fd, o);
}
