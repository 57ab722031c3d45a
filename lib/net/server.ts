// A listening socket on the ring: socket(2), bind(2) and listen(2) as ring
// operations (IORING_OP_BIND and IORING_OP_LISTEN, Linux 6.11), then one
// acceptMultishot (SOCK_CLOEXEC on every accepted fd) feeding either the
// handler given to createServer() or a `for await (const socket of server)`
// loop.

import { unlinkSync } from 'node:fs';
import type { AsyncRing } from '../async/async-ring.ts';
import { invalidArgType } from '../fs/errors.ts';
import * as ffi from '../../ffi/index.ts';
import {
  AF_INET, AF_INET6, AF_UNIX, IPPROTO_IPV6, IPV6_V6ONLY, SOCK_CLOEXEC, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR,
} from '../uapi/net.ts';
import { ERRNO } from '../errno.ts';
import { listenEndpoint, socketName, type AddressInfo, type Endpoint } from './address.ts';
import { abortError, codeError, errnoError, errnoOf, listenError } from './errors.ts';
import { netContext, type NetContext } from './ring.ts';
import { Socket, type SocketOptions } from './socket.ts';

const { EAFNOSUPPORT, EADDRNOTAVAIL } = ERRNO;

/** What listen() takes: `{ port, host, backlog }` or `{ path, backlog }`. */
export interface ListenOptions {
  /** The port (default 0: one the kernel picks; server.address() says which). */
  port?: number;
  /** The address to listen on (default '::', every IPv6 and IPv4 address, or '0.0.0.0' without IPv6). */
  host?: string;
  /** A Unix socket's path (a leading NUL for the abstract namespace); removed again by close(). */
  path?: string;
  /** listen(2)'s backlog (default 511, as node:net). */
  backlog?: number;
  /** IPV6_V6ONLY for an IPv6 address: no IPv4 connections (default false). */
  ipv6Only?: boolean;
  /** Closes the server when it fires. */
  signal?: AbortSignal;
}

/** Options of createServer(): those of the sockets it accepts (`signal` aside). */
export type ServerOptions = Omit<SocketOptions, 'signal'>;

/**
 * What createServer() calls for each connection. An async handler (one that
 * returns a promise) owns the socket until it settles: then the socket is
 * ended (reading stopped, end() once the writes queued are out), or
 * destroyed if it rejected (the rejection is left unhandled, as a throwing
 * node:net listener's error is uncaught). Any other handler leaves the
 * socket to be ended or destroyed by whoever keeps it, as node:net does.
 */
export type ConnectionHandler = (socket: Socket) => unknown;

const DONE: IteratorResult<never> = Object.freeze({ value: undefined, done: true }) as IteratorResult<never>;
const one = new Int32Array(1);

/**
 * A TCP or Unix stream server. Given a handler, it accepts from listen() on
 * and calls the handler with each Socket; without one, `for await (const
 * socket of server)` takes them (one loop at a time; leaving it stops
 * accepting until the next loop, connections waiting meanwhile in the
 * kernel's backlog).
 */
export class Server implements AsyncIterable<Socket> {
  private readonly ctx: NetContext;
  private readonly handler: ConnectionHandler | null;
  private readonly socketOptions: ServerOptions;
  private fd = -1;
  private starting = false;
  private unixPath: string | null = null;
  private addr: AddressInfo | string | null = null;
  private accepts: AsyncIterableIterator<number> | null = null;
  private closing: Promise<void> | null = null;
  private readonly sockets = new Set<Socket>();

  /** @internal made by createServer() */
  constructor(ctx: NetContext, handler: ConnectionHandler | null, options: ServerOptions) {
    this.ctx = ctx;
    this.handler = handler;
    this.socketOptions = options;
  }

  /**
   * Listens on `{ port, host }` or `{ path }`; resolves with the server once
   * it is listening (and, with a handler, accepting). Rejects with node:net's
   * error: `listen EADDRINUSE: address already in use 127.0.0.1:4000`.
   */
  async listen(options: ListenOptions = {}): Promise<this> {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    if (this.fd >= 0 || this.starting) throw codeError('ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.');
    const signal = options.signal;
    if (signal?.aborted) throw abortError(signal);
    this.starting = true;
    try {
      const ep = await listenEndpoint(options);
      const backlog = options.backlog ?? 511;
      let fd: number;
      try {
        fd = await this.open(ep, backlog, options.ipv6Only === true);
      } catch (err) {
        // No IPv6 here: every IPv4 address instead, as node:net does.
        const errno = (err as { errno?: number }).errno;
        if (!ep.v6Fallback || (errno !== -EAFNOSUPPORT && errno !== -EADDRNOTAVAIL)) throw err;
        fd = await this.open({ family: AF_INET, address: '0.0.0.0', port: ep.port! }, backlog, false);
      }
      this.fd = fd;
      this.closing = null;
      this.unixPath = ep.family === AF_UNIX && ep.path[0] !== '\0' ? ep.path : null;
      this.addr = socketName(fd, false);
    } finally {
      this.starting = false;
    }
    if (this.handler !== null) void this.acceptLoop();
    if (signal !== undefined) signal.addEventListener('abort', () => void this.close().catch(() => {}), { once: true });
    return this;
  }

  // A listening socket for `ep`, or node:net's listen error.
  private async open(ep: Endpoint, backlog: number, ipv6Only: boolean): Promise<number> {
    const { ring } = this.ctx;
    const where = ep.family === AF_UNIX ? ep.path : ep.address;
    const port = ep.family === AF_UNIX ? -1 : ep.port;
    let fd: number;
    try {
      fd = await ring.socket(ep.family, SOCK_STREAM | SOCK_CLOEXEC);
    } catch (err) {
      throw listenFailure(err, where, port);
    }
    try {
      if (ep.family !== AF_UNIX) {
        // As libuv does for every TCP listener: a restarted server can bind
        // while its old connections sit in TIME_WAIT.
        one[0] = 1;
        ffi.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one);
        if (ep.family === AF_INET6) {
          one[0] = ipv6Only ? 1 : 0;
          ffi.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, one);
        }
      }
      await ring.bind(fd, ep.family === AF_UNIX ? { path: ep.path } : { address: ep.address, port: ep.port });
      await ring.listen(fd, backlog);
      return fd;
    } catch (err) {
      await ring.closeFd(fd).catch(() => {});
      throw listenFailure(err, where, port);
    }
  }

  // The handler's accept loop: one acceptMultishot for as long as the
  // server listens, started again after an error (EMFILE, ECONNABORTED...)
  // once the next turn of the event loop comes.
  private async acceptLoop(): Promise<void> {
    while (this.fd >= 0 && this.closing === null) {
      const it = this.startAccepting();
      try {
        for await (const fd of it) this.serve(this.adopt(fd));
        return;
      } catch {
        if (this.accepts === it) this.accepts = null;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  }

  private startAccepting(): AsyncIterableIterator<number> {
    const it = this.ctx.ring.acceptMultishot(this.fd, SOCK_CLOEXEC);
    this.accepts = it;
    return it;
  }

  private adopt(fd: number): Socket {
    const s = new Socket(this.ctx, fd, this.socketOptions);
    this.sockets.add(s);
    s.closed.then(() => this.sockets.delete(s));
    return s;
  }

  private serve(socket: Socket): void {
    let r: unknown;
    try {
      r = this.handler!(socket);
    } catch (err) {
      socket.destroy(err as Error);
      queueMicrotask(() => {
        throw err;
      });
      return;
    }
    if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') {
      (r as Promise<unknown>).then(
        () => settled(socket),
        (err: unknown) => {
          // The socket's own failure (the peer reset it, the idle timeout)
          // thrown out of the handler's read loop ends that connection, not
          // the server; anything else the handler throws is the program's
          // and stays unhandled.
          if (socket.failedWith(err)) return;
          socket.destroy(err as Error);
          throw err;
        },
      );
    }
  }

  /** Pull the connections: `for await (const socket of server)` (a server made without a handler). */
  [Symbol.asyncIterator](): AsyncIterableIterator<Socket> {
    const server = this;
    const it: AsyncIterableIterator<Socket> = {
      async next(): Promise<IteratorResult<Socket>> {
        if (server.handler !== null) throw new TypeError('this server hands its connections to its handler; make it without one to iterate');
        if (server.fd < 0 || server.closing !== null) return DONE;
        const accepts = server.accepts ?? server.startAccepting();
        let r: IteratorResult<number>;
        try {
          r = await accepts.next();
        } catch (err) {
          if (server.accepts === accepts) server.accepts = null;
          const errno = errnoOf(err);
          throw errno !== 0 ? errnoError(errno, 'accept') : err;
        }
        if (r.done) return DONE;
        return { value: server.adopt(r.value), done: false };
      },
      async return(): Promise<IteratorResult<Socket>> {
        const a = server.accepts;
        server.accepts = null;
        if (a !== null) await a.return!();
        return DONE;
      },
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  }

  /** node:net's server.address(): `{ port, address, family }`, the path of a Unix socket, or null when not listening. */
  address(): AddressInfo | string | null {
    const a = this.addr;
    return a === null || typeof a === 'string' ? a : { ...a };
  }

  /** True while listening. */
  get listening(): boolean {
    return this.fd >= 0 && this.closing === null;
  }

  /** Connections accepted and not yet closed. */
  get connections(): number {
    return this.sockets.size;
  }

  /**
   * Stops accepting and closes the listening socket (removing a Unix
   * socket's path); settles once every connection it accepted has closed.
   * Rejects with ERR_SERVER_NOT_RUNNING when not listening.
   */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    if (this.fd < 0) return Promise.reject(codeError('ERR_SERVER_NOT_RUNNING', 'Server is not running.'));
    const ring: AsyncRing = this.ctx.ring;
    const fd = this.fd;
    this.addr = null;
    this.closing = (async () => {
      const a = this.accepts;
      this.accepts = null;
      if (a !== null) await a.return!();
      await ring.closeFd(fd).catch(() => {});
      if (this.unixPath !== null) {
        try {
          unlinkSync(this.unixPath);
        } catch {
          // Gone already.
        }
      }
      this.fd = -1;
      await Promise.all(Array.from(this.sockets, (s) => s.closed));
    })();
    return this.closing;
  }
}

// An async handler has settled: what it left open is ended (reading stopped,
// end() after the writes still queued), unless a Duplex took the socket over.
function settled(socket: Socket): void {
  if (socket.destroyed || socket.handedOver) return;
  void socket.return();
  socket.end().catch(() => {});
}

function listenFailure(err: unknown, where: string, port: number): unknown {
  const errno = errnoOf(err);
  return errno !== 0 ? listenError(errno, where, port) : err;
}

/**
 * A server; `handler` (if given) is called with each connection once it
 * listens. `createServer(options, handler)` as node:net's, with the options
 * of the sockets it accepts (noDelay, keepAlive, keepAliveInitialDelay, timeout).
 */
export function createServer(handler?: ConnectionHandler): Server;
export function createServer(options: ServerOptions, handler?: ConnectionHandler): Server;
export function createServer(a?: ConnectionHandler | ServerOptions, b?: ConnectionHandler): Server {
  return createServerOn(netContext(), a, b);
}

/** createServer() on a given context (its ring and pool). */
export function createServerOn(ctx: NetContext, a?: ConnectionHandler | ServerOptions, b?: ConnectionHandler): Server {
  let handler: ConnectionHandler | undefined;
  let options: ServerOptions = {};
  if (typeof a === 'function') handler = a;
  else {
    if (a !== undefined && (a === null || typeof a !== 'object')) throw invalidArgType('options', 'of type object', a);
    options = a ?? {};
    handler = b;
  }
  if (handler !== undefined && typeof handler !== 'function') throw invalidArgType('connectionListener', 'of type function', handler);
  return new Server(ctx, handler ?? null, options);
}
