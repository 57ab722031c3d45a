// Addresses for tsuring/net: what listen() and connect() are given (a port
// and host, or a path) checked as node:net checks them, a host name looked
// up as node:net looks it up (dns.lookup), and a socket's own or peer
// address read back with getsockname(2) / getpeername(2) into node:net's
// shapes (`{ address, family: 'IPv4' | 'IPv6', port }`, or a path).

import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import * as ffi from '../../ffi/index.ts';
import { decodeSockaddr } from '../prep/sockaddr.ts';
import { AF_INET, AF_INET6, AF_UNIX, SOCKADDR_STORAGE_SIZE } from '../uapi/net.ts';
import { argError } from '../fs/errors.ts';

/** node:net's AddressInfo: what server.address() returns for TCP. */
export interface AddressInfo {
  /** The address as text: '127.0.0.1', '::1'. */
  address: string;
  /** Which family the address is, in node:net's words. */
  family: 'IPv4' | 'IPv6';
  /** The port (the one the kernel picked, for a server given port 0). */
  port: number;
}

/** Where to connect or listen, resolved: an IP address and port, or a path. */
export type Endpoint =
  | { family: typeof AF_INET | typeof AF_INET6; address: string; port: number; path?: undefined }
  | { family: typeof AF_UNIX; path: string; address?: undefined; port?: undefined };

/** node:net's ERR_SOCKET_BAD_PORT check: an integer (or integer string) from 0 to 65535. */
export function checkPort(port: unknown, name = 'Port', allowZero = true): number {
  const n = typeof port === 'string' && port.trim() !== '' ? Number(port) : port;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffff || (n === 0 && !allowZero)) {
    throw argError('range', 'ERR_SOCKET_BAD_PORT', `${name} should be >= 0 and < 65536. Received ${typeof port === 'string' ? `type string ('${port}')` : `type ${typeof port} (${String(port)})`}.`);
  }
  return n;
}

/** An IP literal as it is, or a host name looked up as node:net does (dns.lookup, the first answer). */
async function resolveHost(host: string): Promise<{ address: string; family: typeof AF_INET | typeof AF_INET6 }> {
  const v = isIP(host);
  if (v === 4) return { address: host, family: AF_INET };
  if (v === 6) return { address: host, family: AF_INET6 };
  const r = await lookup(host);
  return { address: r.address, family: r.family === 6 ? AF_INET6 : AF_INET };
}

/** A connect()'s endpoint: `{ path }`, or `{ port, host }` (host 'localhost' by default, as node:net's). */
export async function connectEndpoint(o: { port?: unknown; host?: unknown; path?: unknown }): Promise<Endpoint> {
  if (o.path !== undefined) {
    if (typeof o.path !== 'string') throw argError('type', 'ERR_INVALID_ARG_TYPE', `The "options.path" property must be of type string.`);
    return { family: AF_UNIX, path: o.path };
  }
  const port = checkPort(o.port);
  const host = o.host === undefined || o.host === null ? 'localhost' : String(o.host);
  return { ...(await resolveHost(host)), port };
}

/**
 * A listen()'s endpoint: `{ path }`, or `{ port, host }`. With no host, '::'
 * (every address, IPv4 too: the socket is made with IPV6_V6ONLY off), as
 * node:net; `v6Fallback` says to try '0.0.0.0' where IPv6 is missing.
 */
export async function listenEndpoint(o: { port?: unknown; host?: unknown; path?: unknown }): Promise<Endpoint & { v6Fallback?: boolean }> {
  if (o.path !== undefined) {
    if (typeof o.path !== 'string') throw argError('type', 'ERR_INVALID_ARG_TYPE', `The "options.path" property must be of type string.`);
    return { family: AF_UNIX, path: o.path };
  }
  const port = checkPort(o.port ?? 0, 'options.port');
  if (o.host === undefined || o.host === null || o.host === '') return { family: AF_INET6, address: '::', port, v6Fallback: true };
  return { ...(await resolveHost(String(o.host))), port };
}

// Reused by every call: the kernel writes the address and its length here,
// and it is decoded before the next call.
const nameBuf = new Uint8Array(SOCKADDR_STORAGE_SIZE);
const nameLen = new Uint32Array(1);

/** The address of `fd` (getsockname) or of its peer (getpeername); null when the call fails (a closed fd, no peer). */
export function socketName(fd: number, peer: boolean): AddressInfo | string | null {
  if (fd < 0) return null;
  nameLen[0] = SOCKADDR_STORAGE_SIZE;
  const r = peer ? ffi.getpeername(fd, nameBuf, nameLen) : ffi.getsockname(fd, nameBuf, nameLen);
  if (r < 0) return null;
  const a = decodeSockaddr(nameBuf, Math.min(nameLen[0]!, SOCKADDR_STORAGE_SIZE));
  if (a.family === AF_UNIX) return a.path;
  return { address: a.address, family: a.family === AF_INET ? 'IPv4' : 'IPv6', port: a.port };
}
