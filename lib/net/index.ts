/**
 * tsuring/net: node:net's TCP and Unix stream sockets on io_uring, with
 * promises and async iteration in place of events. Every socket call goes
 * to the kernel as an SQE on this thread's AsyncRing (the one tsuring/fs
 * uses: made at first use, keeping the process alive only while a server
 * listens or a socket reads or writes): SOCKET, BIND, LISTEN, a multishot
 * ACCEPT, CONNECT, a multishot RECV into one shared pool of provided
 * buffers, SEND, SENDMSG, SHUTDOWN, CLOSE. getsockname, getpeername and
 * setsockopt are libc calls (the ring's GETSOCKNAME is Linux 6.19).
 *
 * ```ts
 * import { createServer, connect } from 'tsuring/net';
 * const server = createServer(async (socket) => {
 *   for await (const chunk of socket) await socket.write(chunk); // chunk valid until the next step
 *   await socket.end();                                           // half-close
 * });
 * await server.listen({ port: 0, host: '127.0.0.1' });            // or { path }
 * const s = await connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1' });
 * ```
 *
 * Errors are node:net's, message and properties (`connect ECONNREFUSED
 * 127.0.0.1:4000`, `listen EADDRINUSE: address already in use ...`,
 * `read ECONNRESET`, `write EPIPE`). `socket.toDuplex()` gives a
 * node:stream Duplex for code written against streams (node:http).
 *
 * @module tsuring/net
 */

import { connect, connectOn, type ConnectOptions } from './connect.ts';
import { createServer, createServerOn, Server, type ConnectionHandler, type ListenOptions, type ServerOptions } from './server.ts';
import { Socket, type SocketOptions } from './socket.ts';
import { BUFFER_SIZE, BUFFERS, netContext, type NetContext } from './ring.ts';
import { AbortError, type NetError } from './errors.ts';
import type { AddressInfo } from './address.ts';
// TSURING_TRACE and ring.trace() for programs that import only tsuring/net,
// as lib/index.ts gives them to the rest.
import '../debug/trace.ts';

export { isIP, isIPv4, isIPv6 } from 'node:net';
export { connect, createServer, Server, Socket, AbortError };
export { connectOn, createServerOn, netContext, BUFFER_SIZE, BUFFERS };
export type { AddressInfo, ConnectOptions, ConnectionHandler, ListenOptions, NetContext, NetError, ServerOptions, SocketOptions };
/** node:net's createConnection: connect(). */
export const createConnection: typeof connect = connect;
