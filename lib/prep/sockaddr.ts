// Socket addresses for the kernel: struct sockaddr_in, sockaddr_in6 and
// sockaddr_un built from JS values into memory an entry can keep, and read
// back into JS values. Layouts (x86_64, and every other Linux ABI: these
// structs have no padding that varies) from the kernel's UAPI headers
// include/uapi/linux/in.h, include/uapi/linux/in6.h and
// include/uapi/linux/un.h; address families from include/linux/socket.h.
// Ports, IPv4 addresses and sin6_flowinfo are in network byte order (big
// endian); the family and sin6_scope_id are in host order.

import { isIPv4, isIPv6 } from 'node:net';
import { checkU16, checkU32 } from '../check.ts';
import { AF_UNIX, AF_INET, AF_INET6, sockaddr_in, sockaddr_in6, sockaddr_un, UNIX_PATH_MAX } from '../uapi/net.ts';

/** An IPv4 or IPv6 address and port; the syntax of `address` picks the family. */
export interface InetAddress {
  /** '127.0.0.1', '::1', 'fe80::1%2'. */
  address: string;
  /** The port, host order. */
  port: number;
  /** sin6_flowinfo (IPv6 only; default 0). */
  flowinfo?: number;
  /** sin6_scope_id (IPv6 only): the interface of a link-local address. Default 0, or a numeric `%zone` in `address`. */
  scopeId?: number;
}

/**
 * A local socket path. A leading NUL byte names an address in the abstract
 * namespace (unix(7)); anything else is a file system path.
 */
export interface UnixAddress {
  /** The path, or its bytes; a leading NUL names the abstract namespace. */
  path: string | Uint8Array;
}

/** What the encoders accept as a socket address: a JS value, or the raw struct. */
export type SockaddrInit = InetAddress | UnixAddress | Uint8Array;

/** A decoded socket address. */
export type Sockaddr =
  | {
    /** AF_INET */
    family: typeof AF_INET;
    /** Dotted quad. */
    address: string;
    /** Host order. */
    port: number;
  }
  | {
    /** AF_INET6 */
    family: typeof AF_INET6;
    /** As inet_ntop(3) writes it. */
    address: string;
    /** Host order. */
    port: number;
    /** sin6_flowinfo. */
    flowinfo: number;
    /** sin6_scope_id. */
    scopeId: number;
  }
  | {
    /** AF_UNIX */
    family: typeof AF_UNIX;
    /** The path; a leading NUL for the abstract namespace. */
    path: string;
  };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function fresh(n: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(n));
}

/** The 4 bytes of a dotted-quad IPv4 address (already checked with isIPv4). */
function ipv4Bytes(address: string, out: Uint8Array, at: number): void {
  const parts = address.split('.');
  for (let i = 0; i < 4; i++) out[at + i] = Number(parts[i]);
}

/** The 16 bytes of an IPv6 address without its zone (already checked with isIPv6). */
function ipv6Bytes(address: string, out: Uint8Array, at: number): void {
  // A trailing dotted quad stands for the last two groups: rewrite it as them.
  let text = address;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) !== -1) {
    const q = text.slice(lastColon + 1).split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((q[0]! << 8) | q[1]!).toString(16)}:${((q[2]! << 8) | q[3]!).toString(16)}`;
  }
  const gap = text.indexOf('::');
  const split = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  let groups: number[];
  if (gap === -1) {
    groups = split(text);
  } else {
    const head = split(text.slice(0, gap));
    const rest = split(text.slice(gap + 2));
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  }
  for (let i = 0; i < 8; i++) {
    out[at + 2 * i] = groups[i]! >>> 8;
    out[at + 2 * i + 1] = groups[i]! & 0xff;
  }
}

/** IPv4 text (dotted quad) of 4 bytes. */
function formatIPv4(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** IPv6 text of 16 bytes, as RFC 5952 writes it (and Node prints it). */
function formatIPv6(b: Uint8Array, at: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[at + 2 * i]! << 8) | b[at + 2 * i + 1]!);
  // An IPv4-mapped address (::ffff:a.b.c.d) keeps its dotted quad.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${formatIPv4(b, at + 12)}`;
  }
  // The longest run of two or more zero groups (the first, on a tie) becomes '::'.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (s: number, e: number) => g.slice(s, e).map((x) => x.toString(16)).join(':');
  if (best === -1) return hex(0, 8);
  return `${hex(0, best)}::${hex(best + bestLen, 8)}`;
}

/** A `struct sockaddr_in` for an IPv4 address (dotted quad) and port. */
export function makeSockaddrIn(address: string, port: number): Uint8Array {
  if (typeof address !== 'string' || !isIPv4(address)) throw new TypeError(`not an IPv4 address: ${typeof address === 'string' ? address : typeof address}`);
  checkU16(port, 'port');
  const sa = fresh(sockaddr_in.sizeof);
  const dv = new DataView(sa.buffer);
  dv.setUint16(sockaddr_in.sin_family, AF_INET, true);
  dv.setUint16(sockaddr_in.sin_port, port, false);
  ipv4Bytes(address, sa, sockaddr_in.sin_addr);
  return sa;
}

/**
 * A `struct sockaddr_in6` for an IPv6 address and port. A numeric zone
 * (`fe80::1%2`) sets sin6_scope_id; a named one (`%eth0`) is refused, as
 * resolving interface names needs if_nametoindex(3).
 */
export function makeSockaddrIn6(address: string, port: number, flowinfo = 0, scopeId?: number): Uint8Array {
  if (typeof address !== 'string' || !isIPv6(address)) throw new TypeError(`not an IPv6 address: ${typeof address === 'string' ? address : typeof address}`);
  checkU16(port, 'port');
  checkU32(flowinfo, 'flowinfo');
  let text = address;
  let scope = scopeId ?? 0;
  const pct = address.indexOf('%');
  if (pct !== -1) {
    const zone = address.slice(pct + 1);
    if (!/^\d+$/.test(zone)) throw new TypeError(`the zone of ${address} must be an interface index; pass scopeId instead of a name`);
    if (scopeId === undefined) scope = Number(zone);
    text = address.slice(0, pct);
  }
  checkU32(scope, 'scopeId');
  const sa = fresh(sockaddr_in6.sizeof);
  const dv = new DataView(sa.buffer);
  dv.setUint16(sockaddr_in6.sin6_family, AF_INET6, true);
  dv.setUint16(sockaddr_in6.sin6_port, port, false);
  dv.setUint32(sockaddr_in6.sin6_flowinfo, flowinfo, false);
  ipv6Bytes(text, sa, sockaddr_in6.sin6_addr);
  dv.setUint32(sockaddr_in6.sin6_scope_id, scope, true);
  return sa;
}

/**
 * A `struct sockaddr_un` for `path`, exactly as long as the address needs:
 * the family, the path and its NUL for a file system path; the family and
 * the name (its leading NUL included, no terminator) for an abstract one,
 * since there every byte up to the length is part of the name.
 */
export function makeSockaddrUn(path: string | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  if (typeof path === 'string') bytes = encoder.encode(path);
  else if (path instanceof Uint8Array) bytes = path;
  else throw new TypeError('path must be a string or a Uint8Array');
  const abstract = bytes.length > 0 && bytes[0] === 0;
  if (!abstract && bytes.includes(0)) throw new TypeError('a unix socket path contains a NUL byte');
  const need = abstract ? bytes.length : bytes.length + 1;
  if (need > UNIX_PATH_MAX) throw new RangeError(`a unix socket path takes at most ${UNIX_PATH_MAX} bytes with its NUL (got ${need})`);
  const sa = fresh(sockaddr_un.sun_path + need);
  new DataView(sa.buffer).setUint16(sockaddr_un.sun_family, AF_UNIX, true);
  sa.set(bytes, sockaddr_un.sun_path);
  return sa;
}

/**
 * The struct for a socket address: `{ address, port }` (IPv4 or IPv6 by the
 * address's syntax), `{ path }` (AF_UNIX), or a Uint8Array that already
 * holds the struct, returned as it is.
 */
export function makeSockaddr(addr: SockaddrInit): Uint8Array {
  if (addr instanceof Uint8Array) return addr;
  if (addr === null || typeof addr !== 'object') throw new TypeError('a socket address must be { address, port }, { path } or a Uint8Array');
  if ('path' in addr) return makeSockaddrUn(addr.path);
  const { address, port } = addr as InetAddress;
  if (typeof address === 'string' && isIPv4(address)) return makeSockaddrIn(address, port);
  if (typeof address === 'string' && isIPv6(address)) return makeSockaddrIn6(address, port, addr.flowinfo ?? 0, addr.scopeId);
  throw new TypeError(`not an IPv4 or IPv6 address: ${typeof address === 'string' ? address : typeof address}`);
}

/**
 * Reads a socket address back from `len` bytes of `bytes` (default all of
 * them): what accept, recvmsg or getsockname wrote, with the length the
 * kernel reported. An AF_UNIX address of just the family is an unnamed
 * socket (path ''); an abstract name keeps its leading NUL. Throws
 * RangeError for a length too short for its family or an unknown family.
 */
export function decodeSockaddr(bytes: Uint8Array, len: number = bytes?.byteLength): Sockaddr {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('a socket address must be a Uint8Array');
  if (!Number.isInteger(len) || len < 2 || len > bytes.byteLength) {
    throw new RangeError(`a socket address length must be from 2 to ${bytes.byteLength} (got ${len})`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, len);
  const family = dv.getUint16(0, true);
  if (family === AF_INET) {
    if (len < sockaddr_in.sin_addr + 4) throw new RangeError(`an AF_INET address needs ${sockaddr_in.sin_addr + 4} bytes (got ${len})`);
    return { family: AF_INET, address: formatIPv4(bytes, sockaddr_in.sin_addr), port: dv.getUint16(sockaddr_in.sin_port, false) };
  }
  if (family === AF_INET6) {
    if (len < sockaddr_in6.sin6_scope_id) throw new RangeError(`an AF_INET6 address needs ${sockaddr_in6.sin6_scope_id} bytes (got ${len})`);
    return {
      family: AF_INET6,
      address: formatIPv6(bytes, sockaddr_in6.sin6_addr),
      port: dv.getUint16(sockaddr_in6.sin6_port, false),
      flowinfo: dv.getUint32(sockaddr_in6.sin6_flowinfo, false),
      scopeId: len >= sockaddr_in6.sizeof ? dv.getUint32(sockaddr_in6.sin6_scope_id, true) : 0,
    };
  }
  if (family === AF_UNIX) {
    const p = bytes.subarray(sockaddr_un.sun_path, len);
    if (p.length > 0 && p[0] === 0) return { family: AF_UNIX, path: '\0' + decoder.decode(p.subarray(1)) };
    const nul = p.indexOf(0);
    return { family: AF_UNIX, path: decoder.decode(nul === -1 ? p : p.subarray(0, nul)) };
  }
  throw new RangeError(`unknown address family ${family}`);
}
